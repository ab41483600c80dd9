"""The synthetic data generator on real PostgreSQL: deterministic by seed, foreign keys and checks held,
and generic enough for a schema it has never seen."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.bench import DataProfile, generate, load_profile
from pgmanager.bench._data import tables_to_fill
from pgmanager.catalog import read_catalog
from pgmanager.db import connect
from pgmanager.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
PROFILE = load_profile(ROOT / "sql/queries/bench.toml", "sql/queries/bench.toml")


def table_checksum(conn: psycopg.Connection, table: str) -> str:
    schema, _, name = table.partition(".")
    row = conn.execute(sql.SQL("select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {} as t")
                       .format(sql.Identifier(schema, name))).fetchone()
    assert row is not None
    return str(row[0])


def broken_foreign_keys(conn: psycopg.Connection, schemas: list[str]) -> dict[str, int]:
    """Rows whose foreign key matches no referenced row, per constraint (checked here, not trusted)."""
    catalog = read_catalog(conn)
    out = {}
    for name in tables_to_fill(catalog, schemas, DataProfile()):
        table = catalog[name]
        for fk in table.foreign_keys:
            ref_schema, _, ref_name = fk.ref_table.partition(".")
            match = sql.SQL(" and ").join(sql.SQL("p.{} = c.{}").format(sql.Identifier(r), sql.Identifier(c))
                                          for c, r in zip(fk.columns, fk.ref_columns, strict=True))
            present = sql.SQL(" and ").join(sql.SQL("c.{} is not null").format(sql.Identifier(c)) for c in fk.columns)
            row = conn.execute(sql.SQL("select count(*) from {} as c where {} and not exists "
                                       "(select 1 from {} as p where {})").format(
                sql.Identifier(table.schema, table.name), present, sql.Identifier(ref_schema, ref_name),
                match)).fetchone()
            out[f"{name}.{fk.name}"] = row[0] if row else -1
    return out


@pytest.fixture
def two_clones(pgm_sandbox):
    names = [pgm_sandbox.clone() for _ in range(3)]
    conns = [connect(pgm_sandbox.dsn(n)) for n in names]
    yield conns
    for conn in conns:
        conn.close()
    for name in names:
        pgm_sandbox.box.drop(name)


def test_same_seed_same_rows_and_every_key_and_check_holds(two_clones) -> None:
    a, b, c = two_clones
    made = [generate(conn, scale=0.01, seed=seed, profile=PROFILE, schemas=["public"], bulk=True)
            for conn, seed in ((a, 7), (b, 7), (c, 8))]
    assert made[0].rows == made[1].rows
    assert made[0].rows["public.usage_metrics"] == 20_000 and made[0].rows["public.files"] == 2_000
    assert made[0].rows["auth.users"] == 100 and made[0].rows["public.users"] == 100  # one profile per auth user
    for table in made[0].rows:
        assert table_checksum(a, table) == table_checksum(b, table), table
    assert table_checksum(a, "public.projects") != table_checksum(c, "public.projects")

    # bulk loading skips the servers' foreign-key checks: they must hold by construction
    assert set(broken_foreign_keys(a, ["public"]).values()) == {0}
    roles = dict(a.execute("select role, count(*) from public.project_members group by 1").fetchall())
    assert set(roles) == {"owner", "editor", "viewer"} and roles["editor"] > roles["viewer"] > roles["owner"]
    per_user = [r[0] for r in a.execute("select count(*) from public.projects group by user_id").fetchall()]
    assert max(per_user) >= 8 * (sum(per_user) / len(per_user))  # skew: a few users own many projects
    assert a.execute("select count(*) from public.files where updated_at < created_at").fetchone() == (0,)
    nulls = a.execute("select count(*) filter (where project_id is null)::float / count(*) "
                      "from public.usage_metrics").fetchone()
    assert nulls is not None and 0.15 < nulls[0] < 0.25  # null_fraction 0.2
    # ANALYZE ran: the planner knows the sizes
    assert a.execute("select reltuples from pg_class where oid = 'public.usage_metrics'::regclass").fetchone() \
        == (20010.0,)
    # the secondary indexes dropped for the load are back
    assert a.execute("select count(*) from pg_indexes where indexname = any(%s)",
                     [["idx_usage_metrics_user_date", "idx_usage_metrics_project_date",
                       "idx_files_project_updated"]]).fetchone() == (3,)


UNSEEN = """
create schema shop;
create type shop.status as enum ('new', 'paid', 'shipped');
create table shop.customers (
    id bigint generated always as identity primary key,
    email text not null unique,
    tier text not null check (tier in ('free', 'pro')),
    score integer check (score between 1 and 5),
    created_at timestamptz not null default now()
);
create table shop.orders (
    id uuid primary key,
    customer_id bigint not null references shop.customers,
    status shop.status not null,
    total numeric(10, 2) not null check (total >= 0 and total < 500),
    note varchar(10),
    paid boolean not null default false,
    placed date not null,
    meta jsonb not null default '{"v": 1}'
);
create table shop.order_lines (
    order_id uuid not null references shop.orders on delete cascade,
    line integer not null check (line > 0),
    qty smallint not null check (qty between 1 and 9),
    primary key (order_id, line)
);
create table shop.notes (
    id serial primary key,
    parent_id integer references shop.notes (id),
    body text
);
"""


def test_an_unseen_schema_is_filled_from_its_catalog(empty_db) -> None:
    with empty_db.connect() as conn:
        conn.execute(UNSEEN)
        made = generate(conn, scale=0.01, seed=3, profile=DataProfile(), schemas=["shop"])
        assert made.rows["shop.customers"] == made.rows["shop.orders"] == made.rows["shop.notes"] == 100
        assert 95 <= made.rows["shop.order_lines"] <= 100  # a clashing (order_id, line) pair is skipped
        assert set(broken_foreign_keys(conn, ["shop"]).values()) == {0}
        assert {r[0] for r in conn.execute("select distinct tier from shop.customers")} == {"free", "pro"}
        assert conn.execute("select min(score) >= 1 and max(score) <= 5, count(distinct email) "
                            "from shop.customers").fetchone() == (True, 100)
        assert {r[0] for r in conn.execute("select distinct status::text from shop.orders")} == {"new", "paid",
                                                                                                   "shipped"}
        assert conn.execute("select min(qty) >= 1 and max(qty) <= 9, min(line) >= 1 from shop.order_lines") \
            .fetchone() == (True, True)
        assert conn.execute("select bool_and(meta = '{\"v\": 1}') and max(length(note)) <= 10 and max(total) < 500 "
                            "from shop.orders").fetchone() == (True,)
        assert conn.execute("select count(*) from shop.notes where parent_id is not null").fetchone() == (0,)


def test_what_cannot_be_generated_is_named(empty_db, tmp_path: Path) -> None:
    with empty_db.connect() as conn:
        conn.execute("create schema odd; create table odd.spots (id int primary key, at point not null)")
        with pytest.raises(ConfigError, match=r"cannot generate a value of type point for NOT NULL column "
                                              r"odd\.spots\.at: give it an sql expression"):
            generate(conn, scale=0.01, seed=1, profile=DataProfile(), schemas=["odd"])
    bad = tmp_path / "bench.toml"
    for text, where in (('[tables."a.b"]\nrows = -1\n', "tables.a.b.rows"),
                        ('[tables."a.b".columns]\nx = { values = [] }\n', "tables.a.b.columns.x"),
                        ("window = [\"2024-02-01\", \"2024-01-01\"]\n", "bench.toml"),
                        ("rows = [\n", "bench.toml")):
        bad.write_text(text)
        with pytest.raises(ConfigError) as info:
            load_profile(bad, "bench.toml")
        assert info.value.where is not None and info.value.where.startswith("bench.toml"), info.value
        assert where in str(info.value), str(info.value)
