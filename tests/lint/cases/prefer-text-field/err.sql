-- expect: prefer-text-field
create table public.t (
    id bigint generated always as identity primary key,
    name varchar(100) not null
);

-- expect: prefer-text-field
alter table public.t add column nickname character varying(20);
