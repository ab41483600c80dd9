-- Outgoing calls: the webhook URL and token live in the vault; only the server side calls these.
create schema if not exists private;

create function private.notify_note_shared(note_id uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
    url text;
    token text;
begin
    select decrypted_secret into url from vault.decrypted_secrets where name = 'webhook_url';
    select decrypted_secret into token from vault.decrypted_secrets where name = 'webhook_token';
    return net.http_post(
        url := url,
        body := jsonb_build_object('note_id', note_id),
        headers := jsonb_build_object('Authorization', 'Bearer ' || token)
    );
end;
$$;

create function private.fetch_status(page text)
returns integer
language sql
set search_path = ''
as $$
    select (extensions.http_get(page)).status;
$$;

revoke all on function private.notify_note_shared(uuid) from public, anon, authenticated;
revoke all on function private.fetch_status(text) from public, anon, authenticated;
grant execute on function private.notify_note_shared(uuid) to service_role;
