"""Which extensions a sandbox server has, picking a provider by them, and stand-ins for the missing ones.

- :func:`offered`: the extensions a server binary folder ships: its ``<sharedir>/extension/*.control``
  files, listed without starting a server (cached per folder);
- :func:`rank`: for ``--sandbox auto``, the providers reordered so that the first one that works has
  the project's extensions, and one line saying why;
- :func:`with_stubs`: a shadow of a binary folder whose share folder also holds pgmanager's stand-in
  extensions (sql/stubs/: http, pg_net, ...) for those the server lacks, so that the project's
  ``create extension http`` runs; their functions raise "extension http is not available in this
  sandbox" when called (a few whose real result core PostgreSQL can compute do compute it).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

STUB_DIR = Path(__file__).resolve().parent / "stubs"
"""pgmanager's stand-in extensions: NAME.control and NAME--VERSION.sql."""

_SERVER_EXES = ("initdb", "pg_ctl", "postgres", "postmaster")


def stub_names() -> frozenset[str]:
    """The extensions pgmanager has a stand-in for."""
    return frozenset(p.stem for p in STUB_DIR.glob("*.control"))


@functools.lru_cache(maxsize=16)
def sharedir(bindir: Path) -> Path | None:
    """The share folder of the server in ``bindir`` (``pg_config --sharedir``, else the usual places)."""
    pg_config = bindir / "pg_config"
    if pg_config.is_file():
        try:
            out = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True, timeout=10,
                                 check=False)
            if out.returncode == 0 and Path(out.stdout.strip(), "extension").is_dir():
                return Path(out.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    for guess in (bindir.parent / "share" / "postgresql", bindir.parent / "share",
                  Path("/usr/share/postgresql") / bindir.parent.name):
        if (guess / "extension").is_dir():
            return guess
    return None


@functools.lru_cache(maxsize=16)
def offered(bindir: Path) -> frozenset[str]:
    """The extensions the server in ``bindir`` can create (pgmanager's stand-ins not counted)."""
    share = sharedir(bindir)
    if share is None:
        return frozenset()
    return frozenset(p.stem for p in (share / "extension").glob("*.control"))


@dataclass(frozen=True)
class Choice:
    """What a provider offers of the wanted extensions: ``real`` ones, ``stubbed`` ones, ``missing`` ones."""

    provider: str
    real: frozenset[str]
    stubbed: frozenset[str]
    missing: frozenset[str]


def assess(provider: str, bindir: Path | None, wanted: Iterable[str]) -> Choice | None:
    """The provider's offer, or None when it cannot be told without starting it (docker, dsn)."""
    if bindir is None:
        return None
    want = frozenset(wanted)
    real = want & offered(bindir)
    stubbed = (want - real) & stub_names()
    return Choice(provider, real, stubbed, want - real - stubbed)


def rank(names: Sequence[str], bindirs: dict[str, Path | None], wanted: Iterable[str]) -> tuple[list[str], str]:
    """``names`` (auto's order) reordered by the wanted extensions: fewest missing, then fewest stand-ins, then
    auto's order; those whose offer is unknown (docker, dsn) after. An unknown first one (an explicit
    sandbox_dsn) keeps the order. Returns the order and why its head was picked ("" when nothing changed)."""
    want = frozenset(wanted)
    offers = {n: assess(n, bindirs.get(n), want) for n in names}
    if not want or not names or offers[names[0]] is None:
        return list(names), ""
    known = [c for n in names if (c := offers[n]) is not None]
    known.sort(key=lambda c: (len(c.missing), len(c.stubbed), names.index(c.provider)))
    order = [c.provider for c in known] + [n for n in names if offers[n] is None]
    head = known[0]
    if head.provider == names[0]:
        return order, ""
    skipped = [c for c in known if names.index(c.provider) < names.index(head.provider)]
    lacks = "; ".join(f"{c.provider} lacks {', '.join(sorted(head.real - c.real))}" for c in skipped
                      if head.real - c.real)
    return order, (f"it has {', '.join(sorted(head.real))} of the extensions the project creates"
                   + (f" ({lacks})" if lacks else ""))


# ---------------------------------------------------------------- a binary folder with the stand-ins

def _stub_files(names: Iterable[str]) -> list[Path]:
    out: list[Path] = []
    for name in sorted(names):
        pattern = re.sub(r"([*?\[])", r"[\1]", name)
        out += sorted(STUB_DIR.glob(f"{pattern}.control")) + sorted(STUB_DIR.glob(f"{pattern}--*.sql"))
    return out


def with_stubs(bindir: Path, names: Iterable[str]) -> Path:
    """A binary folder like ``bindir`` whose server also offers pgmanager's stand-ins for ``names`` (those it
    lacks), or ``bindir`` itself when there are none to add.

    PostgreSQL finds its share folder relative to the server binary, so the shadow holds copies of the
    server binaries and symlinks to everything else; it is made once per binary folder and stand-in set,
    in the temp folder, and readable by the unprivileged user the server runs as."""
    share = sharedir(bindir)
    add = sorted(frozenset(names) & stub_names() - offered(bindir))
    if share is None or not add:
        return bindir
    files = _stub_files(add)
    digest = hashlib.sha256(str(bindir).encode() + str((bindir / "postgres").stat().st_mtime).encode())
    for f in files:
        digest.update(f.name.encode() + f.read_bytes())
    common = Path(os.path.commonpath([bindir, share]))
    # the wheel's binaries find their libraries two levels above the install folder ($ORIGIN/../../..)
    real_root = common.parent.parent if len(common.parts) > 2 else Path(common.anchor)
    target = Path(tempfile.gettempdir()) / f"pgmanager-stubs-{digest.hexdigest()[:12]}"
    new_bin = target / bindir.relative_to(real_root)
    if (new_bin / "postgres").is_file():
        return new_bin
    partial = Path(tempfile.mkdtemp(prefix="pgmanager-stubs-", dir=tempfile.gettempdir()))
    try:
        tree = partial / "tree"
        ext = share / "extension"
        _shadow(real_root, tree, {bindir, ext})
        for exe in _SERVER_EXES:
            link = tree / bindir.relative_to(real_root) / exe
            if link.is_symlink():
                link.unlink()
                shutil.copy2(bindir / exe, link)
        for f in files:
            shutil.copy2(f, tree / ext.relative_to(real_root) / f.name)
        for folder, _dirs, _files in os.walk(partial):
            os.chmod(folder, 0o755)
        with contextlib.suppress(OSError):  # another process won the race
            os.rename(tree, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return new_bin


def _shadow(real: Path, shadow: Path, inside: set[Path]) -> None:
    """Make ``shadow`` a folder of symlinks to ``real``'s entries; on the way to a folder of ``inside`` (and in
    it) folders are real, so that files can be replaced or added there."""
    shadow.mkdir(parents=True, exist_ok=True)
    for entry in real.iterdir():
        if any(entry == p or entry in p.parents for p in inside) and entry.is_dir():
            _shadow(entry, shadow / entry.name, inside)
        else:
            (shadow / entry.name).symlink_to(entry)
