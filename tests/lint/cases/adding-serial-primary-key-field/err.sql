-- expect: adding-serial-primary-key-field
alter table public.items add primary key (id);

-- expect: adding-serial-primary-key-field
alter table public.other add column id bigserial;

-- expect: adding-serial-primary-key-field
alter table public.third add column id uuid primary key default gen_random_uuid();
