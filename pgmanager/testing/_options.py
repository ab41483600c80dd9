"""The plugin's options: command line, ini keys, environment; and the fix for their space form.

Imports only pytest and the standard library: this runs in every pytest session, database or not.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Option:
    name: str
    """The ini key is ``pgm_<name>``, the option ``--pgm-<name>``."""
    kind: str
    """str, path, bool or int."""
    help: str
    env: str | None = None

    @property
    def flag(self) -> str:
        return "--pgm-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "pgm_" + self.name


OPTIONS = (
    Option("sandbox", "str", "where the server comes from: auto, local, embedded, docker, dsn, or up (the server "
           "`pgmanager sandbox up` left running for the project)", "PGMANAGER_SANDBOX"),
    Option("sandbox_dsn", "str", "the existing server for --pgm-sandbox dsn", "PGMANAGER_SANDBOX_DSN"),
    Option("project", "path", "the project folder to build (default: the nearest one upward of the rootdir "
           "with [tool.pgmanager])"),
    Option("pool_size", "int", "clones made ahead of time (default: the project's pool_size, 2)",
           "PGMANAGER_POOL_SIZE"),
    Option("keep", "bool", "keep the database of a failed test and print its DSN"),
    Option("reuse", "bool", "keep templates on the server between sessions and reuse them while the inputs are "
           "unchanged (default: on for --pgm-sandbox up, off otherwise)"),
    Option("keep_templates", "int", "with reuse: how many templates of the project stay on the server (default 3)"),
    Option("ready", "int", "with reuse: clones of the template kept ready on the server for the next session "
           "(default: as many as this session took, at least pool_size, at most 100; 0: none)", "PGMANAGER_READY"),
)
BY_NAME = {o.name: o for o in OPTIONS}
EXPECTED_CLONES = pytest.StashKey[int]()
"""How many clones of the session's template the collected tests will take (pgm_db, and one for pgm_txn)."""
_VALUE_FLAGS = {o.flag for o in OPTIONS if o.kind != "bool"}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("pgmanager", "pgmanager: a migrated PostgreSQL database per test")
    for opt in OPTIONS:
        if opt.kind == "bool":
            group.addoption(opt.flag, action="store_const", const=True, default=None, dest="pgm_" + opt.name,
                            help=opt.help)
            group.addoption("--pgm-no-" + opt.flag[6:], action="store_const", const=False, dest="pgm_" + opt.name,
                            help="the opposite of " + opt.flag)
        else:
            group.addoption(opt.flag, default=None, dest="pgm_" + opt.name, metavar=opt.kind.upper(), help=opt.help)
        parser.addini(opt.ini, opt.help + f" (as {opt.flag})", type="string", default=None)


@dataclass(frozen=True)
class Setting:
    """One resolved option: its value (None: not given) and where it came from, for error messages."""

    value: str | bool | int | None
    source: str


def resolve(config: pytest.Config, name: str) -> Setting:
    """``--pgm-X`` first, then its environment variable, then ``pgm_X`` in the ini file; typed.

    Raises pytest.UsageError naming the option or key when the value has the wrong type."""
    opt = BY_NAME[name]
    raw: object = config.getoption("pgm_" + name)
    source = opt.flag
    if raw is None and opt.env and os.environ.get(opt.env) is not None:
        raw, source = os.environ[opt.env], opt.env
    if raw is None:
        raw = config.getini(opt.ini)
        where = config.inipath.name if config.inipath else "ini"
        source = f"{opt.ini} in {where}"
    if raw is None or (raw == "" and opt.kind != "bool"):
        return Setting(None, source)
    if isinstance(raw, bool):
        return Setting(raw, source)
    text = str(raw).strip()
    if opt.kind == "bool":
        if text.lower() not in _TRUE | _FALSE:
            raise pytest.UsageError(f"{source}: expected true or false, got {text!r}")
        return Setting(text.lower() in _TRUE, source)
    if opt.kind == "int":
        if not text.isdigit():
            raise pytest.UsageError(f"{source}: expected a whole number, got {text!r}")
        return Setting(int(text), source)
    if opt.kind == "path":
        base = config.inipath.parent if source.startswith(opt.ini) and config.inipath else config.invocation_params.dir
        return Setting(str((base / os.path.expandvars(text)).resolve()), source)
    return Setting(text, source)


def check(config: pytest.Config) -> None:
    """Type-check every option at configure time (cheap, no database): a bad one stops the session."""
    for opt in OPTIONS:
        setting = resolve(config, opt.name)
        if opt.name == "keep_templates" and setting.value is not None and int(setting.value) < 1:
            raise pytest.UsageError(f"{setting.source}: keep at least 1 template, got {setting.value}")


def fix_space_form(config: pytest.Config, args: list[str]) -> None:
    """Make ``--pgm-project DIR`` mean what ``--pgm-project=DIR`` means.

    pytest chooses the rootdir and the ini file from the command line's paths before it loads the
    plugins of installed packages (entry points): at that point ``--pgm-project`` is unknown, so DIR
    is taken for a test path and DIR's pyproject.toml becomes the ini file. Once our options are known
    (now), redo that choice without the values of our options, and put the suite's own ini file back.
    """
    values = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in _VALUE_FLAGS]
    if not values:
        return
    from _pytest.config.findpaths import determine_setup  # pytest's own choice, redone

    ns = config.known_args_namespace
    paths = list(ns.file_or_dir)
    for value in values:
        if value in paths:
            paths.remove(value)
    rootpath, inipath, inicfg, ignored = determine_setup(
        inifile=ns.inifilename, override_ini=ns.override_ini, args=paths, rootdir_cmd_arg=ns.rootdir or None,
        invocation_dir=config.invocation_params.dir)
    old_root, old_ini = config.rootpath, config.inipath
    if (rootpath, inipath) == (old_root, old_ini):
        return
    old_addopts = list(config.getini("addopts"))
    private: dict[str, object] = {"_rootpath": rootpath, "_inipath": inipath, "_ignored_config_files": ignored,
                                  "_inicfg" if hasattr(config, "_inicfg") else "inicfg": inicfg}  # pytest 9, 8
    for attr, new in private.items():
        setattr(config, attr, new)
    config._parser.extra_info.update(rootdir=str(rootpath), inifile=str(inipath))
    config._inicache.clear()
    # the wrong ini file's addopts were put in front of the arguments: the suite's own go there instead
    if old_addopts and args[:len(old_addopts)] == old_addopts:
        del args[:len(old_addopts)]
    addopts = list(config.getini("addopts"))
    args[:0] = addopts
    if addopts:
        config.pluginmanager.consider_preparse(addopts, exclude_only=False)
        config.known_args_namespace = config._parser.parse_known_args(
            args, namespace=copy.copy(config.option))
        ns = config.known_args_namespace
    if ns.confcutdir in (str(old_ini.parent) if old_ini else None, str(old_root)):
        ns.confcutdir = str(inipath.parent if inipath else rootpath)
    for path in reversed(config.getini("pythonpath")):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def project_root(config: pytest.Config) -> Path:
    """The project to build: --pgm-project / pgm_project, else the rootdir (found upward by pgmanager)."""
    value = resolve(config, "project").value
    return Path(str(value)) if value else config.rootpath
