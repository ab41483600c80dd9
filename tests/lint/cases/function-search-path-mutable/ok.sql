create function public.add_one(x integer)
returns integer
language sql
immutable
set search_path = ''
as $$ select x + 1 $$;

create function public.touch()
returns trigger
language plpgsql
as $$
begin
    new.updated_at := pg_catalog.now();
    return new;
end;
$$;

-- fixed in a later statement
alter function public.touch() set search_path = '';
