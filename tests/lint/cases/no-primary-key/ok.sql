create table public.events (
    id bigint generated always as identity primary key,
    occurred_at timestamptz not null
);

create table public.tags (
    name text not null
);

-- added later: counts
alter table public.tags add constraint tags_pkey primary key (name);
