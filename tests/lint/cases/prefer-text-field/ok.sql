create table public.t (
    id bigint generated always as identity primary key,
    name text not null,
    constraint t_name_length check (char_length(name) <= 100)
);

-- a bare varchar has no length to change later
alter table public.t add column nickname varchar;
