-- Notes with an embedding for semantic search; new notes are broadcast over realtime.
create table public.notes (
    id uuid primary key default uuid_generate_v4(),
    owner_id uuid not null references public.profiles (id) on delete cascade default auth.uid(),
    title text not null,
    body text not null default '',
    embedding vector(3),
    share_token text not null default encode(gen_random_bytes(16), 'hex'),
    created_at timestamptz not null default now()
);

create index notes_owner_id_idx on public.notes (owner_id);
create index notes_embedding_idx on public.notes using hnsw (embedding vector_cosine_ops);

alter table public.notes enable row level security;

create policy "owners read their notes" on public.notes
    for select to authenticated using ((select auth.uid()) = owner_id);

create policy "owners write their notes" on public.notes
    for insert to authenticated with check ((select auth.uid()) = owner_id);

create policy "owners delete their notes" on public.notes
    for delete to authenticated using ((select auth.uid()) = owner_id);

create function public.match_notes(query_embedding vector(3), match_count int default 5)
returns table (id uuid, title text, similarity float)
language sql
stable
set search_path = public, extensions
as $$
    select n.id, n.title, 1 - (n.embedding <=> query_embedding) as similarity
    from public.notes n
    where n.embedding is not null
    order by n.embedding <=> query_embedding
    limit match_count;
$$;

alter publication supabase_realtime add table public.notes;
