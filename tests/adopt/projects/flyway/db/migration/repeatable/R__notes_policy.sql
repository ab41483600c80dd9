drop policy if exists notes_owner on public.notes;
create policy notes_owner on public.notes
    using (owner = current_user)
    with check (owner = current_user);
