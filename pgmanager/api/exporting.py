"""Api functions for `pgmanager supabase export`: the project as a Supabase CLI project (pgmanager.export)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from ..config import Settings
from ..errors import ConfigError
from ..export import export_files
from ..policies import load_specs
from ..project import Project, display_path
from .inputs import require_clean


class ExportedFile(BaseModel):
    path: str
    origin: str
    state: str
    """written | unchanged"""


class ExportReport(BaseModel):
    folder: str
    files: list[ExportedFile]

    @property
    def written(self) -> int:
        return sum(f.state == "written" for f in self.files)


def export(settings: Settings, project: Project, dest: Path | None = None, *, major: int = 15) -> ExportReport:
    """Write ``dest``/supabase (``dest``: the project's folder by default). A file already there with other
    content stops it before anything is written; one with the same content is left as it is."""
    require_clean(project)
    dest = (dest or settings.root).resolve()
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest} is not a folder", where="DIR")
    files = export_files(settings, project, dest, load_specs(settings), major)
    report = []
    for f in files:
        target = dest / f.path
        if target.is_file() and target.read_text(encoding="utf-8") != f.text:
            raise ConfigError(f"exists already with other content ({f.origin} would be written here); nothing was "
                              "written: move it away or export into another folder", where=display_path(target, dest))
        report.append(ExportedFile(path=f.path.as_posix(), origin=f.origin,
                                   state="unchanged" if target.is_file() else "written"))
    for f, r in zip(files, report, strict=True):
        if r.state == "written":
            (dest / f.path).parent.mkdir(parents=True, exist_ok=True)
            (dest / f.path).write_text(f.text, encoding="utf-8")
    return ExportReport(folder=str(dest), files=report)
