create or replace function public.note_count(p_account bigint) returns bigint
    language sql stable
    as $$ select count(*) from public.notes where account_id = p_account $$;
