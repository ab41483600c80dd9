-- expect: prefer-identity
create table public.items (id bigserial primary key);
