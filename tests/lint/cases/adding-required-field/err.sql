-- expect: adding-required-field
alter table public.users add column plan text not null;
