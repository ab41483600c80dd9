"""Lazy re-exports (PEP 562): a package names what it offers, a submodule is imported on first use.

`pgmanager migrate` should not pay for importing the linter, the fuzzer and sqlfluff: the CLI
starts in a fraction of the time when packages load their parts on demand.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, tuple[str, ...]]) -> tuple[Callable[[str], Any], list[str]]:
    """``exports`` maps a submodule (relative, like ``._core``) to the names it provides.

    Returns the module's ``__getattr__`` and ``__all__``.
    """
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    return __getattr__, sorted(where)
