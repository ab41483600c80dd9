-- pgmanager sandbox stand-in for pgcrypto 1.3, declared as the real one: gen_random_uuid() and
-- gen_random_bytes() come from the server's strong random source (gen_random_uuid's random bits),
-- digest() from the core hash functions (md5, sha224..sha512); crypt, gen_salt, hmac, the pgp_sym_*
-- and raw encrypt/decrypt functions raise.
\echo Use "CREATE EXTENSION pgcrypto" to load this file. \quit

CREATE FUNCTION gen_random_uuid() RETURNS uuid VOLATILE PARALLEL SAFE LANGUAGE sql
    AS $$ SELECT pg_catalog.gen_random_uuid() $$;

-- 14 of a v4 UUID's 16 bytes are wholly random (byte 6 holds the version, byte 8 the variant)
CREATE FUNCTION gen_random_bytes(integer) RETURNS bytea VOLATILE STRICT PARALLEL SAFE LANGUAGE plpgsql AS $$
DECLARE
    out bytea := ''::bytea;
    u bytea;
BEGIN
    IF $1 < 1 OR $1 > 1024 THEN
        RAISE EXCEPTION 'Length not in range' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WHILE pg_catalog.length(out) < $1 LOOP
        u := pg_catalog.uuid_send(pg_catalog.gen_random_uuid());
        out := out || pg_catalog.substring(u, 1, 6) || pg_catalog.substring(u, 8, 1)
                   || pg_catalog.substring(u, 10, 7);
    END LOOP;
    RETURN pg_catalog.substring(out, 1, $1);
END
$$;

CREATE FUNCTION digest(bytea, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql AS $$
DECLARE
    d bytea := $1;
BEGIN
    CASE pg_catalog.lower($2)
        WHEN 'md5' THEN RETURN pg_catalog.decode(pg_catalog.md5(d), 'hex');
        WHEN 'sha224' THEN RETURN pg_catalog.sha224(d);
        WHEN 'sha256' THEN RETURN pg_catalog.sha256(d);
        WHEN 'sha384' THEN RETURN pg_catalog.sha384(d);
        WHEN 'sha512' THEN RETURN pg_catalog.sha512(d);
        ELSE RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: digest(%) has no stand-in', $2
            USING ERRCODE = 'feature_not_supported';
    END CASE;
END
$$;
CREATE FUNCTION digest(text, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql AS $$
DECLARE
    d bytea := pg_catalog.convert_to($1, 'UTF8');
BEGIN
    CASE pg_catalog.lower($2)
        WHEN 'md5' THEN RETURN pg_catalog.decode(pg_catalog.md5(d), 'hex');
        WHEN 'sha224' THEN RETURN pg_catalog.sha224(d);
        WHEN 'sha256' THEN RETURN pg_catalog.sha256(d);
        WHEN 'sha384' THEN RETURN pg_catalog.sha384(d);
        WHEN 'sha512' THEN RETURN pg_catalog.sha512(d);
        ELSE RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: digest(%) has no stand-in', $2
            USING ERRCODE = 'feature_not_supported';
    END CASE;
END
$$;

CREATE FUNCTION hmac(text, text, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: hmac() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION hmac(bytea, bytea, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: hmac() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION crypt(text, text) RETURNS text IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: crypt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION gen_salt(text) RETURNS text VOLATILE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: gen_salt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION gen_salt(text, integer) RETURNS text VOLATILE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: gen_salt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION encrypt(bytea, bytea, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: encrypt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION decrypt(bytea, bytea, text) RETURNS bytea IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: decrypt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION pgp_sym_encrypt(text, text) RETURNS bytea VOLATILE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: pgp_sym_encrypt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION pgp_sym_encrypt(text, text, text) RETURNS bytea VOLATILE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: pgp_sym_encrypt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION pgp_sym_decrypt(bytea, text) RETURNS text IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: pgp_sym_decrypt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
CREATE FUNCTION pgp_sym_decrypt(bytea, text, text) RETURNS text IMMUTABLE STRICT PARALLEL SAFE LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'extension pgcrypto is not available in this sandbox: pgp_sym_decrypt() has no stand-in'
        USING ERRCODE = 'feature_not_supported'; END $$;
