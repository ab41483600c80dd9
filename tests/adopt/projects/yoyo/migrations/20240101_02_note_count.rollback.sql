drop function public.note_count(bigint);
