"""Passwords never leave pgmanager: every DSN, message and byte the CLI prints passes through :func:`redact`.

Two layers:

- by value: a process-wide registry of secrets (:func:`register_secret`). Where a DSN enters pgmanager
  (the CLI's start, :func:`pgmanager.db.connect`) every password libpq could use for it is registered:
  the one in the DSN (URL or key=value form, as libpq parses it and as lenient readings of the raw text
  find it), ``PGPASSWORD``, the service file's, and after connecting the one libpq used (``.pgpass``).
  :func:`redact` replaces each registered value, in the forms it may be printed in (percent-encoded,
  percent-decoded, JSON- and XML-escaped), by ``***``, longest first;
- by pattern, the fallback for DSNs nobody registered: ``scheme://user:PASSWORD@`` and ``password=...``.

:class:`RedactingStream` wraps the CLI's stdout and stderr so that nothing printed bypasses it.

Kept free of psycopg (and cheap to import) so that commands which never connect (lint, analyze) and the
CLI's start need not import it.
"""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, unquote

MASK = "***"
# Shorter values are not redacted by value: replacing every "ab" in the output would make it unreadable
# (and break JSON). The pattern-based fallback still hides them inside a DSN.
MIN_SECRET_LEN = 3

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@/\s]*)@", re.IGNORECASE)
_KW_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_URL_START = re.compile(r"\s*postgres(?:ql)?://", re.IGNORECASE)
_HOST_PORT = re.compile(r"(?:\[[^\]@]*\]|[^:@,\[\]]*)(?::\d*)?(?:,(?:\[[^\]@]*\]|[^:@,\[\]]*)(?::\d*)?)*")
_QUERY_PARAM = re.compile(r"[?&](?P<key>password|service)=(?P<value>[^&]*)", re.IGNORECASE)

_lock = threading.Lock()
_registered: set[str] = set()
_secrets: set[str] = set()  # the registered values and their forms
_pattern: re.Pattern[str] | None = None
_seen_dsns: set[str] = set()


# ------------------------------------------------------------------ the registry


def _forms(value: str) -> set[str]:
    """The ways a secret may show up in output: as is, percent-encoded or decoded, JSON- or XML-escaped."""
    import html
    import json

    bases = {value}
    if "%" in value:
        bases.add(unquote(value, errors="replace"))
    forms = set(bases)
    for base in bases:
        forms.update((quote(base, safe=""), quote(base), quote(base, safe="/:"), json.dumps(base)[1:-1],
                      json.dumps(base, ensure_ascii=False)[1:-1], html.escape(base), html.escape(base, quote=False)))
    return forms


def register_secret(value: str | None) -> None:
    """Never print ``value`` (nor its encoded forms) from now on, in this process."""
    global _pattern
    if not value or len(value) < MIN_SECRET_LEN:
        return
    with _lock:
        if value in _registered:
            return
        _registered.add(value)
        new = {f for f in _forms(value) if len(f) >= MIN_SECRET_LEN} - _secrets
        if new:
            _secrets.update(new)
            _pattern = None


def clear_secrets() -> None:
    """Forget every registered secret (for tests)."""
    global _pattern
    with _lock:
        _registered.clear()
        _secrets.clear()
        _seen_dsns.clear()
        _pattern = None


def _compiled() -> re.Pattern[str]:
    global _pattern
    with _lock:
        if _pattern is None:
            # Longest first: at a given position the longest secret wins (no fragment of it is left behind).
            _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=lambda s: (-len(s), s))))
        return _pattern


def redact(text: str) -> str:
    """Replace every registered secret, then every password in a DSN (URL or key=value form), by ***."""
    if _secrets:
        text = _compiled().sub(MASK, text)
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)
    if "=" in text:
        text = _KW_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}", text)
    return text


# ------------------------------------------------------------------ passwords in a DSN, without psycopg


def is_url(dsn: str) -> bool:
    return bool(_URL_START.match(dsn))


