"""Running the advisors on one connection: read-only, each finding placed where the project defines its object."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import psycopg

from ..catalog import PLATFORM_SCHEMAS
from ..errors import ConfigError, DatabaseError
from ..lint import LintConfig
from ..models import Finding, RuleInfo
from ..schema import SchemaModel, Where
from ._base import Advisor, AdvisorContext, Hit, Skipped, registry

ProgressFn = Callable[[str, int, int], None]

_FACTS = """
select (select count(*) from pg_catalog.pg_roles where rolname in ('anon', 'authenticated')) = 2 as api_roles,
       exists (select 1 from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
               where n.nspname = 'auth' and c.relname = 'users' and c.relkind in ('r', 'p')) as auth_users,
       exists (select 1 from pg_catalog.pg_class as c join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
               where n.nspname = 'storage' and c.relname = 'buckets' and c.relkind in ('r', 'p')) as buckets,
       pg_catalog.current_setting('server_version_num')::int as version,
       pg_catalog.current_setting('pgrst.db_schemas', true) as session_schemas,
       (select s from pg_catalog.pg_db_role_setting as d, unnest(d.setconfig) as s
        where d.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
          and s ~ '^pgrst\\.db_schemas='
        order by d.setrole <> 0 desc, d.setdatabase <> 0 desc limit 1) as stored_schemas
"""


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    rules: list[RuleInfo] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    exposed: list[str] = field(default_factory=list)
    exposed_from: str = "settings"
    supabase: bool = False
    ran: int = 0


def parse_db_schemas(value: str | None) -> list[str]:
    """The schemas of a pgrst.db_schemas value ('public, "My Schema"', with or without the key)."""
    if not value:
        return []
    value = value.split("=", 1)[1] if value.startswith("pgrst.db_schemas=") else value
    return [s.strip().strip('"') for s in value.split(",") if s.strip().strip('"')]


def selected(names: Iterable[str] | None) -> list[type[Advisor]]:
    advisors = registry()
    wanted = list(names or ())
    unknown = sorted(set(wanted) - set(advisors))
    if unknown:
        raise ConfigError(f"unknown advisor {unknown[0]!r}; known: {', '.join(advisors)}", where="--advisor")
    return [advisors[n] for n in wanted] if wanted else list(advisors.values())


def info(advisor: type[Advisor], config: LintConfig) -> RuleInfo:
    return RuleInfo(name=advisor.name, severity=config.severity_of(advisor.name, advisor.severity),
                    category=advisor.category, summary=advisor.summary(), help=advisor.help, docs=advisor.docs(),
                    url=config.url(advisor.name) if advisor.twin else None)


def run(conn: psycopg.Connection, *, exposed_schemas: list[str], config: LintConfig,
        names: Iterable[str] | None = None, statistics: bool = True, model: SchemaModel | None = None,
        places: Mapping[tuple[str, str], Where] | None = None, ignore_schemas: Iterable[str] = (),
        on_progress: ProgressFn | None = None) -> Outcome:
    """Every selected advisor on ``conn``, inside one read-only transaction that is rolled back.
    Objects in the platform's schemas (and ``ignore_schemas``: pgmanager's history) are not judged. Findings are
    placed where ``model`` defines their object, or ``places`` ((kind, name) -> where) for what it does not hold."""
    advisors = selected(names)
    out = Outcome()
    conn.execute("begin transaction isolation level repeatable read read only")
    try:
        # names resolve in pg_catalog only: no object of the target's can stand in for a catalog function, and
        # pg_get_expr prints every other name schema-qualified (auth.uid(), never uid())
        conn.execute("set local search_path = pg_catalog")
        facts = conn.execute(_FACTS).fetchone()
        assert facts is not None
        api_roles, auth_users, buckets, version, session_schemas, stored = facts
        from_target = parse_db_schemas(session_schemas) or parse_db_schemas(stored)
        out.exposed = from_target or list(exposed_schemas)
        out.exposed_from = "pgrst.db_schemas" if from_target else "settings"
        out.supabase = bool(api_roles)
        ctx = AdvisorContext(conn, out.exposed, [*PLATFORM_SCHEMAS, *ignore_schemas], bool(api_roles),
                             bool(auth_users), bool(buckets), int(version), statistics=statistics)
        for i, advisor in enumerate(advisors):
            if on_progress:
                on_progress(advisor.name, i, len(advisors))
            why = advisor.runs_on(ctx)
            if why is not None:
                out.skipped[advisor.name] = why
                continue
            rule = info(advisor, config)
            try:
                hits = list(advisor().check(ctx))
            except Skipped as exc:
                out.skipped[advisor.name] = str(exc)
                continue
            except psycopg.Error as exc:
                raise DatabaseError(f"advisor {advisor.name}: {str(exc).strip().splitlines()[0]}",
                                    where="advisors") from None
            out.rules.append(rule)
            out.ran += 1
            for hit in hits:
                file, line = locate(hit, model, places)
                out.findings.append(Finding(rule=advisor.name, severity=rule.severity, message=hit.message,
                                            file=file, line=line, help=advisor.help))
    finally:
        conn.execute("rollback")
    return out


def locate(hit: Hit, model: SchemaModel | None,
           places: Mapping[tuple[str, str], Where] | None = None) -> tuple[str, int]:
    """Where the project defines the object (file, line); else the object itself, as the database names it."""
    where: Where | None = (places or {}).get((hit.kind, hit.name))
    if where is None and model is not None:
        table = model.tables.get(hit.table or hit.name)
        if hit.kind == "policy":
            where = next((p.defined_in for p in model.policies if p.table == hit.table and p.name == hit.name), None)
        elif hit.kind == "index" and table is not None:
            where = next((ix.defined_in for ix in table.indexes if ix.name == hit.name), None) or table.defined_in
        elif hit.kind == "constraint" and table is not None:
            short = table.name.rsplit(".", 1)[-1]
            where = next((fk.defined_in for fk in table.foreign_keys  # unnamed: PostgreSQL's default name
                          if (fk.name or f"{short}_{'_'.join(fk.columns)}_fkey") == hit.name), None) \
                or table.defined_in
        elif hit.kind == "rls" and table is not None:
            where = table.rls_enabled_in or table.defined_in
        elif hit.kind == "function" and hit.name in model.functions:
            where = model.functions[hit.name].defined_in
        elif hit.name in model.views:
            where = model.views[hit.name].defined_in
        elif table is not None:
            where = table.defined_in
    if where is not None:
        return where[0], where[1]
    return (f"{hit.table}/{hit.name}" if hit.table else hit.name), 1
