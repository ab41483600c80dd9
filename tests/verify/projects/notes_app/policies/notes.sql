-- A user reads and writes their own notes; anyone reads public notes.

drop policy if exists "notes: owners read their notes" on public.notes;
create policy "notes: owners read their notes"
    on public.notes for select to authenticated
    using (user_id = (select auth.uid()));

drop policy if exists "notes: anyone reads public notes" on public.notes;
create policy "notes: anyone reads public notes"
    on public.notes for select to anon, authenticated
    using (is_public);

drop policy if exists "notes: owners add notes" on public.notes;
create policy "notes: owners add notes"
    on public.notes for insert to authenticated
    with check (user_id = (select auth.uid()));

drop policy if exists "notes: owners edit their notes" on public.notes;
create policy "notes: owners edit their notes"
    on public.notes for update to authenticated
    using (user_id = (select auth.uid()))
    with check (user_id = (select auth.uid()));

drop policy if exists "notes: owners delete their notes" on public.notes;
create policy "notes: owners delete their notes"
    on public.notes for delete to authenticated
    using (user_id = (select auth.uid()));
