"""Messages shown to a person: one line, never cut mid-word."""

from __future__ import annotations

import re

MESSAGE_CHARS = 200
_ESCAPES = re.compile(r"\\([ntr\\'\"])")
_CUT_WORD = re.compile(r"\s*[^\s'\"]*\w\.\.\.(?=['\",]|\s|$)")
_POSITION = re.compile(r"^Line \d+, Position \d+: ")


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """A message as one readable line: escape sequences in quoted SQL (sqlfluff writes ``\\n``)
    rendered, whitespace runs made one space, sqlfluff's own mid-word cuts (``usa...``) and its
    "Line N, Position M:" prefix (the finding has the position) dropped, and cut at a word boundary
    with an ellipsis past ``limit`` characters."""
    text = _ESCAPES.sub(lambda m: {"n": " ", "t": " ", "r": " "}.get(m.group(1), m.group(1)), text)
    text = _CUT_WORD.sub(" …", text)
    text = _POSITION.sub("", " ".join(text.split()))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,.;:") + "…"
