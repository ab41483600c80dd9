-- expect: adding-field-with-volatile-default
alter table public.items add column token uuid default gen_random_uuid();

-- expect: adding-field-with-volatile-default
alter table public.items add column noise float8 default random();

-- expect: adding-field-with-volatile-default
alter table public.items add column at timestamptz default clock_timestamp();

-- expect: adding-field-with-volatile-default
alter table public.items add column jitter interval default now() - random() * interval '1 minute';

-- uuid-ossp, as Supabase installs it
-- expect: adding-field-with-volatile-default
alter table public.items add column legacy uuid default extensions.uuid_generate_v4();

-- expect: adding-field-with-volatile-default
alter table public.items add column n bigint default nextval('public.items_n_seq');

-- a function of unknown volatility: rewrites unless it is STABLE or IMMUTABLE
-- expect: adding-field-with-volatile-default
alter table public.items add column code text default public.new_code();
