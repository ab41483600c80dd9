"""Which column type changes PostgreSQL makes without rewriting the table: one home for lint and analyze.

Types are written as :func:`pgmanager.schema.type_name` writes them ('varchar(128)', 'numeric(10, 2)',
'text', 'timestamp(3)'). PostgreSQL skips the rewrite (ALTER TABLE: ATColumnChangeRequiresRewrite) when the
new type is binary-coercible from the old one and the length coercion, if any, can be proved a no-op by the
type's support function: a limit that grows or goes away. Everything else is taken to rewrite.
"""

from __future__ import annotations

import re

_TYPE = re.compile(r"^(?P<base>[a-z_][a-z0-9_]*)(?:\((?P<mods>[0-9, ]*)\))?$")

# types whose typmod is a limit checked by a support function: a larger (or no) limit changes nothing stored
_GROWING = {"varchar", "varbit", "timestamp", "timestamptz", "time", "timetz"}

# binary-coercible pairs of different types (pg_cast with castmethod 'b'), new type without a limit
_RELABEL = {("varchar", "text"), ("text", "varchar"), ("cidr", "inet")}


def _split(name: str) -> tuple[str, tuple[int, ...] | None] | None:
    """('varchar', (128,)) for 'varchar(128)', ('text', None) for 'text'; None for an array or odd name."""
    m = _TYPE.match(name.strip().lower())
    if not m:
        return None
    mods = m.group("mods")
    if mods is None:
        return m.group("base"), None
    try:
        return m.group("base"), tuple(int(p) for p in mods.split(","))
    except ValueError:
        return None


def retype_without_rewrite(old: str, new: str) -> bool:
    """Whether ``ALTER COLUMN ... TYPE new`` (without USING) on a column of type ``old`` leaves the table as it
    is: the same type; varchar(n) to varchar(m >= n), to varchar or to text; text to varchar; numeric(p, s) to
    numeric(q >= p, s) or to numeric; varbit, timestamp(tz) and time(tz) to a larger or no precision; cidr to
    inet. bpchar (char(n)) to text or varchar is not among them: the blanks it pads with are trimmed (a
    rewrite)."""
    if old.strip().lower() == new.strip().lower():
        return True
    o, n = _split(old), _split(new)
    if o is None or n is None:
        return False
    (obase, omods), (nbase, nmods) = o, n
    if obase != nbase:
        return (obase, nbase) in _RELABEL and nmods is None
    if nmods is None:
        return obase in _GROWING or obase == "numeric"
    if omods is None:
        return False  # a limit where there was none: every row is checked
    if obase in _GROWING:
        return len(omods) == len(nmods) == 1 and nmods[0] >= omods[0]
    if obase == "numeric":
        oscale = omods[1] if len(omods) > 1 else 0
        nscale = nmods[1] if len(nmods) > 1 else 0
        return oscale == nscale and nmods[0] >= omods[0]
    return False
