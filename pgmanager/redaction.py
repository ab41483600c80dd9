"""Passwords never leave pgmanager: every DSN or message is passed through :func:`redact`.

Kept free of psycopg so that commands which never connect (lint, analyze) need not import it.
"""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@?#]*:)(?P<pw>[^@/?#]*)@", re.IGNORECASE)
_KW_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def redact(text: str) -> str:
    """Replace every password in a DSN (URL or key=value form) or message by ***."""
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***@", text)
    return _KW_PASSWORD.sub(lambda m: f"{m.group('head')}***", text)
