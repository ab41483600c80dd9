-- expect: function-search-path-mutable
create function public.add_one(x integer)
returns integer
language sql
immutable
as $$ select x + 1 $$;

-- expect: function-search-path-mutable
create or replace function public.touch()
returns trigger
language plpgsql
security definer
as $$
begin
    new.updated_at := now();
    return new;
end;
$$;
