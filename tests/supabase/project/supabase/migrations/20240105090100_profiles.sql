-- One profile per user, created by a trigger when the user signs up.
create table public.profiles (
    id uuid primary key references auth.users (id) on delete cascade,
    username text unique check (char_length(username) >= 3),
    full_name text,
    avatar_url text,
    updated_at timestamptz not null default now()
);

alter table public.profiles enable row level security;

create policy "profiles are readable by everyone" on public.profiles
    for select to anon, authenticated using (true);

create policy "users update their own profile" on public.profiles
    for update to authenticated
    using ((select auth.uid()) = id)
    with check ((select auth.uid()) = id);

-- not in an exposed schema: only the trigger calls it
create schema if not exists private;

create function private.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into public.profiles (id, full_name, avatar_url)
    values (new.id, new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'avatar_url');
    return new;
end;
$$;

create trigger on_auth_user_created
    after insert on auth.users
    for each row execute procedure private.handle_new_user();

revoke execute on function private.handle_new_user() from public, anon, authenticated;
