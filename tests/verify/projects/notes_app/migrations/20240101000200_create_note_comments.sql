-- Comments on notes, written by a profile.

create table public.note_comments (
    id bigint generated always as identity primary key,
    note_id uuid not null references public.notes (id) on delete cascade,
    author_id uuid not null references public.profiles (id) on delete cascade,
    body text not null,
    created_at timestamptz not null default now()
);

create index note_comments_note_id_idx on public.note_comments (note_id);
create index note_comments_author_id_idx on public.note_comments (author_id);

alter table public.note_comments enable row level security;
