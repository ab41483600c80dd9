"""A Flyway project's configuration (Spring Boot's, flyway.conf, flyway.toml, FLYWAY_*): placeholders
replaced as Flyway replaces them, so the SQL we lint and run is the SQL Flyway runs; a database Flyway
migrated (its checksums over the files as written, its history table where the configuration puts it)
is taken over, by the project as it is and by its import; a placeholder without a value is one line
naming file:line:col; a secret one is never printed, recorded or imported; the locations are the folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest
from _adopt_support import run_sql, status_json

from pgmanager.config import load_settings
from pgmanager.layouts import flyway, load_project

V1 = "create schema if not exists ${app_schema};\ncreate table ${app_schema}.items (id bigint primary key);\n"
V2 = ("alter table ${app_schema}.items add column owner text default '${owner}';\n"
      "comment on table ${app_schema}.items is 'in ${flyway:defaultSchema}, from ${flyway:filename}';\n")
R_VIEW = "create or replace view ${app_schema}.item_ids as select id from ${app_schema}.items;\n"


def _project(root: Path, conf: str = "flyway.placeholders.app_schema=shop\nflyway.placeholders.owner=ops\n") -> Path:
    folder = root / "db" / "migration"
    folder.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pgmanager]\nlayout = "flyway"\nauth_emulation = ""\nseed = ""\n')
    (root / "flyway.conf").write_text(conf)
    (folder / "V1__items.sql").write_text(V1)
    (folder / "V2__owner.sql").write_text(V2)
    (folder / "R__item_ids.sql").write_text(R_VIEW)
    return root


def _texts(root: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    old = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        project = load_project(load_settings(root))
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert project.problems == [], project.problems
    return {f.path.name: f.text for f in [*project.migrations, *project.repeatables]}


def test_placeholders_come_from_flyway_conf_then_flyway_toml_then_the_environment(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    texts = _texts(root)
    assert texts["V1__items.sql"] == V1.replace("${app_schema}", "shop")  # lines kept where they were
    assert texts["V2__owner.sql"] == ("alter table shop.items add column owner text default 'ops';\n"
                                      "comment on table shop.items is 'in public, from V2__owner.sql';\n")
    (root / "flyway.toml").write_text('[flyway]\ndefaultSchema = "app"\n\n[flyway.placeholders]\nowner = "toml"\n')
    assert "default 'toml'" in _texts(root)["V2__owner.sql"] and "in app," in _texts(root)["V2__owner.sql"]
    env = _texts(root, {"FLYWAY_PLACEHOLDERS_OWNER": "env", "FLYWAY_PLACEHOLDERS_APP_SCHEMA": "store"})
    assert "store.items" in env["V1__items.sql"] and "default 'env'" in env["V2__owner.sql"]
    # Flyway's checksum is over the file as written, whatever the values
    raw = (root / "db" / "migration" / "V1__items.sql").read_bytes()
    assert flyway.crc32(raw) == flyway.crc32(V1.encode())


def test_replacement_turned_off_for_the_project_or_for_one_script(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", conf="flyway.placeholders.app_schema=shop\nflyway.placeholders.owner=ops\n"
                                         "flyway.placeholderPrefix=#[\nflyway.placeholderSuffix=]\n")
    (root / "db" / "migration" / "V1__items.sql").write_text(V1.replace("${app_schema}", "#[app_schema]"))
    (root / "db" / "migration" / "V2__owner.sql").write_text("select '${left as it is}';\n")
    (root / "db" / "migration" / "R__item_ids.sql").write_text("select '#[owner]';\n")
    (root / "db" / "migration" / "R__item_ids.sql.conf").write_text("placeholderReplacement=false\n")
    texts = _texts(root)
    assert texts["V1__items.sql"] == V1.replace("${app_schema}", "shop")
    assert texts["V2__owner.sql"] == "select '${left as it is}';\n"  # not this prefix: plain SQL
    assert texts["R__item_ids.sql"] == "select '#[owner]';\n"  # this script replaces nothing
    (root / "flyway.conf").write_text("flyway.placeholderReplacement=false\n")
    (root / "db" / "migration" / "V1__items.sql").write_text("select '#[app_schema]';\n")
    assert _texts(root)["V1__items.sql"] == "select '#[app_schema]';\n"


@pytest.mark.parametrize(("sql", "message"), [
    ("select 1;\nselect '${nobody}';\n", "db/migration/V3__x.sql:2:9: placeholder ${nobody} has no value: set "
                                         "flyway.placeholders.nobody in flyway.conf (or FLYWAY_PLACEHOLDERS_NOBODY)"),
    ("select '${flyway:user}';\n", "db/migration/V3__x.sql:1:9: placeholder ${flyway:user} depends on the "
                                   "connection or the run"),
])
def test_a_placeholder_without_a_value_is_one_line_and_nothing_runs(sql: str, message: str, tmp_path: Path,
                                                                    empty_db, cli) -> None:
    root = _project(tmp_path / "p")
    (root / "db" / "migration" / "V3__x.sql").write_text(sql)
    result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn)
    assert result.code == 1, result.out + result.err  # a file that cannot be used: refused
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), lines
    with psycopg.connect(empty_db.dsn) as conn:
        assert conn.execute("select to_regnamespace('shop'), to_regnamespace('pgmanager')").fetchone() == (None, None)


def test_a_bad_flyway_toml_names_the_file(tmp_path: Path, cli) -> None:
    root = _project(tmp_path / "p")
    (root / "flyway.toml").write_text("[flyway\n")
    result = cli("plan", "-C", str(root))
    assert result.code == 1 and result.err.startswith("error: flyway.toml:1:1: not valid TOML"), result.err
    (root / "flyway.toml").write_text('[flyway]\nplaceholderSuffix = ""\n')
    result = cli("plan", "-C", str(root))
    assert result.code == 1, result.err
    assert result.err.strip() == ("error: flyway.toml:1:1: placeholderPrefix and placeholderSuffix must not be "
                                  "empty (every word would be a placeholder)")
    (root / "flyway.toml").unlink()
    result = cli("plan", "-C", str(root), env={"FLYWAY_PLACEHOLDER_PREFIX": ""})
    assert result.code == 1 and result.err.startswith("error: FLYWAY_PLACEHOLDER_PREFIX:1:1: placeholderPrefix"), \
        result.err


def _flyway_migrated(dsn: str, root: Path, values: dict[str, str],
                     table: str = "public.flyway_schema_history") -> None:
    """What `flyway migrate` leaves: the replaced SQL run, each row's checksum over the file as written."""
    folder = root / "db" / "migration"
    run_sql(dsn, f"""create table {table} (
        installed_rank integer not null primary key, version varchar(50), description varchar(200) not null,
        type varchar(20) not null, script varchar(1000) not null, checksum integer,
        installed_by varchar(100) not null, installed_on timestamp not null default now(),
        execution_time integer not null, success boolean not null)""")
    builtin = {"flyway:defaultSchema": "public"}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for rank, name in enumerate(["V1__items.sql", "V2__owner.sql", "R__item_ids.sql"], 1):
            text = (folder / name).read_text()
            for key, value in {**values, **builtin, "flyway:filename": name}.items():
                text = text.replace("${" + key + "}", value)
            conn.execute(text)  # type: ignore[call-overload]
            version = name[1] if name[0] == "V" else None
            conn.execute(f"insert into {table} values (%s, %s, %s, 'SQL', %s, %s, 'ci', now(), "  # type: ignore[arg-type]
                         "3, true)", [rank, version, name.split("__")[1][:-4], name,
                                      flyway.crc32((folder / name).read_bytes())])


