-- a login role without a password: the operator sets it outside the migrations
create role reporting login;

alter role reporting with password null;

create table public.settings (
    key text primary key,
    value text not null
);

-- placeholders and URLs without a password are fine
insert into public.settings (key, value) values
    ('replica', 'postgresql://app@replica.internal:5432/app'),
    ('template', 'postgres://app:${PASSWORD}@db/app'),
    ('task', 'sk-8'),
    ('word', 'skeleton key');

-- settings that are not secrets, and secrets taken from the environment at run time
alter database postgres set app.settings.region = 'eu-west-1';

select set_config('app.token_ttl', '3600', false);

select set_config('app.api_key', current_setting('env.api_key'), false);
