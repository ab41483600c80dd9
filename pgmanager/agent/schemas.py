"""The JSON Schemas of the agent protocol's messages, as docs/schemas/<Model>.json holds them."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from ..models import BackendResultMessage, BackendTaskMessage, QueryOptimizationRequest

MODELS: tuple[type[BaseModel], ...] = (BackendTaskMessage, BackendResultMessage, QueryOptimizationRequest)


def schemas() -> dict[str, str]:
    """File name -> the schema's text (camelCase, as on the wire), newline-terminated."""
    return {f"{m.__name__}.json": json.dumps(m.model_json_schema(by_alias=True), indent=2, sort_keys=True) + "\n"
            for m in MODELS}


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schemas().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