def test_a_database_flyway_migrated_with_placeholders_is_taken_over_and_new_files_are_replaced(
        tmp_path: Path, empty_db, cli) -> None:
    root = _project(tmp_path / "p")
    _flyway_migrated(empty_db.dsn, root, {"app_schema": "shop", "owner": "ops"})
    report = status_json(cli, root, empty_db.dsn)
    assert {(e["state"], e["source"]) for e in report["entries"]} == {("applied", "flyway")}, report["entries"]
    (root / "db" / "migration" / "V3__tags.sql").write_text("create table ${app_schema}.tags (tag text);\n")
    result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn, "--format", "json")
    assert result.code == 0, result.err
    assert [Path(s["file"]).name for s in json.loads(result.out)["steps"]] == ["V3__tags.sql"]
    with psycopg.connect(empty_db.dsn) as conn:
        assert conn.execute("select to_regclass('shop.tags') is not null").fetchone() == (True,)
    # the imported project holds the replaced SQL and Flyway's checksums, and takes over the same way
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n')
    run = cli("import", "--from", "flyway", str(root), "-C", str(ours))
    assert run.code == 0, run.err
    imported = load_project(load_settings(ours))
    assert imported.problems == [] and not any("${" in f.text for f in imported.migrations)
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        conn.execute("drop schema pgmanager cascade")
        conn.execute("drop table shop.tags")
        conn.execute("delete from public.flyway_schema_history where version = '3'")
    again = cli("migrate", "-C", str(ours), "--dsn", empty_db.dsn, "--format", "json")
    assert again.code == 0, again.err
    assert [Path(s["file"]).name.split("_", 1)[1] for s in json.loads(again.out)["steps"]] == ["tags.sql"]


SECRET = "Sup3r-s3cret!pw"
ROLE_SQL = "create role ${app_role} login password '${app_password}';\n"


