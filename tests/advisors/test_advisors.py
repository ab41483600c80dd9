"""`pgmanager advisors` on real PostgreSQL: tests/advisors/project triggers every advisor, tests/advisors/clean
none. Built twice in sandboxes on the session's server (as `check` builds), and once into a database that
plays the live target (--dsn), read by a role that may read nothing but the catalogs."""

from __future__ import annotations

import json
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, sql

from pgmanager.advisors import registry
from pgmanager.advisors.docs import main as docs_main
from pgmanager.api.advising_live import advisors
from pgmanager.api.building import build_database
from pgmanager.api.inputs import load
from pgmanager.api.linting import lint
from pgmanager.models import AdvisorsReport, Finding
from pgmanager.sandbox import Sandbox
from tests.conftest import run_cli

HERE = Path(__file__).resolve().parent
BAD, CLEAN = HERE / "project", HERE / "clean"
MIGRATION = "migrations/20240101000000_everything_wrong.sql"
READER = "pgm_advisors_reader"


def line_of(text: str) -> int:
    """The line of the bad migration where ``text`` starts a statement."""
    lines = (BAD / MIGRATION).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


def at(text: str) -> str:
    return f"{MIGRATION}:{line_of(text)}"


EXPECTED = {
    ("no-primary-key", at("create table public.audit_log")),
    ("rls-disabled-in-public", at("create table public.audit_log")),
    ("rls-disabled-in-public", at("create table public.notes")),
    ("sensitive-columns-exposed", at("create table public.audit_log")),
    ("unindexed-foreign-keys", at("create table public.accounts")),
    ("unindexed-foreign-keys", at("alter table public.events add constraint events_account_fk")),
    ("auth-rls-initplan", at('create policy "owners read"')),
    ("multiple-permissive-policies", at('create policy "shared read"')),
    ("rls-references-user-metadata", at('create policy "admins update"')),
    ("rls-policy-always-true", at('create policy "anyone inserts"')),
    ("policy-exists-rls-disabled", at('create policy "notes are public"')),
    ("rls-enabled-no-policy", at("alter table public.locked enable row level security")),
    ("duplicate-index", at("create index events_kind_again")),
    ("security-definer-view", at("create view public.account_names")),
    ("auth-users-exposed", at("create view public.user_emails")),
    ("materialized-view-in-api", at("create materialized view public.account_totals")),
    ("foreign-table-in-api", at("create foreign table public.remote_rows")),
    ("function-search-path-mutable", at("create function public.add_one")),
    ("security-definer-function-in-exposed-schema", at("create function public.purge_notes")),
    ("extension-in-public", at("create extension if not exists pg_trgm")),
    ("extension-versions-outdated", at("create extension if not exists pg_trgm")),
    ("unsupported-reg-types", at("create table public.jobs")),
    ("fkey-to-auth-unique", at("alter table public.jobs add column owner_email")),
    ("public-bucket-allows-listing", at('create policy "avatars are listed"')),
}
"""Every finding on the sandbox build: (advisor, where the project defines the object)."""

UNUSED = {("unused-index", at("create index events_kind ")), ("unused-index", at("create index events_kind_again"))}


def keys(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.rule, f"{f.file}:{f.line}") for f in findings}


def on_sandbox(project: Path, server: Sandbox) -> AdvisorsReport:
    settings, proj = load(project)
    return advisors(settings, proj, sandbox="dsn", sandbox_dsn=server.dsn())


@pytest.fixture(scope="module")
def bad(pgm_server: Sandbox) -> AdvisorsReport:
    return on_sandbox(BAD, pgm_server)


@pytest.fixture(scope="module")
def live(pgm_server: Sandbox) -> Iterator[str]:
    """The bad project built into a database of its own: the live target (--dsn)."""
    name = "pgm_advisors_" + secrets.token_hex(4)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    dsn = pgm_server.dsn(name)
    settings, proj = load(BAD)
    build_database(settings, proj, dsn, seed=False)
    yield dsn
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def on_live(dsn: str, **kwargs: object) -> AdvisorsReport:
    settings, proj = load(BAD)
    return advisors(settings, proj, dsn=dsn, **kwargs)  # type: ignore[arg-type]


