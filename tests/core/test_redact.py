"""No password ever leaves pgmanager: redacted by value (registered where DSNs enter), by pattern as a
fallback, at the CLI's output boundary; undecodable or ambiguous DSNs are refused without being echoed."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import psycopg
import pytest
from psycopg import conninfo, sql

from pgmanager import redaction
from pgmanager.db import TWO_ATS, connect, describe, dsn_problem, parse_error, redact
from pgmanager.errors import DatabaseError
from pgmanager.redaction import RedactingStream, dsn_passwords, register_dsn, register_environment, register_secret
from pgmanager.sandbox import Sandbox


@pytest.fixture(autouse=True)
def _clean_registry() -> Iterator[None]:
    redaction.clear_secrets()
    yield
    redaction.clear_secrets()


# ------------------------------------------------------------------ the pattern-based fallback


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://bob:s3cr3t@db.example:5432/app", "postgresql://bob:***@db.example:5432/app"),
        ("postgres://bob:p%40ss@h/app?sslmode=require", "postgres://bob:***@h/app?sslmode=require"),
        ("host=h user=bob password=s3cr3t dbname=app", "host=h user=bob password=*** dbname=app"),
        ("host=h password='s3 cr3t' dbname=app", "host=h password=*** dbname=app"),
        ("postgresql://bob@h/app", "postgresql://bob@h/app"),
        ("postgresql://bob:Se#c?ret@h/app", "postgresql://bob:***@h/app"),
        ("postgresql://h:5432/app?user=a@b", "postgresql://h:5432/app?user=a@b"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_describe_has_no_user_or_password() -> None:
    assert describe("postgresql://bob:s3cr3t@db.example:6543/app") == "db.example:6543/app"


# ------------------------------------------------------------------ redaction by value


def test_a_registered_secret_is_redacted_in_every_form() -> None:
    pw = 'Se#c?r@t "é" <x>\\'
    register_secret(pw)
    for form in (pw, quote(pw, safe=""), json.dumps(pw)[1:-1], json.dumps(pw, ensure_ascii=True)[1:-1],
                 "Se#c?r@t &quot;é&quot; &lt;x&gt;\\"):
        assert redact(f"before {form} after") == "before *** after", form
    assert redact("nothing secret here") == "nothing secret here"


def test_percent_decoded_form_is_redacted_too() -> None:
    register_secret("p%40ss%2Fword")
    assert redact("said p@ss/word and p%40ss%2Fword") == "said *** and ***"


def test_longest_secret_wins() -> None:
    register_secret("abcd")
    register_secret("abcdefgh")
    assert redact("x abcdefgh y abcd z") == "x *** y *** z"


def test_short_values_are_not_registered() -> None:
    register_secret("ab")
    assert redact("a tab and a cab") == "a tab and a cab"


def test_lenient_reading_of_a_url_finds_every_candidate() -> None:
    passwords, _ = dsn_passwords("postgresql://u:Se@cr@et@localhost:5432/db")
    assert {"Se", "Se@cr@et"} <= passwords
    passwords, _ = dsn_passwords("postgresql://u:Sec%zzPw66@h/db")
    assert "Sec%zzPw66" in passwords
    passwords, _ = dsn_passwords("postgresql://u@h/db?sslmode=require&password=x%20yz")
    assert {"x%20yz", "x yz"} <= passwords
    assert dsn_passwords("postgresql://h:5432/db?user=a@b") == (set(), set())


@pytest.mark.parametrize("pw", ["s3 cr'et\\x", "plain-pw", "", "a\\'b c"])
def test_key_value_reading_matches_libpq(pw: str) -> None:
    dsn = conninfo.make_conninfo(host="h", user="u", password=pw, dbname="d")
    assert conninfo.conninfo_to_dict(dsn).get("password", "") == pw
    passwords, _ = dsn_passwords(dsn)
    assert pw in passwords or not pw


def test_unterminated_key_value_string_still_hides_the_password() -> None:
    register_dsn("host=h password='unterminated secret")
    assert "unterminated" not in redact("it was 'unterminated secret")


def test_service_file_password(tmp_path: Path) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text("# services\n[other]\npassword=OtherSecret1\n\n[mine]\nhost=h\n  password=Svc-Secret-9\n")
    register_environment({"PGSERVICE": "mine", "PGSERVICEFILE": str(services)})
    assert redact("Svc-Secret-9 OtherSecret1") == "*** OtherSecret1"
    register_dsn("service=other", {"PGSERVICEFILE": str(services)})
    assert redact("OtherSecret1") == "***"


def test_pgpassword_is_registered() -> None:
    register_environment({"PGPASSWORD": "Env-Secret-7"})
    assert redact("Env-Secret-7") == "***"


def test_redacting_stream_joins_pieces_of_a_line() -> None:
    register_secret("Stream-Secret")
    sink = io.StringIO()
    stream = RedactingStream(sink)
    stream.write("a Stream-")
    assert sink.getvalue() == ""
    stream.write("Secret b\nc Stream-Sec")
    assert sink.getvalue() == "a *** b\n"
    stream.flush()
    assert sink.getvalue() == "a *** b\nc Stream-Sec"  # a flush passes on what is pending, as is
    with pytest.raises(TypeError):
        stream.write(b"")  # type: ignore[arg-type]
    assert not hasattr(stream, "buffer")  # no way around the redaction


def test_parse_error_drops_the_quoted_text() -> None:
    with pytest.raises(psycopg.ProgrammingError) as exc:
        conninfo.conninfo_to_dict('postgresql://u:Sec%zzP"w66@h/db')
    message = parse_error(exc.value)
    assert message == "invalid percent-encoded token: \u2026"


@pytest.mark.parametrize("dsn", ["postgresql://u:Se@cret@localhost/db", "postgresql://u:Se/cret@localhost/db"])
def test_ambiguous_url_is_refused_before_connecting(dsn: str) -> None:
    assert describe(dsn) == "the target database"
    assert dsn_problem(dsn, conninfo.conninfo_to_dict(dsn))
    with pytest.raises(DatabaseError) as exc:
        connect(dsn)
    assert str(exc.value).startswith("--dsn: invalid DSN: ")
    assert "cret" not in str(exc.value)
    assert str(exc.value) == f"--dsn: {TWO_ATS}" or "'/'" in str(exc.value)


def test_legitimate_urls_are_not_refused() -> None:
    for dsn in ("postgresql://u:p%40ss@h:5432/db", "postgresql://h:5432/db?user=a@b", "postgresql://[::1]:5432/db",
                "postgresql://u:Se#c?ret@h/db", "postgresql://h1:5,h2:6/db"):
        assert dsn_problem(dsn, conninfo.conninfo_to_dict(dsn)) is None, dsn


# ------------------------------------------------------------------ the CLI, against a real server

PYPROJECT = """[tool.pgmanager]
migrations = "migrations"
policies = "policies"
views = "views"
auth_emulation = ""
seed = ""
"""


@dataclass
class Target:
    role: str
    dbname: str
    host: str
    port: int

    def url(self, password: str, *, encode: bool = True, port: int | None = None) -> str:
        pw = quote(password, safe="") if encode else password
        return f"postgresql://{self.role}:{pw}@{self.host}:{port or self.port}/{self.dbname}"

    def kv(self, password: str) -> str:
        return conninfo.make_conninfo(host=self.host, port=self.port, user=self.role, password=password,
                                      dbname=self.dbname)


def make_project(root: Path) -> Path:
    for folder in ("migrations", "policies", "views"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "migrations" / "20240101000001_items.sql").write_text("create table public.items (id int);\n")
    return root


def make_target(box: Sandbox, password: str) -> Target:
    """A database owned by a new login role with ``password`` (the sandbox's pg_hba asks it for scram)."""
    info = conninfo.conninfo_to_dict(box.dsn())
    target = Target("pgm_redact_" + secrets.token_hex(4), "pgm_redact_" + secrets.token_hex(4),
                    str(info["host"]), int(info["port"]))
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login password {}").format(sql.Identifier(target.role),
                                                                       sql.Literal(password)))
        conn.execute(sql.SQL("create database {} owner {}").format(sql.Identifier(target.dbname),
                                                                  sql.Identifier(target.role)))
    with pytest.raises(psycopg.OperationalError, match="password"):  # the password is really asked for
        psycopg.connect(f"postgresql://{target.role}@{target.host}:{target.port}/{target.dbname}").close()
    return target


