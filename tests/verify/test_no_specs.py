"""`verify` on projects with no specs and no seed (issue 14): a world synthesised from the schema, the
matrix as its users, strangers that must not reach other users' rows (each leak pinned on a policy),
deny-all tables and default grants as notes, and schemas left out of exposed_schemas named.
The projects are in tests/verify/projects/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pgmanager.api import inputs, verifying
from pgmanager.models import VerifyReport

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = Path(__file__).resolve().parent / "projects"
LEAKY = "comments: signed-in users read comments"


def copy_project(name: str, dest: Path) -> Path:
    """A project of tests/verify/projects with this repository's Supabase emulation beside it."""
    root = dest / name
    shutil.copytree(PROJECTS / name, root)
    (root / "sql").mkdir()
    shutil.copy(ROOT / "sql" / "supabase_auth.sql", root / "sql" / "supabase_auth.sql")
    return root


def run(root: Path, box: Any, **overrides: Any) -> VerifyReport:
    settings, project = inputs.load(root, **overrides)
    return verifying.verify(settings, project, parts=("matrix",), box=box)


def cells(report: VerifyReport) -> dict[tuple[str, str, str], Any]:
    return {(c.table, c.identity, c.command): c for c in report.matrix}


@pytest.fixture
def notes_app(tmp_path: Path) -> Path:
    return copy_project("notes_app", tmp_path)


@pytest.fixture
def accounts_kit(tmp_path: Path) -> Path:
    return copy_project("accounts_kit", tmp_path)


def test_the_world_is_synthesised_from_the_schema(notes_app: Path, pgm_server) -> None:
    report = run(notes_app, pgm_server)
    assert report.world is not None and len(report.world.users) == 3
    # every table got rows: profiles one per user (its key is the user), the others two per user,
    # comments through notes and profiles of the same user, NOT NULL columns from enums and CHECKs
    assert report.world.rows == {"auth.users": 3, "public.profiles": 3, "public.notes": 6,
                                 "public.note_comments": 6, "public.audit_log": 6}
    assert list(report.world.rows).index("public.notes") < list(report.world.rows).index("public.note_comments")
    assert report.world.skipped == {}
    grid = cells(report)
    # the matrix measures authenticated users, not only anon and service_role
    assert {i for (_, i, _) in grid} == {"anon", "owner", "stranger", "service_role"}
    assert (grid[("public.notes", "owner", "UPDATE")].rows, grid[("public.notes", "stranger", "DELETE")].rows) == (2, 2)
    assert grid[("public.notes", "owner", "INSERT")].outcome == "allowed"
    assert grid[("public.notes", "stranger", "INSERT")].outcome == "denied"  # a copy of another user's note


def test_the_leaky_policy_is_named_and_public_rows_are_not_leaks(notes_app: Path, pgm_server) -> None:
    report = run(notes_app, pgm_server)
    assert [(p.rule, p.file, p.line) for p in report.problems] == [("stranger-leak", "policies/note_comments.sql", 6)]
    leak = report.problems[0]
    assert f'through policy "{LEAKY}"' in leak.message
    assert leak.message.startswith("public.note_comments: owner, stranger, user3 can read rows of other users "
                                   "(6 in all)")
    grid = cells(report)
    assert not grid[("public.note_comments", "stranger", "SELECT")].passed
    assert LEAKY in grid[("public.note_comments", "stranger", "SELECT")].message
    # the stranger reads other users' public notes (is_public), which a policy makes public: no leak
    notes = grid[("public.notes", "stranger", "SELECT")]
    assert notes.passed and notes.rows is not None and notes.rows > 2  # two own notes, and public ones
    assert grid[("public.profiles", "stranger", "SELECT")].passed  # using (true): public on purpose
    assert report.failures == 3 and not report.ok  # the finding and the two leaking cells


def test_deny_all_and_default_grants_are_notes_not_failures(notes_app: Path, pgm_server) -> None:
    report = run(notes_app, pgm_server)
    notes = {(n.rule, n.file): n for n in report.notes}
    deny = notes[("rls-deny-all", "public.audit_log")]
    assert deny.severity == "info" and "Supabase's deny-all" in deny.message
    default = notes[("default-grant", "policies/notes.sql")]
    assert default.message.startswith("public.notes: anon DELETE, anon INSERT, anon UPDATE come from the schema's "
                                      "default privileges")
    assert not any(p.rule in ("missing-policy", "rls-deny-all", "default-grant") for p in report.problems)


def test_an_explicit_grant_without_policy_is_still_an_error(notes_app: Path, pgm_server) -> None:
    (notes_app / "migrations" / "20240101000400_grant_to_anon.sql").write_text(
        "create schema api;\ngrant usage on schema api to anon;\n"
        "create table api.feedback (id uuid primary key default gen_random_uuid(), body text not null);\n"
        "alter table api.feedback enable row level security;\n"
        "create policy \"feedback: anon reads\" on api.feedback for select to anon using (true);\n"
        "grant select, insert on api.feedback to anon;\n")
    report = run(notes_app, pgm_server, exposed_schemas=["public", "api"])
    missing = [p.message for p in report.problems if p.rule == "missing-policy"]
    assert len(missing) == 1 and missing[0].startswith("api.feedback: anon is granted INSERT but no policy covers it")