def test_each_advisor_finds_its_object(bad: AdvisorsReport) -> None:
    assert keys(bad.findings) == EXPECTED
    assert bad.supabase and bad.exposed_schemas == ["public"] and bad.exposed_from == "settings"
    assert set(bad.skipped) == {"unused-index"}  # a fresh build has no usage statistics
    assert {r for r, _ in EXPECTED} | {"unused-index"} == set(registry()), "an advisor has no case in the project"
    assert not bad.ok


def test_the_clean_project_triggers_none(pgm_server: Sandbox) -> None:
    report = on_sandbox(CLEAN, pgm_server)
    assert report.findings == [] and report.ok
    assert report.advisors == len(registry()) - 1


def test_twins_share_the_rule_and_agree_with_lint(bad: AdvisorsReport) -> None:
    """Where a static rule is an advisor's twin, both report the same rule, level and fix at the same line."""
    settings, proj = load(BAD)
    static = lint(settings, proj, style=False, cache=False)
    twins = {name: a for name, a in registry().items() if a.twin}
    live_twin = [f for f in bad.findings if f.rule in twins and f.file.endswith(".sql")]
    assert keys(live_twin) == keys([f for f in static.findings if f.rule in twins])
    rules = {r.name: r for r in static.rules}
    for f in live_twin:
        assert (f.severity, f.help) == (rules[f.rule].severity, rules[f.rule].help)
    infos = {r.name: r for r in bad.rules}
    assert all(infos[n].docs == rules[n].docs for n in twins if n in rules)


def test_live_target_read_only_role_and_unused_indexes(pgm_server: Sandbox, live: str) -> None:
    """A role that may read only the catalogs finds the same, and nothing in the catalogs changes."""
    password = secrets.token_hex(8)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(READER)))
        conn.execute(sql.SQL("create role {} login password {}").format(sql.Identifier(READER), sql.Literal(password)))
    snapshot = """select md5(string_agg(format('%s %s %s %s', c.oid, c.relname, c.relrowsecurity, c.reloptions),
                  ',' order by c.oid)) || (select count(*) from pg_policy) || (select count(*) from pg_proc)
                  from pg_class as c"""
    try:
        with psycopg.connect(live, autocommit=True) as conn:
            before = conn.execute(snapshot).fetchone()
        owner = on_live(live)
        reader = on_live(conninfo.make_conninfo(live, user=READER, password=password))
        with psycopg.connect(live, autocommit=True) as conn:
            assert conn.execute(snapshot).fetchone() == before
    finally:
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(READER)))
    assert keys(owner.findings) == EXPECTED | UNUSED and owner.skipped == {}
    # storage.buckets is a table, not the catalog: the reader may not read it, and is told so
    assert set(reader.skipped) == {"public-bucket-allows-listing"}
    assert keys(reader.findings) == {k for k in keys(owner.findings) if k[0] != "public-bucket-allows-listing"}
    # once a query uses events_kind, only its twin is unused
    with psycopg.connect(live, autocommit=True) as conn:
        conn.execute("set enable_seqscan = off")
        conn.execute("select pg_stat_force_next_flush()")
        assert conn.execute("select count(*) from public.events where kind = 'x'").fetchone() == (0,)
        plan = "\n".join(r[0] for r in conn.execute("explain select count(*) from public.events where kind = 'x'"))
        used = "events_kind_again" if "events_kind_again" in plan else "events_kind "
    again = on_live(live, names=["unused-index"])
    assert keys(again.findings) == UNUSED - {("unused-index", at(f"create index {used}"))}


