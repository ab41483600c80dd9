"""Property: whatever the password (every printable ASCII character, some non-ASCII), and however it is
passed (URL raw or percent-encoded, key=value with quotes, PGPASSWORD), no output of pgmanager holds it.

Every password starts and ends with a distinctive marker, so it cannot appear in normal output by chance,
and a leaked piece of it that holds either end is caught too. The in-process properties of redact and of
the lenient DSN reading draw many examples; the CLI property, a real process per variant against a role
that really needs the password (scram), draws a few.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import conninfo, sql

from pgmanager import redaction
from pgmanager.db import dsn_problem, parse_dsn
from pgmanager.errors import DatabaseError
from pgmanager.redaction import dsn_passwords, redact, register_dsn
from pgmanager.sandbox import Sandbox

HEAD, TAIL = "PgmQz7", "Wx9Kq"
ALPHABET = "".join(chr(c) for c in range(0x20, 0x7F)) + "éßü€日ø"
passwords = st.text(alphabet=ALPHABET, min_size=4, max_size=24).map(lambda s: f"{HEAD}{s}{TAIL}")

OUTPUT = ("{host}:5432/db: applied 1 step(s) in 0.01 s\nerror: --dsn: invalid DSN: more than one '@'\n"
          '{"target": "postgresql://app:***@127.0.0.1:5432/db", "entries": []}\n')


def forms(password: str) -> set[str]:
    """The password as it may be printed: raw, percent-encoded, percent-decoded, JSON-escaped; its ends."""
    return {password, quote(password, safe=""), quote(password), unquote(password), json.dumps(password)[1:-1],
            json.dumps(password, ensure_ascii=False)[1:-1], HEAD, TAIL}


def url(password: str, *, user: str = "app", host: str = "127.0.0.1", port: int = 5432, db: str = "db",
        encode: bool = True) -> str:
    return f"postgresql://{user}:{quote(password, safe='') if encode else password}@{host}:{port}/{db}"


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    redaction.clear_secrets()
    yield
    redaction.clear_secrets()


# ------------------------------------------------------------------ in process, many examples


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=passwords, how=st.sampled_from(["url-raw", "url-encoded", "kv", "url-query"]))
def test_registered_dsn_hides_its_password_everywhere(password: str, how: str) -> None:
    redaction.clear_secrets()
    dsn = {"url-raw": url(password, encode=False), "url-encoded": url(password),
           "kv": conninfo.make_conninfo(host="h", user="app", password=password, dbname="db"),
           "url-query": f"postgresql://app@h/db?password={quote(password, safe='')}"}[how]
    register_dsn(dsn)
    text = "\n".join(f"<{form}> {OUTPUT}" for form in forms(password) - {HEAD, TAIL})
    redacted = redact(text + dsn)
    for form in forms(password) - {HEAD, TAIL}:
        assert form not in redacted, form
    assert OUTPUT in redacted  # nothing else was touched


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=passwords)
def test_lenient_reading_covers_what_libpq_reads(password: str) -> None:
    redaction.clear_secrets()
    raw = url(password, encode=False)
    found, _ = dsn_passwords(raw)
    assert password in found  # the raw text's password, however libpq misreads it
    try:
        params = parse_dsn(raw)
    except DatabaseError as exc:
        message = redact(str(exc))
        for form in forms(password):
            assert form not in message
        return
    if params.get("password"):
        assert params["password"] in found | {unquote(p) for p in found}
    if dsn_problem(raw, params) is None:  # accepted: libpq read no piece of the password as host, port or db
        for key in ("host", "port", "dbname"):
            assert HEAD not in str(params.get(key, "")) and TAIL not in str(params.get(key, "")), params


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=passwords)
def test_key_value_reading_matches_libpq(password: str) -> None:
    dsn = conninfo.make_conninfo(host="h", user="app", password=password, dbname="db")
    found, _ = dsn_passwords(dsn)
    assert conninfo.conninfo_to_dict(dsn)["password"] in found


# ------------------------------------------------------------------ real CLI processes, a few examples

PYPROJECT = """[tool.pgmanager]
migrations = "migrations"
policies = "policies"
views = "views"
auth_emulation = ""
seed = ""
"""


def launch(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL", "PGMANAGER_"))}
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "pgmanager", *args[:1], "-C", str(project), *args[1:]],
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Target:
    def __init__(self, box: Sandbox, root: Path) -> None:
        info = conninfo.conninfo_to_dict(box.dsn())
        self.box, self.host, self.port = box, str(info["host"]), int(info["port"])
        self.role = self.db = "pgm_redact_prop_" + os.urandom(4).hex()
        self.project = root
        for folder in ("migrations", "policies", "views"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        (root / "pyproject.toml").write_text(PYPROJECT)
        (root / "migrations" / "20240101000001_items.sql").write_text("create table public.items (id int);\n")
        with psycopg.connect(box.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("create role {} login").format(sql.Identifier(self.role)))
            conn.execute(sql.SQL("create database {} owner {}").format(sql.Identifier(self.db),
                                                                      sql.Identifier(self.role)))

    def set_password(self, password: str) -> None:
        with psycopg.connect(self.box.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(self.role),
                                                                     sql.Literal(password)))

    def url(self, password: str | None, *, encode: bool = True, port: int | None = None) -> str:
        if password is None:
            return f"postgresql://{self.role}@{self.host}:{port or self.port}/{self.db}"
        return url(password, user=self.role, host=self.host, port=port or self.port, db=self.db, encode=encode)

    def kv(self, password: str) -> str:
        return conninfo.make_conninfo(host=self.host, port=self.port, user=self.role, password=password,
                                      dbname=self.db)

    def drop(self) -> None:
        with psycopg.connect(self.box.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.db)))
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(self.role)))


@pytest.fixture(scope="module")
def target(pgm_server: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    t = Target(pgm_server, tmp_path_factory.mktemp("redact") / "proj")
    first = f"{HEAD}-first-{TAIL}"
    t.set_password(first)
    with pytest.raises(psycopg.OperationalError, match="password"):  # the password is really asked for
        psycopg.connect(t.url(None)).close()
    proc = launch(t.project, "migrate", "--dsn", t.url(first))  # the history belongs to the role
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, (out, err)
    yield t
    t.drop()


@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(password=passwords, failing=st.sampled_from(["wrong-password", "unreachable"]))
def test_cli_never_prints_the_password(target: Target, password: str, failing: str) -> None:
    """Seven real processes per example, run side by side: success in text and JSON (URL percent-encoded,
    key=value quoted, PGPASSWORD), the password raw in the URL (libpq accepts '#', '?', ':' there; other
    characters make it fail), and failures (an invalid percent-escape, a raw '@', then a wrong password or
    an unreachable server)."""
    target.set_password(password)
    with_at = f"{HEAD}@{password[len(HEAD):]}"
    runs = {  # name: (args, env, expected exit code or None when it depends on the characters drawn)
        "migrate-json": (("migrate", "--dsn", target.url(password), "--format", "json"), None, 0),
        "status-kv": (("status", "--dsn", target.kv(password)), None, 0),
        "plan-pgpassword": (("plan", "--dsn", target.url(None)), {"PGPASSWORD": password}, 0),
        "history-raw-json": (("status", "-v", "--dsn", target.url(password, encode=False), "--format", "json"),
                             None, None),
        "bad-percent-escape": (("status", "--dsn", target.url(password + "%zz", encode=False)), None, 3),
        "raw-at-sign": (("migrate", "--dsn", target.url(with_at, encode=False)), None, 3),
        failing: ((("migrate", "--dsn", target.url(password + "-wrong")) if failing == "wrong-password" else
                   ("status", "--dsn", target.url(password, port=1), "--format", "json")), None, 3),
    }
    procs = {name: launch(target.project, *args, env=env) for name, (args, env, _) in runs.items()}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        expected = runs[name][2]
        if expected is not None:
            assert proc.returncode == expected, (name, out, err)
        if proc.returncode not in (0, 1):
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), (name, err)
        for secret in (password, with_at, password + "-wrong"):
            for form in forms(secret):
                assert form not in out + err, (name, form, out, err)