def test_write_leaks_are_named_even_on_public_rows(notes_app: Path, pgm_server) -> None:
    with (notes_app / "policies" / "notes.sql").open("a") as f:
        f.write('\ncreate policy "notes: anyone tidies up" on public.notes for delete to authenticated using (true);\n'
                'create policy "notes: guests fix typos in public notes" on public.notes for update to anon\n'
                '    using (is_public);\n'
                'create policy "notes: signed-in users add notes" on public.notes for insert to authenticated\n'
                '    with check (auth.uid() is not null);\n')
    report = run(notes_app, pgm_server)
    by_policy = {p.message.split('through policy "')[1].split('"')[0]: p for p in report.problems}
    assert set(by_policy) == {LEAKY, "notes: anyone tidies up", "notes: guests fix typos in public notes",
                              "notes: signed-in users add notes"}
    tidy = by_policy["notes: anyone tidies up"]
    assert tidy.message.startswith("public.notes: owner, stranger, user3 can delete rows of other users (6 in all)")
    assert (tidy.file, tidy.line) == ("policies/notes.sql", 29)
    guests = by_policy["notes: guests fix typos in public notes"]
    assert guests.message.startswith("public.notes: anon can update rows of other users")
    assert "never to change" in guests.message
    assert not cells(report)[("public.notes", "anon", "UPDATE")].passed
    # a copy of another user's note, inserted under that WITH CHECK alone, stays the other user's
    insert = by_policy["notes: signed-in users add notes"]
    assert insert.message.startswith("public.notes: owner, stranger, user3 can insert rows of other users (3 in all)")
    assert "WITH CHECK" in insert.message


def test_fixing_the_policy_clears_the_leak(notes_app: Path, pgm_server) -> None:
    path = notes_app / "policies" / "note_comments.sql"
    path.write_text(path.read_text().replace("using (auth.uid() is not null)",
                                             "using (author_id = (select auth.uid()))"))
    report = run(notes_app, pgm_server)
    assert report.problems == [] and report.ok, [p.message for p in report.problems]
    assert cells(report)[("public.note_comments", "stranger", "SELECT")].rows == 2  # its own two


def test_a_schema_left_out_of_exposed_schemas_is_named(accounts_kit: Path, cli) -> None:
    res = cli("verify", "--only", "matrix", cwd=accounts_kit)
    assert res.code == 1, res.out + res.err  # nothing was verified: still a failure
    assert ("tool.pgmanager.exposed_schemas: note: 0 tables in exposed schemas [public]; schema accounts has 5 "
            "tables; add it to exposed_schemas to verify them [unexposed-schema]") in res.out.splitlines()
    res = cli("verify", "--only", "matrix", "--format", "json", cwd=accounts_kit)
    report = json.loads(res.out)
    assert [(n["rule"], n["severity"], n["file"]) for n in report["notes"]] == [
        ("unexposed-schema", "info", "tool.pgmanager.exposed_schemas")]
    assert [p["rule"] for p in report["problems"]] == ["nothing-verified"]


def test_the_accounts_kit_verifies_clean_once_exposed(accounts_kit: Path, pgm_server) -> None:
    report = run(accounts_kit, pgm_server, exposed_schemas=["public", "accounts"])
    assert report.ok and report.problems == [], [p.message for p in report.problems]
    assert report.notes == []  # everything is exposed, every grant has its policy
    assert report.world is not None
    for table in ("accounts.accounts", "accounts.account_user", "accounts.invitations",
                  "accounts.billing_customers", "accounts.billing_subscriptions"):
        assert report.world.rows[table] == 6, table
    grid = cells(report)
    # each user is in the two accounts they own, and sees those (owner path: primary_owner_user_id)
    assert grid[("accounts.accounts", "stranger", "SELECT")].rows == 2
    assert grid[("accounts.billing_subscriptions", "owner", "SELECT")].rows == 2  # through the account
    assert grid[("accounts.accounts", "anon", "SELECT")].outcome == "denied"


def test_a_tenant_leak_is_pinned_on_its_policy(accounts_kit: Path, pgm_server) -> None:
    subs = accounts_kit / "policies" / "billing_subscriptions.sql"
    subs.write_text(subs.read_text().replace("using (accounts.has_role_on_account(account_id))",
                                             "using ((select auth.role()) = 'authenticated')"))
    accounts = accounts_kit / "policies" / "accounts.sql"
    accounts.write_text(accounts.read_text().replace(
        "using (primary_owner_user_id = (select auth.uid()))\n", "using (true)\n"))
    report = run(accounts_kit, pgm_server, exposed_schemas=["public", "accounts"])
    found = sorted((p.file, p.message.split(": ")[1].split(" rows")[0]) for p in report.problems)
    assert found == [("policies/accounts.sql", "owner, stranger, user3 can update"),
                     ("policies/billing_subscriptions.sql", "owner, stranger, user3 can read")]
    assert all(p.rule == "stranger-leak" for p in report.problems)


def test_a_table_the_world_cannot_fill_is_a_note_with_the_reason(notes_app: Path, pgm_server) -> None:
    (notes_app / "migrations" / "20240101000400_create_places.sql").write_text(
        "create table public.places (id uuid primary key default gen_random_uuid(),\n"
        "    user_id uuid not null references auth.users (id), at point not null);\n"
        "alter table public.places enable row level security;\n"
        "create table public.visits (id uuid primary key default gen_random_uuid(),\n"
        "    place_id uuid not null references public.places (id));\n"
        "alter table public.visits enable row level security;\n")
    report = run(notes_app, pgm_server)
    assert report.world is not None
    assert (report.world.rows["public.places"], report.world.rows["public.visits"]) == (0, 0)
    assert report.world.rows["public.notes"] == 6  # the rest of the world is still made
    assert report.world.skipped == {
        "public.places": "cannot generate a value of type point for NOT NULL column public.places.at: give it a "
                         "default",
        "public.visits": "public.visits(place_id) needs a row of public.places, which has none"}
    skipped = sorted(n.message for n in report.notes if n.rule == "world-skipped")
    assert skipped[0].startswith("synthesised world: public.places: cannot generate")