@pytest.mark.parametrize("where", ["database", "role"])
def test_exposed_schemas_from_pgrst_db_schemas(live: str, where: str) -> None:
    """The target's pgrst.db_schemas wins over the setting: with only `private` exposed, public's tables are not
    served, so no table of public lacks RLS in an exposed schema."""
    dbname = conninfo.conninfo_to_dict(live)["dbname"]
    target = (sql.SQL("database {}").format(sql.Identifier(str(dbname))) if where == "database"
              else sql.SQL("role authenticator in database {}").format(sql.Identifier(str(dbname))))
    with psycopg.connect(live, autocommit=True) as conn:
        conn.execute(sql.SQL("alter {} set pgrst.db_schemas = 'private, \"Api\"'").format(target))
    try:
        report = on_live(live, names=["rls-disabled-in-public", "no-primary-key"])
    finally:
        with psycopg.connect(live, autocommit=True) as conn:
            conn.execute(sql.SQL("alter {} reset pgrst.db_schemas").format(target))
    assert (report.exposed_schemas, report.exposed_from) == (["private", "Api"], "pgrst.db_schemas")
    assert keys(report.findings) == {("no-primary-key", at("create table public.audit_log"))}


def test_cli_sarif_junit_github_and_fail_on(live: str) -> None:
    common = ("advisors", "-C", str(BAD), "--dsn", live)
    sarif = run_cli(*common, "--format", "sarif")
    assert sarif.code == 1, sarif.err
    log = json.loads(sarif.out)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == set(registry())
    assert rules["unused-index"]["defaultConfiguration"]["level"] == "note"
    assert rules["security-definer-view"]["defaultConfiguration"]["level"] == "error"
    results = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
    assert ("duplicate-index", MIGRATION, line_of("create index events_kind_again")) in results
    # EXPECTED, plus one or two unused indexes (the test above has the live database use one)
    assert len([r for r in run["results"] if r["ruleId"] != "unused-index"]) == len(EXPECTED)
    assert {(r, f"{u}:{n}") for r, u, n in results if r == "unused-index"} <= UNUSED

    junit = run_cli(*common, "--format", "junit", "--fail-on", "error")
    assert junit.code == 1, junit.err
    suite = ET.fromstring(junit.out).find("testsuite")
    assert suite is not None and suite.get("failures") != "0"
    failures = [f.get("type") for f in suite.iter("failure")]
    assert "security-definer-view" in failures and "duplicate-index" not in failures  # a warning, below error

    github = run_cli(*common, "--format", "github", "--advisor", "duplicate-index")
    assert github.code == 1 and github.out.strip().splitlines() == [
        f"::warning file={MIGRATION},line={line_of('create index events_kind_again')},col=1,title=duplicate-index::"
        + github.out.split("::", 2)[2].strip()]

    infos = ("--advisor", "no-primary-key", "--advisor", "unindexed-foreign-keys", "--format", "json")
    passed = run_cli(*common, *infos, "--fail-on", "warning")
    assert passed.code == 0, passed.err
    assert {f["rule"] for f in json.loads(passed.out)["findings"]} == {"no-primary-key", "unindexed-foreign-keys"}
    assert run_cli(*common, *infos, "--fail-on", "info").code == 1


def test_bad_input_is_one_line_with_its_exit_code(live: str) -> None:
    unknown = run_cli("advisors", "-C", str(BAD), "--dsn", live, "--advisor", "no-such-advisor")
    assert unknown.code == 2 and unknown.err.count("\n") == 1 and "--advisor" in unknown.err
    assert "Traceback" not in unknown.err
    down = run_cli("advisors", "-C", str(BAD), "--dsn", "postgresql://nobody:s3cr3t-pw@127.0.0.1:1/nothing")
    assert down.code == 3 and down.err.count("\n") == 1 and "s3cr3t-pw" not in down.err + down.out


def test_docs_page_is_up_to_date() -> None:
    assert docs_main(["--check"]) == 0, "run python -m pgmanager.advisors.docs"
    root = HERE.parents[1]
    for a in registry().values():
        page = a.docs_page().split("#")[0]
        assert (root / page).is_file(), page
