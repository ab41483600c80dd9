-- expect: hardcoded-secret
create role reporting login password 'correct horse battery staple';

-- expect: hardcoded-secret
alter role reporting with password 'hunter22';

create table public.settings (
    key text primary key,
    value text not null
);

-- expect: hardcoded-secret
insert into public.settings (key, value) values
    ('service_key', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl');

-- expect: hardcoded-secret
insert into public.settings (key, value) values ('aws', 'AKIAIOSFODNN7EXAMPLE');

-- expect: hardcoded-secret
insert into public.settings (key, value) values ('stripe', 'sk_live_51HxYzAbCdEfGhIjKlMn');

-- expect: hardcoded-secret
insert into public.settings (key, value) values ('openai', 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx');

-- a secret in a comment is just as public, and counts for the statement after it
-- expect: hardcoded-secret
insert into public.settings (key, value) values ('replica', 'postgresql://app:Pa55word@replica.internal:5432/app');

-- expect: hardcoded-secret
-- postgres://app:s3cret@db.example.com/app
select 1;

-- expect: hardcoded-secret
alter database postgres set app.jwt_secret = 'super-secret-jwt-token-with-at-least-32-characters';

-- expect: hardcoded-secret
select set_config('app.api_key', 'a1b2c3d4e5f6g7h8', false);

-- expect: hardcoded-secret
create user mapping for current_user server reporting options (user 'app', password 'hunter22');
