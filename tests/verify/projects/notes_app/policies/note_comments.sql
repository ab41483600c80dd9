-- Comments: the author writes and deletes them.
-- The read policy is the deliberate leak of this test project: "signed in" is not "allowed to see
-- this note", so every user reads the comments on every other user's private notes.

drop policy if exists "comments: signed-in users read comments" on public.note_comments;
create policy "comments: signed-in users read comments"
    on public.note_comments for select to authenticated
    using (auth.uid() is not null);

drop policy if exists "comments: authors add comments" on public.note_comments;
create policy "comments: authors add comments"
    on public.note_comments for insert to authenticated
    with check (author_id = (select auth.uid()));

drop policy if exists "comments: authors delete their comments" on public.note_comments;
create policy "comments: authors delete their comments"
    on public.note_comments for delete to authenticated
    using (author_id = (select auth.uid()));