def test_a_secret_placeholder_runs_but_is_never_printed_recorded_or_imported(tmp_path: Path, empty_db,
                                                                              cli) -> None:
    root = _project(tmp_path / "p", conf=f"flyway.placeholders.app_schema=shop\nflyway.placeholders.owner=ops\n"
                                         f"flyway.placeholders.app_role=pgm_t_app\n"
                                         f"flyway.placeholders.app_password={SECRET}\n")
    (root / "db" / "migration" / "V3__role.sql").write_text(ROLE_SQL)
    try:
        plan = cli("plan", "-C", str(root), "--dsn", empty_db.dsn, "--sql")
        assert plan.code == 0, plan.err
        assert "create role pgm_t_app login password '***'" in plan.out and SECRET not in plan.out + plan.err
        result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn, "--format", "json")
        assert result.code == 0, result.err
        assert SECRET not in result.out + result.err
        with psycopg.connect(empty_db.dsn) as conn:
            (script,) = conn.execute("select script from pgmanager.schema_history where key = '3'").fetchone()
        assert script == ROLE_SQL  # as written: the history keeps no value
        dsn = psycopg.conninfo.make_conninfo(empty_db.dsn, user="pgm_t_app", password=SECRET)
        with psycopg.connect(dsn) as conn:  # the replaced SQL ran: the role logs in with the secret
            assert conn.execute("select current_user").fetchone() == ("pgm_t_app",)
        ours = tmp_path / "ours"
        ours.mkdir()
        (ours / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n')
        run = cli("import", "--from", "flyway", str(root), "-C", str(ours))
        assert run.code == 2, run.out + run.err
        assert run.err.strip().splitlines() == [
            "error: db/migration/V3__role.sql:1:41: placeholder ${app_password} holds a secret, and the converted "
            "file would hold its value: take the secret out of the migration (set it outside migrations, or from a "
            "secret store at run time), then import"]
        assert sorted(p.name for p in ours.rglob("*")) == ["pyproject.toml"]  # nothing written
    finally:
        with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
            conn.execute("drop role if exists pgm_t_app")


def test_a_spring_boot_project_is_guessed_and_its_application_yml_gives_the_placeholders(tmp_path: Path) -> None:
    root = tmp_path / "service"
    folder = root / "src" / "main" / "resources" / "db" / "migration"
    folder.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n')  # layout unset
    (folder / "V1__items.sql").write_text(V1)
    (folder / "V2__owner.sql").write_text(V2)
    (root / "src" / "main" / "resources" / "application.yml").write_text(
        "spring:\n  flyway:\n    schemas: app\n    placeholders:\n      app_schema: shop\n      owner: spring\n"
        "server:\n  port: 8080\n")
    project = load_project(load_settings(root))
    assert project.layout == "flyway" and project.problems == [], project.problems
    texts = {f.path.name: f.text for f in project.migrations}
    assert texts["V1__items.sql"] == V1.replace("${app_schema}", "shop")
    assert "default 'spring'" in texts["V2__owner.sql"] and "in app," in texts["V2__owner.sql"]
    (root / "src" / "main" / "resources" / "application.properties").write_text(
        "spring.flyway.placeholder-prefix=@{\n")  # Spring's kebab-case name: the prefix is @{ now
    assert {f.path.name: f.text for f in load_project(load_settings(root)).migrations}["V1__items.sql"] == V1
    (root / "src" / "main" / "resources" / "application.yml").write_text("spring: [unclosed\n")
    (problem,) = load_project(load_settings(root)).problems
    assert (problem.file, problem.rule) == ("src/main/resources/application.yml", "placeholder")
    assert problem.message.startswith("not valid YAML"), problem.message


def test_the_configured_locations_are_the_migrations_folders(tmp_path: Path) -> None:
    root = tmp_path / "p"
    for sub, name, sql in (("sql/schema", "V1__items.sql", V1), ("sql/later", "V1_1__tags.sql",
                           "create table ${app_schema}.tags (tag text);\n"), ("sql/schema", "V2__owner.sql", V2)):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / name).write_text(sql)
    (root / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n')
    (root / "flyway.toml").write_text('[flyway]\nlocations = ["filesystem:sql/schema", "filesystem:sql/later"]\n'
                                      '[flyway.placeholders]\napp_schema = "shop"\nowner = "ops"\n')
    project = load_project(load_settings(root))
    assert project.layout == "flyway" and project.problems == [], project.problems
    assert [m.version for m in project.migrations] == ["1", "1.1", "2"]  # one order across both folders
    assert project.migrations[1].text == "create table shop.tags (tag text);\n"


def test_the_history_table_is_where_the_configuration_puts_it(tmp_path: Path, empty_db, cli) -> None:
    root = _project(tmp_path / "p", conf="flyway.placeholders.app_schema=shop\nflyway.placeholders.owner=ops\n"
                                         "flyway.schemas=deploy,shop\nflyway.table=deploy_history\n")
    run_sql(empty_db.dsn, "create schema deploy")
    _flyway_migrated(empty_db.dsn, root, {"app_schema": "shop", "owner": "ops"}, table="deploy.deploy_history")
    report = status_json(cli, root, empty_db.dsn)
    assert {(e["state"], e["source"]) for e in report["entries"]} == {("applied", "flyway")}, report["entries"]
    assert len(report["entries"]) == 3
    result = cli("migrate", "-C", str(root), "--dsn", empty_db.dsn, "--format", "json")
    assert result.code == 0 and json.loads(result.out)["steps"] == [], result.err
