"""A realistic Supabase CLI project (tests/supabase/project) built by pgmanager in a sandbox, and applied
the way the Supabase CLI applies it (each file in its own transaction, in version order, recorded in
supabase_migrations.schema_migrations): both give the same catalog, and what the project uses works."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.api.building import build_database, project_extensions, sandbox_extensions
from pgmanager.config import load_settings
from pgmanager.layouts import load_project
from pgmanager.sandbox import EmbeddedProvider, LocalProvider, Sandbox, open_sandbox
from pgmanager.sandbox._extensions import offered

from ._catalog import catalog

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PROJECT = HERE / "project"
MIGRATIONS = sorted((PROJECT / "supabase" / "migrations").glob("*.sql"))
CREATED = {"vector", "http", "pg_net"}


def _has(provider: LocalProvider | EmbeddedProvider) -> frozenset[str]:
    bindir = provider.extension_bindir()
    return offered(bindir) if bindir is not None else frozenset()


LOCAL, EMBEDDED = _has(LocalProvider()), _has(EmbeddedProvider())
if "vector" not in LOCAL | EMBEDDED:
    pytest.skip("neither the local nor the embedded server ships pgvector: the project cannot be built here",
                allow_module_level=True)
EXPECTED_PROVIDER = "local" if "vector" in LOCAL else "embedded"
EXPECTED_STUBS = sorted(CREATED - (LOCAL if EXPECTED_PROVIDER == "local" else EMBEDDED))


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project in a folder of its own, with pgmanager's settings beside it (the emulation from this repo)."""
    dest = tmp_path_factory.mktemp("supabase") / "notes"
    shutil.copytree(PROJECT, dest)
    (dest / "pyproject.toml").write_text(
        "[tool.pgmanager]\nmigrations = \"supabase/migrations\"\n"
        f"auth_emulation = {json.dumps(str(ROOT / 'sql' / 'supabase_auth.sql'))}\nseed = \"\"\n")
    return dest


