-- Notes belong to the user who wrote them; a note marked public is readable by anyone.

create type public.note_status as enum ('draft', 'published', 'archived');

create table public.notes (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references auth.users (id) on delete cascade,
    title text not null,
    body text not null default '',
    status public.note_status not null default 'draft',
    priority integer not null default 3,
    is_public boolean not null default false,
    created_at timestamptz not null default now(),
    constraint notes_title_length check (char_length(title) between 1 and 200),
    constraint notes_priority_range check (priority between 1 and 5)
);

create index notes_user_id_idx on public.notes (user_id);

alter table public.notes enable row level security;