def drop_target(box: Sandbox, target: Target) -> None:
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(target.dbname)))
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(target.role)))


PW = "Pgm-Se#c?ret é'\\x"  # '#' and '?' which libpq takes raw in a URL, a quote, a backslash, non-ASCII


@pytest.fixture
def target(pgm_server: Sandbox) -> Iterator[Target]:
    t = make_target(pgm_server, PW)
    yield t
    drop_target(pgm_server, t)


def forms(password: str) -> set[str]:
    return {password, quote(password, safe=""), quote(password), unquote(password), json.dumps(password)[1:-1],
            json.dumps(password, ensure_ascii=False)[1:-1]}


def assert_never_printed(result, *passwords: str) -> None:
    text = result.out + result.err
    for password in passwords:
        for form in forms(password):
            assert form not in text, (form, text)
    assert "Traceback" not in text


def assert_one_line_error(result, code: int = 3) -> str:
    assert result.code == code, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    return lines[0]


def test_password_with_hash_and_question_mark_is_never_printed(cli, tmp_path: Path, target: Target) -> None:
    project = make_project(tmp_path / "proj")
    raw = target.url("Pgm-Se#c?ret-pw", encode=False)  # exactly what the tester passed
    with psycopg.connect(target.url(PW)) as conn:
        conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(target.role),
                                                                 sql.Literal("Pgm-Se#c?ret-pw")))
    for args in (("migrate",), ("migrate", "--format", "json"), ("status",), ("status", "-v"),
                 ("status", "--format", "json"), ("plan",), ("plan", "--format", "json")):
        result = cli(args[0], "--dsn", raw, *args[1:], cwd=project)
        assert result.code == 0, (args, result.out, result.err)
        assert_never_printed(result, "Pgm-Se#c?ret-pw")
        if "json" in args:
            assert json.loads(result.out)["target"] == target.url("***", encode=False)


