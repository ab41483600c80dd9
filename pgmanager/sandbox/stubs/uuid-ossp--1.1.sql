-- pgmanager sandbox stand-in for uuid-ossp 1.1, declared as the real one (names, arguments, volatility):
-- v4 is gen_random_uuid() (random, as the real v4), v3 is computed from md5 as RFC 4122 says, nil and the
-- namespaces are constants; v1, v1mc and v5 (sha1) raise.
\echo Use "CREATE EXTENSION ""uuid-ossp""" to load this file. \quit

CREATE FUNCTION uuid_nil() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
    AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;
CREATE FUNCTION uuid_ns_dns() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
    AS $$ SELECT '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION uuid_ns_url() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
    AS $$ SELECT '6ba7b811-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION uuid_ns_oid() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
    AS $$ SELECT '6ba7b812-9dad-11d1-80b4-00c04fd430c8'::uuid $$;
CREATE FUNCTION uuid_ns_x500() RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
    AS $$ SELECT '6ba7b814-9dad-11d1-80b4-00c04fd430c8'::uuid $$;

CREATE FUNCTION uuid_generate_v4() RETURNS uuid VOLATILE STRICT PARALLEL SAFE LANGUAGE sql
    AS $$ SELECT pg_catalog.gen_random_uuid() $$;

CREATE FUNCTION uuid_generate_v3(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE
    LANGUAGE sql AS $$
    SELECT pg_catalog.encode(
        pg_catalog.set_byte(pg_catalog.set_byte(h, 6, (pg_catalog.get_byte(h, 6) & 15) | 48),
                            8, (pg_catalog.get_byte(h, 8) & 63) | 128), 'hex')::uuid
    FROM (SELECT pg_catalog.decode(pg_catalog.md5(pg_catalog.uuid_send($1) || pg_catalog.convert_to($2, 'UTF8')),
                                   'hex') AS h) AS d
$$;

CREATE FUNCTION uuid_generate_v1() RETURNS uuid VOLATILE STRICT PARALLEL SAFE LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'extension uuid-ossp is not available in this sandbox: uuid_generate_v1() has no stand-in'
        USING ERRCODE = 'feature_not_supported';
END
$$;
CREATE FUNCTION uuid_generate_v1mc() RETURNS uuid VOLATILE STRICT PARALLEL SAFE LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'extension uuid-ossp is not available in this sandbox: uuid_generate_v1mc() has no stand-in'
        USING ERRCODE = 'feature_not_supported';
END
$$;
CREATE FUNCTION uuid_generate_v5(namespace uuid, name text) RETURNS uuid IMMUTABLE STRICT PARALLEL SAFE
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'extension uuid-ossp is not available in this sandbox: uuid_generate_v5() has no stand-in'
        USING ERRCODE = 'feature_not_supported';
END
$$;
