"""Provider choice by extension, offered extensions from control files, stand-in shadows, clone settings."""

from __future__ import annotations

import secrets
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.sandbox import LocalCluster, Sandbox
from pgmanager.sandbox._extensions import assess, offered, rank, sharedir, stub_names, with_stubs
from pgmanager.sandbox._providers import find_local_bindir
from pgmanager.sandbox._template import _list_elements


def _fake_install(root: Path, *extensions: str) -> Path:
    """A binary folder whose share folder ships ``extensions`` (no server: only listed, never started)."""
    bindir = root / "bin"
    bindir.mkdir(parents=True)
    ext = root / "share" / "postgresql" / "extension"
    ext.mkdir(parents=True)
    for name in extensions:
        (ext / f"{name}.control").write_text("default_version = '1.0'\n")
        (ext / f"{name}--1.0.sql").write_text("")
    return bindir


def test_offered_lists_the_control_files(tmp_path: Path) -> None:
    bindir = _fake_install(tmp_path, "vector", "uuid-ossp")
    assert sharedir(bindir) == tmp_path / "share" / "postgresql"
    assert offered(bindir) == {"vector", "uuid-ossp"}


def test_rank_prefers_the_provider_that_has_the_extensions(tmp_path: Path) -> None:
    local = _fake_install(tmp_path / "local", "uuid-ossp", "pgcrypto")
    embedded = _fake_install(tmp_path / "embedded", "vector")
    bindirs: dict[str, Path | None] = {"local": local, "embedded": embedded, "docker": None}
    order, why = rank(["local", "embedded", "docker"], bindirs, {"vector", "http"})
    assert order == ["embedded", "local", "docker"]
    assert why == "it has vector of the extensions the project creates (local lacks vector)"
    # nothing wanted, or the first one has it all: auto's own order, no reason
    assert rank(["local", "embedded", "docker"], bindirs, set()) == (["local", "embedded", "docker"], "")
    assert rank(["local", "embedded", "docker"], bindirs, {"pgcrypto"})[1] == ""
    # an explicit sandbox_dsn (unknown offer) stays first
    assert rank(["dsn", "local", "embedded"], {**bindirs, "dsn": None}, {"vector"})[0][0] == "dsn"


def test_assess_tells_real_stand_in_and_missing(tmp_path: Path) -> None:
    bindir = _fake_install(tmp_path, "vector")
    offer = assess("embedded", bindir, {"vector", "http", "postgis"})
    assert offer is not None
    assert (offer.real, offer.stubbed, offer.missing) == ({"vector"}, {"http"}, {"postgis"})
    assert assess("docker", None, {"vector"}) is None
    assert {"http", "pg_net", "uuid-ossp", "pgcrypto"} <= stub_names()


def test_list_settings_are_split_as_postgres_stores_them() -> None:
    assert _list_elements('"$user", public, extensions') == ["$user", "public", "extensions"]
    assert _list_elements('"a,b", "say ""hi"""') == ["a,b", 'say "hi"']


def test_a_clone_keeps_the_templates_database_settings(pgm_server: Sandbox) -> None:
    name = "pgm_set_" + secrets.token_hex(4)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("alter database {} set search_path to '$user', public, extensions").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("alter database {} set statement_timeout to '7s'").format(sql.Identifier(name)))
    clone = pgm_server.clone(name)
    try:
        with psycopg.connect(pgm_server.dsn(clone)) as conn:
            assert conn.execute("show search_path").fetchone() == ('"$user", public, extensions',)
            assert conn.execute("show statement_timeout").fetchone() == ("7s",)
    finally:
        pgm_server.drop(clone)
        pgm_server.drop(name)


@pytest.mark.skipif(find_local_bindir() is None, reason="no local PostgreSQL binaries")
def test_a_stand_in_extension_is_created_and_raises_when_called() -> None:
    bindir = find_local_bindir()
    assert bindir is not None
    missing = sorted({"http", "pg_net"} - offered(bindir))
    if not missing:
        pytest.skip("the local server has the real http and pg_net")
    shadow = with_stubs(bindir, missing)
    assert shadow != bindir and offered(bindir) == offered(bindir)  # the real install is untouched
    cluster = LocalCluster.create(shadow)
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            available = {r[0] for r in conn.execute("select name from pg_available_extensions")}
            assert set(missing) <= available
            for ext in missing:
                conn.execute(sql.SQL("create extension {}").format(sql.Identifier(ext)))
            if "http" in missing:
                with pytest.raises(psycopg.errors.FeatureNotSupported, match="extension http is not available"):
                    conn.execute("select http_get('https://example.com/')")
            if "pg_net" in missing:
                with pytest.raises(psycopg.errors.FeatureNotSupported, match="extension pg_net is not available"):
                    conn.execute("select net.http_post('https://example.com/')")
    finally:
        cluster.destroy()
