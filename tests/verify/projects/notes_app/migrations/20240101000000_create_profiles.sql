-- One profile per auth user, readable by everyone (usernames are shown next to comments).

create table public.profiles (
    id uuid primary key references auth.users (id) on delete cascade,
    username text not null unique,
    avatar_url text,
    created_at timestamptz not null default now(),
    constraint profiles_username_length check (char_length(username) between 3 and 40)
);

alter table public.profiles enable row level security;
