-- Avatars: a public bucket; each user writes only under a folder named by their id.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('avatars', 'avatars', true, 1048576, array['image/png', 'image/jpeg']);

create policy "avatars are public" on storage.objects
    for select to anon, authenticated using (bucket_id = 'avatars');

create policy "users upload their own avatar" on storage.objects
    for insert to authenticated
    with check (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text);

create policy "users replace their own avatar" on storage.objects
    for update to authenticated
    using (bucket_id = 'avatars' and (storage.foldername(name))[1] = (select auth.uid())::text
           and storage.extension(name) in ('png', 'jpg'));

create policy "users delete their own avatar" on storage.objects
    for delete to authenticated
    using (bucket_id = 'avatars' and owner_id = (select auth.uid())::text);
