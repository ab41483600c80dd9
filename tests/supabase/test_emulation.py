"""The Supabase emulation (sql/supabase_auth.sql) on an empty database: what it declares, applied twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

EMULATION = (Path(__file__).resolve().parent.parent.parent / "sql" / "supabase_auth.sql").read_text()


@pytest.fixture
def emulated(empty_db) -> Iterator[psycopg.Connection]:  # type: ignore[no-untyped-def]
    with empty_db.connect() as conn:
        conn.execute(EMULATION)
        conn.execute(EMULATION)  # re-run on a database where it ran: idempotent
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:  # a new session, as the API's
        yield conn


def test_the_search_path_is_supabases(emulated: psycopg.Connection) -> None:
    assert emulated.execute("show search_path").fetchone() == ('"$user", public, extensions',)
    available = {r[0] for r in emulated.execute("select name from pg_available_extensions")}
    rows = dict(emulated.execute("select extname, extnamespace::regnamespace::text from pg_extension").fetchall())
    for ext in {"uuid-ossp", "pgcrypto"} & available:
        assert rows[ext] == "extensions"
    if "uuid-ossp" in available:  # unqualified, as projects call it
        assert emulated.execute("select uuid_generate_v4() is not null").fetchone() == (True,)


def test_the_storage_helpers(emulated: psycopg.Connection) -> None:
    row = emulated.execute("select storage.foldername('u1/photos/cat.png'), storage.filename('u1/photos/cat.png'),"
                           " storage.extension('u1/photos/cat.png')").fetchone()
    assert row == (["u1", "photos"], "cat.png", "png")
    volatility = dict(emulated.execute(
        "select proname, provolatile from pg_proc where pronamespace = 'storage'::regnamespace"
        " and proname in ('foldername', 'filename', 'extension')").fetchall())
    assert volatility == {"foldername": "i", "filename": "i", "extension": "i"}
    emulated.execute("insert into storage.buckets (id, name) values ('b', 'b')")
    emulated.execute("insert into storage.objects (bucket_id, name, owner_id) values ('b', 'u1/a.txt', 'u1')")
    assert emulated.execute("select path_tokens from storage.objects").fetchone() == (["u1", "a.txt"],)
    rls = dict(emulated.execute("select relname, relrowsecurity from pg_class"
                                " where relnamespace = 'storage'::regnamespace and relkind = 'r'").fetchall())
    assert rls == {"buckets": True, "objects": True}
    grants = emulated.execute("select has_table_privilege('authenticated', 'storage.objects', 'insert'),"
                              " has_table_privilege('anon', 'storage.buckets', 'select')").fetchone()
    assert grants == (True, True)


def test_the_vault(emulated: psycopg.Connection) -> None:
    emulated.execute("select vault.create_secret('s3cret', 'api_key', 'the key')")
    row = emulated.execute("select secret, decrypted_secret, description from vault.decrypted_secrets"
                           " where name = 'api_key'").fetchone()
    assert row is not None and row[0] != "s3cret" and row[1:] == ("s3cret", "the key")
    sid = emulated.execute("select id from vault.secrets where name = 'api_key'").fetchone()
    assert sid is not None
    emulated.execute("select vault.update_secret(%s, 'n3w')", [sid[0]])
    assert emulated.execute("select decrypted_secret from vault.decrypted_secrets").fetchone() == ("n3w",)
    definer = emulated.execute("select bool_and(prosecdef), bool_or(has_function_privilege('anon', oid, 'execute'))"
                               " from pg_proc where pronamespace = 'vault'::regnamespace").fetchone()
    assert definer == (True, False)


def test_realtime_and_the_cli_history(emulated: psycopg.Connection) -> None:
    assert emulated.execute("select count(*) from pg_publication where pubname = 'supabase_realtime'").fetchone() \
        == (1,)
    cols = [r[0] for r in emulated.execute(
        "select column_name from information_schema.columns where table_schema = 'supabase_migrations'"
        " and table_name = 'schema_migrations' order by ordinal_position")]
    assert cols == ["version", "statements", "name"]
    settings = dict(emulated.execute("select rolname, array_to_string(rolconfig, ',') from pg_roles"
                                     " where rolname in ('anon', 'authenticated')").fetchall())
    assert "statement_timeout=3s" in settings["anon"] and "statement_timeout=8s" in settings["authenticated"]
