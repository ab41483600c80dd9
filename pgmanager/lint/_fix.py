"""Apply mechanical fixes: text edits on a file's original text, applied back to front."""

from __future__ import annotations

from collections.abc import Iterable

from ._base import Fix, TextEdit


def apply_fixes(text: str, fixes: Iterable[Fix]) -> str:
    """The text with every fix applied; an edit overlapping an earlier-kept one is skipped."""
    edits: list[TextEdit] = sorted({e for fx in fixes for e in fx.edits}, key=lambda e: (e.start, e.end))
    kept: list[TextEdit] = []
    for e in edits:
        if kept and e.start < kept[-1].end:
            continue  # overlaps: leave it for the next --fix run
        kept.append(e)
    for e in reversed(kept):
        text = text[: e.start] + e.replacement + text[e.end :]
    return text
