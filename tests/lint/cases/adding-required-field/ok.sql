alter table public.users add column plan text not null default 'free';

alter table public.users add column nickname text;

alter table public.users add column n bigint not null generated always as identity;

create table public.t (id bigint primary key);

alter table public.t add column v text not null;
