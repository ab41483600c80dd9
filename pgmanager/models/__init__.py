"""Data that crosses layers: what api functions return and renderers print, one module per feature.

Models are plain pydantic data. They hold no connections and do no I/O, so every front end (the CLI's
text and JSON output today) serializes them the same way. Each module declares its own ``__all__``;
this package re-exports them, so ``from pgmanager.models import Finding`` keeps working.

The re-export is lazy: a name's module is imported when the name is first asked for, so a command that
needs the migration models does not build the lint, advise and agent ones (pydantic builds each class
when its module runs). Which module holds a name is read from the modules' own ``__all__`` lines (the
one place the names are listed); type checkers see the plain star imports below.
"""

from __future__ import annotations

import ast
import importlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._base import *  # noqa: F403
    from .advise import *  # noqa: F403
    from .advisors import *  # noqa: F403
    from .agent import *  # noqa: F403
    from .analyze import *  # noqa: F403
    from .check import *  # noqa: F403
    from .diff import *  # noqa: F403
    from .lint import *  # noqa: F403
    from .migrate import *  # noqa: F403
    from .verify import *  # noqa: F403


def _declared_names(source: str) -> list[str]:
    """The names of a module's ``__all__ = [...]`` line, read without running the module."""
    start = source.find("\n__all__ = [")
    if start < 0:
        return []
    end = source.index("]", start)
    value = ast.literal_eval(source[start + len("\n__all__ = "):end + 1])
    return [str(name) for name in value]


@cache
def _owners() -> dict[str, str]:
    """Each exported name -> the submodule that declares it."""
    owners: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem == "__init__":
            continue
        for name in _declared_names(path.read_text(encoding="utf-8")):
            owners[name] = path.stem
    return owners


def __getattr__(name: str) -> Any:
    if name == "__all__":  # `from pgmanager.models import *`
        return sorted(_owners())
    module = _owners().get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_owners()})