def test_key_value_dsn_with_quotes(cli, tmp_path: Path, target: Target) -> None:
    project = make_project(tmp_path / "proj")
    for args in (("migrate", "--format", "json"), ("status",)):
        result = cli(args[0], "--dsn", target.kv(PW), *args[1:], cwd=project)
        assert result.code == 0, (result.out, result.err)
        assert_never_printed(result, PW)
    wrong = cli("status", "--dsn", target.kv(PW + " wrong"), cwd=project)
    assert "authentication failed" in assert_one_line_error(wrong)
    assert_never_printed(wrong, PW)


@pytest.mark.parametrize(("password", "expected"), [
    ("Sec%zzPw66-pgm", "invalid percent-encoded token: …"),
    ("sp ace-Secret-pgm", "unexpected spaces found in …"),
    ("Sec@ret-pgm", "more than one '@' before the host; percent-encode '@' in the password as %40"),
    ("Sec/ret-pgm", "a '/' before the '@' that ends the user name and password"),
], ids=["percent-escape", "space", "at-sign", "slash"])
def test_a_dsn_libpq_misreads_is_refused_without_echo(cli, tmp_path: Path, target: Target, password: str,
                                                       expected: str) -> None:
    project = make_project(tmp_path / "proj")
    result = cli("status", "--dsn", target.url(password, encode=False), cwd=project)
    line = assert_one_line_error(result)
    assert line.startswith(f"error: --dsn: invalid DSN: {expected}"), line
    assert_never_printed(result, password)
    for fragment in ("Sec", "ret-pgm", "Pw66", "zz"):  # no piece of it either
        assert fragment not in line


def test_wrong_password_and_unreachable_host(cli, tmp_path: Path, target: Target) -> None:
    project = make_project(tmp_path / "proj")
    wrong = cli("migrate", "--dsn", target.url("Wrong#Pw?" + PW), cwd=project)
    assert "authentication failed: wrong user or password" in assert_one_line_error(wrong)
    unreachable = cli("status", "--dsn", target.url(PW, port=1), "--format", "json", cwd=project)
    assert "database unreachable" in assert_one_line_error(unreachable)
    for result in (wrong, unreachable):
        assert_never_printed(result, PW, "Wrong#Pw?" + PW)


def test_pgpassword_and_service_file(cli, tmp_path: Path, target: Target) -> None:
    project = make_project(tmp_path / "proj")
    no_pw = f"postgresql://{target.role}@{target.host}:{target.port}/{target.dbname}"
    ok = cli("status", "--dsn", no_pw, "--format", "json", cwd=project, env={"PGPASSWORD": PW})
    assert ok.code == 0, ok.err
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[pgm]\nhost={target.host}\nport={target.port}\nuser={target.role}\n"
                        f"dbname={target.dbname}\npassword={PW}\n")
    env = {"PGSERVICEFILE": str(services), "PGSERVICE": "pgm"}
    via_env = cli("status", cwd=project, env=env)
    assert via_env.code == 0, via_env.err
    via_dsn = cli("status", "--dsn", "service=pgm", "--format", "json", cwd=project,
                  env={"PGSERVICEFILE": str(services)})
    assert via_dsn.code == 0, via_dsn.err
    for result in (ok, via_env, via_dsn):
        assert_never_printed(result, PW)


def test_usage_error_echoing_a_dsn(cli, tmp_path: Path, target: Target) -> None:
    project = make_project(tmp_path / "proj")
    result = cli("status", target.url(PW, encode=False), cwd=project)  # --dsn forgotten: click echoes it
    assert result.code == 2
    assert "unexpected extra argument" in result.err
    assert_never_printed(result, PW)
