alter table public.notes drop column created_at;