def _kv_pairs(dsn: str) -> tuple[list[tuple[str, str, str]], int | None]:
    """``(key, raw value, value)`` of a key=value conninfo, parsed the way libpq does; and where parsing
    stopped if the text is malformed (None when it is not)."""
    pairs: list[tuple[str, str, str]] = []
    i, n = 0, len(dsn)
    while True:
        while i < n and dsn[i].isspace():
            i += 1
        if i >= n:
            return pairs, None
        start = i
        while i < n and dsn[i] != "=" and not dsn[i].isspace():
            i += 1
        key = dsn[start:i]
        while i < n and dsn[i].isspace():
            i += 1
        if i >= n or dsn[i] != "=":
            return pairs, start
        i += 1
        while i < n and dsn[i].isspace():
            i += 1
        vstart, chars = i, []
        if i < n and dsn[i] == "'":
            i += 1
            while i < n and dsn[i] != "'":
                if dsn[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(dsn[i])
                i += 1
            if i >= n:  # unterminated quoted string
                return pairs, start
            raw = dsn[vstart + 1:i]
            i += 1
        else:
            while i < n and not dsn[i].isspace():
                if dsn[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(dsn[i])
                i += 1
            raw = dsn[vstart:i]
        pairs.append((key, raw, "".join(chars)))


def dsn_passwords(dsn: str) -> tuple[set[str], set[str]]:
    """Every value the raw text of ``dsn`` may hold as its password, read leniently (a superset of what
    libpq reads, so that a malformed DSN's password is known too); and the service names it names."""
    passwords: set[str] = set()
    services: set[str] = set()
    m = _URL_START.match(dsn)
    if m:
        rest = dsn[m.end():]
        slash, query = rest.find("/"), rest.find("?")
        real_host_port = slash != -1 and bool(_HOST_PORT.fullmatch(rest[:slash]))
        # libpq ends the user info at the first '@'; a password holding a raw '@' ends at the last one.
        for at in {rest.find("@"), rest.rfind("@")} - {-1}:
            if real_host_port and -1 < slash < query < at:
                continue  # host:port/db?user=a@b: an '@' in the query string, not the end of a password
            userinfo = rest[:at]
            if ":" in userinfo:
                passwords.add(userinfo.split(":", 1)[1])
        for q in _QUERY_PARAM.finditer(rest):
            (passwords if q.group("key").lower() == "password" else services).add(q.group("value"))
        passwords |= {unquote(p, errors="replace") for p in passwords if "%" in p}
        passwords |= {p.strip() for p in passwords}  # libpq drops the spaces that end a value
        services = {unquote(s, errors="replace") for s in services}
        return passwords, services
    pairs, stopped = _kv_pairs(dsn)
    for key, raw, value in pairs:
        if key == "password":
            passwords.update((raw, value))
        elif key == "service":
            services.add(value)
    if stopped is not None:  # malformed: the password may be anywhere from there on
        for pw in re.finditer(r"password\s*=\s*'?", dsn[stopped:]):
            tail = dsn[stopped + pw.end():]
            passwords.update((tail, tail.split()[0] if tail.split() else "", tail.split("'")[0]))
    return passwords, services


def service_passwords(name: str, env: Mapping[str, str] | None = None) -> set[str]:
    """The password(s) of service ``name`` in the service files libpq reads (PGSERVICEFILE, else
    ~/.pg_service.conf; then PGSYSCONFDIR/pg_service.conf)."""
    env = os.environ if env is None else env
    files = [Path(env["PGSERVICEFILE"])] if env.get("PGSERVICEFILE") else [Path.home() / ".pg_service.conf"]
    if env.get("PGSYSCONFDIR"):
        files.append(Path(env["PGSYSCONFDIR"]) / "pg_service.conf")
    found: set[str] = set()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found |= _service_file_passwords(text, name)
    return found


def _service_file_passwords(text: str, name: str) -> set[str]:
    import configparser

    # libpq ignores leading whitespace, where configparser would read a continuation line.
    lines = "\n".join(line.lstrip() for line in text.splitlines())
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",),
                                       comment_prefixes=("#",), empty_lines_in_values=False)
    try:
        parser.read_string(lines)
    except configparser.Error:  # libpq would refuse the file; still never print what it holds
        return {line.split("=", 1)[1] for line in lines.splitlines()
                if line.split("=", 1)[0].strip() == "password" and "=" in line}
    if not parser.has_section(name):
        return set()
    value = parser.get(name, "password", fallback=None)
    return {value} if value else set()


def register_dsn(dsn: str | None, env: Mapping[str, str] | None = None) -> None:
    """Register every password ``dsn`` may carry (raw, leniently read), and its service's."""
    if not dsn or dsn in _seen_dsns:
        return
    passwords, services = dsn_passwords(dsn)
    for pw in passwords:
        register_secret(pw)
    for service in services:
        for pw in service_passwords(service, env):
            register_secret(pw)
    with _lock:
        _seen_dsns.add(dsn)


def register_environment(env: Mapping[str, str] | None = None) -> None:
    """PGPASSWORD and the password of PGSERVICE's entry in the service file."""
    env = os.environ if env is None else env
    register_secret(env.get("PGPASSWORD"))
    if env.get("PGSERVICE"):
        for pw in service_passwords(env["PGSERVICE"], env):
            register_secret(pw)


def register_startup_secrets(argv: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """At the CLI's start, cheaply (no psycopg): the environment's passwords, and those of every argument
    or variable that may be a DSN, so that even a usage error echoing one cannot print its password."""
    env = os.environ if env is None else env
    register_environment(env)
    for name in ("DATABASE_URL", "PGMANAGER_SANDBOX_DSN"):
        register_dsn(env.get(name), env)
    for arg in argv:
        if arg.startswith("--") and "=" in arg:
            arg = arg.split("=", 1)[1]
        if "://" in arg or "=" in arg:
            register_dsn(arg, env)


# ------------------------------------------------------------------ the output boundary


class RedactingStream(io.TextIOBase):
    """A text stream that redacts what is written to it before passing it on, a line at a time (a secret
    written in pieces is still whole when redacted); ``flush`` passes on what is pending.

    ``target`` is a stream, or a function returning one (resolved at each write: ``lambda: sys.stdout``
    follows a replaced sys.stdout). A target that is itself a RedactingStream gets the text as is.
    """

    def __init__(self, target: IO[str] | Callable[[], IO[str]]) -> None:
        super().__init__()
        self._target = target
        self._pending = ""

    @property
    def target(self) -> IO[str]:
        return self._target() if callable(self._target) else self._target

    def _send(self, text: str) -> None:
        target = self.target
        target.write(text if isinstance(target, RedactingStream) else redact(text))

    def write(self, s: str) -> int:
        if not isinstance(s, str):  # click probes for a binary stream with write(b"")
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        text = self._pending + s
        cut = text.rfind("\n") + 1
        self._pending = text[cut:]
        if cut:
            self._send(text[:cut])
        return len(s)

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self._send(text)
        self.target.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.target, "errors", None)

    def __getattr__(self, name: str) -> Any:  # anything else a caller looks for (but never .buffer: no bypass)
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self.target, name)


def redact_stdio() -> None:
    """Route sys.stdout and sys.stderr through :func:`redact` (once)."""
    import sys

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, RedactingStream):
            setattr(sys, name, RedactingStream(stream))
