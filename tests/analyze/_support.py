"""Small inline projects for analyze tests: a pyproject and SQL files written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

from pgmanager.api import inputs
from pgmanager.config import Settings
from pgmanager.models import FileKind, SqlFile
from pgmanager.parse import SqlDocument, parse_file
from pgmanager.project import Project, checksum

PYPROJECT = """[tool.pgmanager]
migrations = "migrations"
policies = "policies"
views = "views"
exposed_schemas = ["public"]
"""


def write_project(root: Path, files: dict[str, str], settings: str = "") -> tuple[Settings, Project]:
    """Write ``files`` (relative path -> SQL) under ``root`` with a pyproject (plus ``settings`` lines of
    [tool.pgmanager]), and load the project."""
    (root / "pyproject.toml").write_text(PYPROJECT + settings)
    for folder in ("migrations", "policies", "views"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return inputs.load(root)


def doc_of(text: str, name: str = "20990101000000_case.sql") -> SqlDocument:
    """A parsed in-memory migration."""
    f = SqlFile(path=Path("/virtual/migrations") / name, display=f"migrations/{name}", kind=FileKind.MIGRATION,
                text=text, checksum=checksum(text), version=name[:14], name=name[15:-4])
    return parse_file(f)
