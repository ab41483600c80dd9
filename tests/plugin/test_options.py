"""The plugin's options: the space form of --pgm-project, ini keys, bad values, and its import cost."""

from __future__ import annotations

import subprocess
import sys

from conftest import Inner, write_project  # type: ignore[import-not-found]

pytest_plugins = ["pytester"]

SUITE_CHECKS = """
    def test_suite_config_and_project(request, pgm_sandbox, pgm_conn):
        assert request.config.rootpath.name == "suite"
        assert request.config.inipath.name == "pytest.ini"
        assert "from_suite_ini: the suite's own ini file is in force" in request.config.getini("markers")
        assert pgm_sandbox.settings.root.name == "proj"
        assert pgm_conn.execute("select count(*) from public.items").fetchone() == (1,)
"""


def _suite_and_project(inner: Inner, ini: str = "") -> None:
    root = inner.pytester.path
    proj = write_project(root / "proj")
    # were proj's pyproject.toml taken for the ini file, this would deselect every test (exit 5)
    with open(proj / "pyproject.toml", "a") as fh:
        fh.write('\n[tool.pytest.ini_options]\naddopts = "-k nothing_matches"\n')
    (root / "pyproject.toml").unlink()
    (root / "suite").mkdir()
    (root / "suite" / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    from_suite_ini: the suite's own ini file is in force\n" + ini)
    inner.suite(SUITE_CHECKS, "suite/test_suite.py")
    inner.pytester.chdir()
    import os

    os.chdir(root / "suite")


def test_space_form_of_pgm_project(inner: Inner) -> None:
    _suite_and_project(inner)
    project = str(inner.pytester.path / "proj")
    spaced = inner.run("--pgm-project", project, *inner.on_outer_server())
    spaced.assert_outcomes(passed=1)
    spaced.stdout.fnmatch_lines([f"rootdir: {inner.pytester.path / 'suite'}", "configfile: pytest.ini"])
    inner.run(f"--pgm-project={project}", *inner.on_outer_server()).assert_outcomes(passed=1)


def test_ini_keys(inner: Inner) -> None:
    _suite_and_project(inner, f"pgm_project = ../proj\npgm_pool_size = 3\npgm_sandbox = dsn\n"
                              f"pgm_sandbox_dsn = {inner.server_dsn}\n")
    inner.suite(SUITE_CHECKS + """
    def test_pool_size_from_ini(pgm_sandbox, pgm_server):
        assert pgm_sandbox.settings.pool_size == 3
        assert pgm_server.provider == "dsn"
    """, "suite/test_suite.py")
    inner.run().assert_outcomes(passed=2)
    # the command line wins over the ini file
    inner.run("--pgm-pool-size", "5", "-k", "pool_size").stdout.fnmatch_lines(["*assert 5 == 3*"])


def test_bad_values_name_their_setting(inner: Inner) -> None:
    _suite_and_project(inner, "pgm_project = ../proj\npgm_reuse = maybe\n")
    result = inner.run(*inner.on_outer_server())
    assert result.ret == 4  # pytest's usage error
    result.stderr.fnmatch_lines(["ERROR: pgm_reuse in pytest.ini: expected true or false, got 'maybe'"])
    bad_pool = inner.run(*inner.on_outer_server(), "--pgm-reuse", "--pgm-pool-size", "0")
    bad_pool.stdout.fnmatch_lines(["*--pgm-pool-size: pool_size must be between 1 and 64, got 0"])
    assert "Traceback" not in bad_pool.stdout.str()


def test_plugin_import_loads_no_database_code() -> None:
    code = ("import sys, pgmanager.testing.plugin as p; "
            "heavy = ('psycopg', 'pglast', 'sqlfluff', 'pydantic', 'pgmanager.api', 'pgmanager.sandbox'); "
            "print(sorted(m for m in heavy if m in sys.modules)); print(callable(p.as_user))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "True"]


def test_session_without_database_imports_nothing_heavy(inner: Inner) -> None:
    inner.suite("""
        import sys

        def test_no_database():
            assert [m for m in ("psycopg", "pglast", "sqlfluff", "pgmanager.api") if m in sys.modules] == []
    """)
    inner.monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # only this plugin, not others'
    inner.run("-p", "pgmanager.testing.plugin").assert_outcomes(passed=1)
