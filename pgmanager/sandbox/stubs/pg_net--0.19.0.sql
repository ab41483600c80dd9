-- pgmanager sandbox stand-in for pg_net 0.19: schema net and its request functions, declared as pg_net
-- declares them and as Supabase grants them (security definer, search_path net, executable by the API
-- roles); every call raises instead of queueing a request.
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

CREATE SCHEMA IF NOT EXISTS net;

CREATE FUNCTION net.http_get(
    url text,
    params jsonb DEFAULT '{}'::jsonb,
    headers jsonb DEFAULT '{}'::jsonb,
    timeout_milliseconds int DEFAULT 5000
) RETURNS bigint
    LANGUAGE plpgsql PARALLEL UNSAFE SECURITY DEFINER SET search_path = net AS $$
BEGIN
    RAISE EXCEPTION 'extension pg_net is not available in this sandbox: net.http_get(%) was not queued', url
        USING ERRCODE = 'feature_not_supported',
              HINT = 'pgmanager stands in for pg_net so that the build goes on; calls need the real extension';
END
$$;

CREATE FUNCTION net.http_post(
    url text,
    body jsonb DEFAULT '{}'::jsonb,
    params jsonb DEFAULT '{}'::jsonb,
    headers jsonb DEFAULT '{"Content-Type": "application/json"}'::jsonb,
    timeout_milliseconds int DEFAULT 5000
) RETURNS bigint
    LANGUAGE plpgsql PARALLEL UNSAFE SECURITY DEFINER SET search_path = net AS $$
BEGIN
    RAISE EXCEPTION 'extension pg_net is not available in this sandbox: net.http_post(%) was not queued', url
        USING ERRCODE = 'feature_not_supported',
              HINT = 'pgmanager stands in for pg_net so that the build goes on; calls need the real extension';
END
$$;

CREATE FUNCTION net.http_delete(
    url text,
    params jsonb DEFAULT '{}'::jsonb,
    headers jsonb DEFAULT '{}'::jsonb,
    timeout_milliseconds int DEFAULT 5000,
    body jsonb DEFAULT NULL
) RETURNS bigint
    LANGUAGE plpgsql PARALLEL UNSAFE SECURITY DEFINER SET search_path = net AS $$
BEGIN
    RAISE EXCEPTION 'extension pg_net is not available in this sandbox: net.http_delete(%) was not queued', url
        USING ERRCODE = 'feature_not_supported',
              HINT = 'pgmanager stands in for pg_net so that the build goes on; calls need the real extension';
END
$$;

REVOKE ALL ON FUNCTION net.http_get(text, jsonb, jsonb, int), net.http_post(text, jsonb, jsonb, jsonb, int),
    net.http_delete(text, jsonb, jsonb, int, jsonb) FROM PUBLIC;

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA net TO %I', r);
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION net.http_get(text, jsonb, jsonb, int), '
                'net.http_post(text, jsonb, jsonb, jsonb, int), net.http_delete(text, jsonb, jsonb, int, jsonb) TO %I', r);
        END IF;
    END LOOP;
END
$$;
