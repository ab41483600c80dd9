create table public.notes (
    id bigint generated always as identity primary key,
    account_id bigint not null references public.accounts (id) on delete cascade,
    owner name not null default current_user,
    body text not null
);
create index notes_account_id_idx on public.notes (account_id);
alter table public.notes enable row level security;
create policy notes_owner on public.notes
    using (owner = current_user)
    with check (owner = current_user);
