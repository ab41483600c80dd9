-- pgmanager sandbox stand-in for pgsql-http 1.6: its types and commonly used functions, declared as the
-- real extension declares them; every call that would reach the network raises instead.
\echo Use "CREATE EXTENSION http" to load this file. \quit

CREATE DOMAIN @extschema@.http_method AS text;
CREATE DOMAIN @extschema@.content_type AS text CHECK (VALUE ~ '^\S+\/\S+');

CREATE TYPE @extschema@.http_header AS (field varchar, value varchar);
CREATE TYPE @extschema@.http_response AS (
    status integer,
    content_type varchar,
    headers @extschema@.http_header[],
    content varchar
);
CREATE TYPE @extschema@.http_request AS (
    method @extschema@.http_method,
    uri varchar,
    headers @extschema@.http_header[],
    content_type varchar,
    content varchar
);

-- pure: the real one is SQL too
CREATE FUNCTION @extschema@.http_header(field varchar, value varchar) RETURNS @extschema@.http_header
    AS $$ SELECT $1, $2 $$ LANGUAGE sql;

CREATE FUNCTION @extschema@.http(request @extschema@.http_request) RETURNS @extschema@.http_response
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'extension http is not available in this sandbox: % % was not sent', request.method, request.uri
        USING ERRCODE = 'feature_not_supported',
              HINT = 'pgmanager stands in for http so that the build goes on; calls need the real extension';
END
$$;

CREATE FUNCTION @extschema@.http_get(uri varchar) RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('GET', $1, NULL, NULL, NULL)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_get(uri varchar, data jsonb) RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('GET', $1, NULL, NULL, NULL)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_post(uri varchar, content varchar, content_type varchar)
    RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('POST', $1, NULL, $3, $2)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_post(uri varchar, data jsonb) RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('POST', $1, NULL, NULL, NULL)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_put(uri varchar, content varchar, content_type varchar)
    RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('PUT', $1, NULL, $3, $2)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_patch(uri varchar, content varchar, content_type varchar)
    RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('PATCH', $1, NULL, $3, $2)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_delete(uri varchar) RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('DELETE', $1, NULL, NULL, NULL)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_delete(uri varchar, content varchar, content_type varchar)
    RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('DELETE', $1, NULL, $3, $2)::@extschema@.http_request) $$ LANGUAGE sql;
CREATE FUNCTION @extschema@.http_head(uri varchar) RETURNS @extschema@.http_response
    AS $$ SELECT @extschema@.http(('HEAD', $1, NULL, NULL, NULL)::@extschema@.http_request) $$ LANGUAGE sql;