@pytest.fixture(scope="module")
def box(project_dir: Path) -> Iterator[Sandbox]:
    project = load_project(load_settings(project_dir))
    with open_sandbox("auto", extensions=sandbox_extensions(project)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def built(project_dir: Path, box: Sandbox) -> Iterator[str]:
    """A database built by pgmanager (emulation, then the migrations, as `check` builds it)."""
    settings = load_settings(project_dir)
    name = "pgm_sb_" + secrets.token_hex(4)
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    build_database(settings, load_project(settings), box.dsn(name), seed=False)
    yield box.dsn(name)
    box.drop(name)


@pytest.fixture(scope="module")
def by_cli(box: Sandbox) -> Iterator[str]:
    """A database where the platform (the emulation) is in place and the migrations were applied as the
    Supabase CLI applies them."""
    name = "pgm_cli_" + secrets.token_hex(4)
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    with psycopg.connect(box.dsn(name), autocommit=True) as conn:
        conn.execute((ROOT / "sql" / "supabase_auth.sql").read_text())
    with psycopg.connect(box.dsn(name), autocommit=True) as conn:  # a new session: the database's settings
        for path in MIGRATIONS:
            version, name_part = path.stem.split("_", 1)
            with conn.transaction():
                conn.execute(path.read_text())
                conn.execute("insert into supabase_migrations.schema_migrations (version, name, statements)"
                             " values (%s, %s, %s)", [version, name_part, [path.read_text()]])
    yield box.dsn(name)
    box.drop(name)


def test_the_project_creates_the_extensions_it_needs(project_dir: Path) -> None:
    project = load_project(load_settings(project_dir))
    assert project_extensions(project) == CREATED
    assert sandbox_extensions(project) == CREATED | {"uuid-ossp", "pgcrypto"}


def test_auto_picks_the_provider_with_pgvector_and_says_why(box: Sandbox) -> None:
    assert box.provider == EXPECTED_PROVIDER
    assert sorted(box.server.stubbed) == sorted(set(EXPECTED_STUBS) | ({"uuid-ossp", "pgcrypto"} - (
        LOCAL if EXPECTED_PROVIDER == "local" else EMBEDDED)))
    if EXPECTED_PROVIDER == "embedded":  # not auto's first choice: it says why
        assert box.server.choice.startswith("it has ")
        assert "local lacks vector" in box.server.choice


def test_pgmanager_and_the_supabase_cli_give_the_same_catalog(built: str, by_cli: str) -> None:
    with psycopg.connect(built) as a, psycopg.connect(by_cli) as b:
        ours, theirs = catalog(a), catalog(b)
        assert ours["policies"] and ours["functions"] and ours["publication"]
        for part in ours:
            assert ours[part] == theirs[part], part
        versions = b.execute("select version from supabase_migrations.schema_migrations order by version").fetchall()
        assert [v for (v,) in versions] == [p.stem.split("_", 1)[0] for p in MIGRATIONS]


def test_what_the_project_uses_works(built: str) -> None:
    with psycopg.connect(built) as conn:
        assert conn.execute("show search_path").fetchone() == ('"$user", public, extensions',)
        alice, bob = "5a1e0000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
        with conn.transaction(force_rollback=True):
            conn.execute("insert into auth.users (id, email, raw_user_meta_data) values (%s, 'a@x.io', %s),"
                         " (%s, 'b@x.io', '{}')", [alice, json.dumps({"full_name": "Alice"}), bob])
            # the signup trigger made the profiles
            assert conn.execute("select full_name from public.profiles where id = %s", [alice]).fetchone() == ("Alice",)
            conn.execute("set local role authenticated")
            conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps({"sub": alice})])
            row = conn.execute("insert into public.notes (title, embedding) values ('n', '[1,0,0]')"
                               " returning id, owner_id, length(share_token)").fetchone()
            assert row is not None and str(row[1]) == alice and row[2] == 32
            assert conn.execute("select count(*) from public.match_notes('[1,0,0]')").fetchone() == (1,)
            conn.execute("insert into storage.objects (bucket_id, name) values ('avatars', %s)", [f"{alice}/me.png"])
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("insert into storage.objects (bucket_id, name) values ('avatars', %s)",
                             [f"{bob}/me.png"])
            conn.execute("set local role anon")  # the bucket is public: anon reads alice's avatar
            conn.execute("select set_config('request.jwt.claims', '', true)")
            assert conn.execute("select count(*) from storage.objects where bucket_id = 'avatars'").fetchone() == (1,)
            assert conn.execute("select count(*) from public.notes").fetchone() == (0,)


@pytest.mark.parametrize("call, message", [
    ("select private.fetch_status('https://example.com/')", "extension http is not available in this sandbox"),
    ("select private.notify_note_shared(gen_random_uuid())", "extension pg_net is not available in this sandbox"),
])
def test_a_stand_in_raises_when_called(built: str, call: str, message: str) -> None:
    extension = re.search(r"extension (\w+)", message)
    assert extension is not None
    if extension[1] not in EXPECTED_STUBS:
        pytest.skip(f"{extension[1]} is real on this server: the call would go to the network")
    with psycopg.connect(built) as conn, conn.transaction(force_rollback=True):
        conn.execute("select vault.create_secret('https://hooks.example.com/n', 'webhook_url')")
        conn.execute("select vault.create_secret('t0k3n', 'webhook_token')")
        with pytest.raises(psycopg.errors.FeatureNotSupported, match=message), conn.transaction():
            conn.execute(call)


def test_check_builds_the_project_and_warns_about_the_stand_ins(cli, project_dir: Path) -> None:
    result = cli("check", "--no-style", cwd=project_dir)
    assert result.code == 0, result.out + result.err
    assert f"sandbox: {EXPECTED_PROVIDER} (" in result.out
    for ext in EXPECTED_STUBS:
        assert f"warning: extension {ext} is not available in this sandbox ({EXPECTED_PROVIDER})" in result.out
    for ext in CREATED - set(EXPECTED_STUBS):
        assert f"extension {ext} is not available" not in result.out
    as_json = cli("check", "--no-style", "--format", "json", cwd=project_dir)
    report = json.loads(as_json.out)
    assert report["ok"] and len(report["warnings"]) == len(EXPECTED_STUBS)
    assert [s["file"].rsplit("/", 1)[-1] for s in report["migrate"]["steps"]][1:] == [p.name for p in MIGRATIONS]
