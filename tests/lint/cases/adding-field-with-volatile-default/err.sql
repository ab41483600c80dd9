-- expect: adding-field-with-volatile-default
alter table public.items add column token uuid default gen_random_uuid();

-- expect: adding-field-with-volatile-default
alter table public.items add column noise float8 default random();
