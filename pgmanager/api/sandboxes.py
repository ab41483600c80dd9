"""`sandbox up` / `sandbox down`: a built throwaway database left running for psql, and stopping it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..config import Settings
from ..db import with_dbname
from ..errors import PlanError
from ..models import SandboxInfo
from ..project import Project
from ..redaction import redact
from ..sandbox import STATE_ROOT, LocalCluster, Sandbox, Templates, open_sandbox, remove_container
from .building import project_migrator
from .inputs import require_clean


def _state_file(settings: Settings) -> Path:
    return STATE_ROOT / f"up-{hashlib.sha256(str(settings.root).encode()).hexdigest()[:12]}.json"


def sandbox_up(settings: Settings, project: Project, *, sandbox: str | None = None,
               sandbox_dsn: str | None = None, seed: bool = True) -> SandboxInfo:
    """Start a sandbox holding the built project and leave it running; `sandbox_down` stops it."""
    state = _state_file(settings)
    if state.exists():
        data = json.loads(state.read_text())
        raise PlanError(f"a sandbox is already up for this project: {data['dsn']}", where="sandbox up",
                        hint="run `pgmanager sandbox down` first")
    require_clean(project)
    with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn,
                      image=settings.sandbox_image) as box:
        template = box.template(project_migrator(settings, project, seed=seed))
        name = box.templates.clone(template, "pgmanager")
        info = box.info(name)
        _detach(box, state, name)
    return info


def _detach(box: Sandbox, state: Path, dbname: str) -> None:
    server = box.server
    data: dict[str, Any] = {"provider": box.provider, "dsn": redact(box.dsn(dbname)), "database": dbname}
    cluster = getattr(server, "cluster", None)
    if isinstance(cluster, LocalCluster):
        data.update(folder=str(cluster.folder), bindir=str(cluster.bindir))
    container = getattr(server, "container", None)
    if container is not None:
        data["container"] = container.get_wrapped_container().id
    if box.provider == "dsn":
        data["admin_dsn"] = box.dsn()
    box.detach(keep=dbname)
    STATE_ROOT.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps(data))
    state.chmod(0o600)


def up_server_dsn(settings: Settings) -> str | None:
    """The maintenance DSN of the server `sandbox up` left running for this project (local or dsn provider),
    None when none is up; the pytest plugin keeps its templates there (``--pgm-sandbox up``)."""
    state = _state_file(settings)
    if not state.exists():
        return None
    data = json.loads(state.read_text())
    if "admin_dsn" in data:
        return str(data["admin_dsn"])
    if "folder" in data:  # a local cluster: the superuser is trusted on loopback, the DSN holds no password
        return with_dbname(str(data["dsn"]), "postgres")
    return None


def sandbox_down(settings: Settings) -> str | None:
    """Stop the sandbox `sandbox_up` started for this project; returns what was stopped, None when none was up
    (a second `down` is a no-op)."""
    state = _state_file(settings)
    if not state.exists():
        return None
    data = json.loads(state.read_text())
    if "folder" in data:
        LocalCluster(bindir=Path(data["bindir"]), folder=Path(data["folder"]), port=0).destroy()
    elif "container" in data:
        remove_container(data["container"])
    elif "admin_dsn" in data:
        Templates(data["admin_dsn"], lambda n: n).drop(data["database"])
    state.unlink()
    return f"{data['provider']} sandbox {data['dsn']}"
