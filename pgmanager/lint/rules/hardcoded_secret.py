"""A secret written into SQL: a JWT, an API key, a password."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ...models import FileKind, Severity
from .._base import Category, FileContext, Rule, Violation

_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    # (what it is, substrings one of which must be in the lower-cased text first, the pattern)
    ("a JSON Web Token", ("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    ("an AWS access key id", ("akia", "asia"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Stripe secret key", ("_live_",), re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{10,}")),
    ("an API secret key", ("sk-",), re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("a GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}")),
    ("a private key", ("private key",), re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
    ("a connection URL with a password", ("://",),
     re.compile(r"\bpostgres(?:ql)?://[^\s:/@'\"]+:(?![$<{*])[^\s@'\"/]+@", re.IGNORECASE)),
    ("a password", ("password",),  # create/alter role or user, and user mappings: options (password '...')
     re.compile(r"\b(?:create|alter)\s+(?:role|user)\b[^;]*?\bpassword\s+'(?P<pw>[^']+)'", re.IGNORECASE | re.DOTALL)),
    ("a secret setting", ("secret", "password", "api_key", "apikey", "token"),
     # alter database/role ... set app.jwt_secret = '...', set_config('app.api_key', '...')
     re.compile(r"(?:\bset\s+\"?|set_config\s*\(\s*')[\w.]*(?:secret|password|api_key|apikey|token)[\w.]*\"?'?"
                r"\s*(?:=|to|,)\s*'(?P<pw>[^']{8,})'", re.IGNORECASE)),
)


def _shown(text: str) -> str:
    """Enough of a key to find it again, never enough to use it."""
    return f" ({text[:6]}...)" if len(text) > 12 else ""


class HardcodedSecret(Rule):
    """A secret is written into SQL: a JWT, a cloud or API key, a role password, a connection URL
    with its password.

    **Problem.** SQL files live in version control and travel to every clone, CI log and backup.
    A key in a string literal or a comment (a Supabase ``service_role`` JWT, an AWS access key,
    ``sk_live_...``, ``sk-...``, a ``postgres://user:password@`` URL, ``create role ... password
    '...'``) is readable by everyone who can read the repository, for as long as its history
    exists.

    **Solution.** Rotate the secret now, then keep it out of SQL: pass it at run time (a psql
    variable, the environment, Supabase Vault ``vault.create_secret()``), and create login roles
    without a password, setting it outside the migrations::

        create role reporting login;  -- password set by the operator: \\password reporting
    """

    name = "hardcoded-secret"
    severity = Severity.ERROR
    category = Category.SECURITY
    help = "rotate the secret and pass it at run time (environment, psql variable, Vault), never in SQL"
    kinds = frozenset(FileKind)

    def check_file(self, ctx: FileContext) -> Iterable[Violation]:
        text = ctx.doc.file.text
        lower = text.lower()
        for label, needles, pattern in _PATTERNS:
            if not any(n in lower for n in needles):
                continue  # a substring search is much cheaper than a regex with a leading \b
            for m in pattern.finditer(text):
                start = m.start("pw") if "pw" in pattern.groupindex else m.start()
                shown = "" if "pw" in pattern.groupindex else _shown(m.group(0))
                yield Violation(f"{label} is written in the SQL{shown}: anyone with the repository has it",
                                offset=start)
