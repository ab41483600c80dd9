"""The docker provider: a PostgreSQL container (testcontainers' ``PostgresContainer``, ``pgmanager[docker]``).

Every container carries labels naming its owner, the pid and host of the process that started it.
testcontainers' reaper (Ryuk) is turned off, since ``sandbox up`` must outlive the CLI (and Ryuk's
image may not be pullable); instead, as for local clusters, each docker sandbox that starts removes
the containers whose owner on this host is gone (kill -9). ``sandbox up`` renames its container
``pgmanager-up-...``: such a detached one stays until ``sandbox down``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import time
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from ..config import DEFAULT_SANDBOX_IMAGE
from ..db import connection, error_line, register_secrets, with_dbname
from ..errors import SandboxError
from ._base import Provider, Server
from ._cluster import FAST_SETTINGS, pid_alive

LABEL = "io.pgmanager.sandbox"
OWNER_PID = "io.pgmanager.owner-pid"
OWNER_HOST = "io.pgmanager.owner-host"
DETACHED_PREFIX = "pgmanager-up-"
PGDATA = "/var/lib/postgresql/data"
START_TIMEOUT_S = 120.0


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def docker_client(timeout: int = 30) -> Any:
    """A docker SDK client for the engine of DOCKER_HOST (or the default socket); SandboxError if none."""
    try:
        import docker

        client = docker.from_env(timeout=timeout)
        client.ping()
    except ImportError:
        raise SandboxError("the docker SDK is not installed (pip install 'pgmanager[docker]')",
                           where="--sandbox docker") from None
    except Exception as exc:  # any failure to reach the engine means: not here
        raise SandboxError(f"no Docker engine reachable ({_short(exc)})", where="--sandbox docker") from None
    return client


def ours(client: Any, *, all_hosts: bool = False) -> list[Any]:
    """The containers pgmanager started (on this host unless ``all_hosts``), running or not."""
    labels = [LABEL] if all_hosts else [LABEL, f"{OWNER_HOST}={socket.gethostname()}"]
    return list(client.containers.list(all=True, filters={"label": labels}))


def reap_stale_containers(client: Any) -> list[str]:
    """Remove this host's sandbox containers whose owner process is gone (not detached ones)."""
    reaped = []
    for container in ours(client):
        owner = container.labels.get(OWNER_PID, "")
        if container.name.startswith(DETACHED_PREFIX) or (owner.isdigit() and pid_alive(int(owner))):
            continue
        with contextlib.suppress(Exception):  # gone already, or being removed by another reaper
            container.remove(force=True, v=True)
            reaped.append(container.name)
    return reaped


def remove_container(container_id: str) -> None:
    """Remove a sandbox container (``sandbox down``); one that is gone already is fine."""
    import docker

    try:
        docker_client().containers.get(container_id).remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.DockerException as exc:
        raise SandboxError(f"could not remove container {container_id[:12]}: {_short(exc)}",
                           where="sandbox down") from None


def _engine_is_here(client: Any) -> bool:
    """Whether the engine runs on this machine, so that its published ports are on our loopback: reached
    through a unix socket and naming itself as this host does (a socket mounted into a container does not)."""
    if not str(client.api.base_url).startswith("http+docker://localhost"):
        return False
    try:
        return bool(client.info().get("Name") == socket.gethostname())
    except Exception:  # an engine that will not say is not known to be here
        return False


class ContainerServer(Server):
    provider = "docker"

    def __init__(self, container: Any, url: str, image: str) -> None:
        self.container = container
        self._url = url
        wrapped = container.get_wrapped_container()
        self.container_id: str = wrapped.id
        self.detail = f"container {wrapped.name} of {image}, port {conninfo_to_dict(url).get('port')}"
        self._read_version()

    def dsn(self, dbname: str = "postgres") -> str:
        return with_dbname(self._url, dbname)

    def stop(self) -> None:
        with contextlib.suppress(Exception):  # removed already (by `docker rm`, a reaper): nothing to stop
            self.container.get_wrapped_container().remove(force=True, v=True)

    def detach(self) -> None:
        wrapped = self.container.get_wrapped_container()
        wrapped.rename(DETACHED_PREFIX + wrapped.short_id)


def _container_class() -> Any:
    """PostgresContainer, waiting for the server with a real connection, and failing fast if it exits."""
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers before the community namespace
        from testcontainers.postgres import PostgresContainer

    class SandboxContainer(PostgresContainer):
        trust_loopback = False
        url = ""

        def _connect(self) -> None:
            if self.trust_loopback:  # no password in the DSN: `sandbox up` prints one that works
                port = self.get_docker_client().port(self.get_wrapped_container().id, 5432)
                self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            else:
                self.url = self.get_connection_url()
                register_secrets(self.url)
            deadline = time.monotonic() + START_TIMEOUT_S
            last = ""
            while time.monotonic() < deadline:
                wrapped = self.get_wrapped_container()
                wrapped.reload()
                if wrapped.status in ("exited", "dead"):
                    tail = wrapped.logs(tail=5).decode(errors="replace").strip().splitlines()
                    raise SandboxError(f"the container exited ({tail[-1] if tail else 'no log'})",
                                       where=f"sandbox_image {self.image}")
                try:
                    with connection(self.url, connect_timeout=2):
                        return
                except Exception as exc:  # not up yet
                    last = error_line(exc)
                time.sleep(0.05)
            raise SandboxError(f"postgres in the container did not accept connections within "
                               f"{START_TIMEOUT_S:.0f}s ({last})", where=f"sandbox_image {self.image}")

    return SandboxContainer


class DockerProvider(Provider):
    name = "docker"

    def __init__(self, image: str | None = None) -> None:
        self.image = image or os.environ.get("PGMANAGER_SANDBOX_IMAGE") or DEFAULT_SANDBOX_IMAGE

    def unavailable(self) -> str | None:
        import importlib.util

        if importlib.util.find_spec("testcontainers") is None:
            return "testcontainers is not installed (pip install 'pgmanager[docker]')"
        try:
            docker_client(timeout=5)
        except SandboxError as exc:
            return exc.message
        return None

    def _ensure_image(self, client: Any) -> None:
        import docker

        try:
            client.images.get(self.image)
            return
        except docker.errors.ImageNotFound:
            pass
        try:
            client.images.pull(self.image)
        except docker.errors.DockerException as exc:
            raise SandboxError(f"image {self.image!r} is not on this Docker engine and could not be pulled "
                               f"({_short(exc)})", where="sandbox_image",
                               hint="docker pull it, or set sandbox_image / PGMANAGER_SANDBOX_IMAGE") from None

    def start(self) -> Server:
        client = docker_client()
        reap_stale_containers(client)
        self._ensure_image(client)
        from testcontainers.core.config import testcontainers_config

        testcontainers_config.ryuk_disabled = True  # we reap ourselves, and `sandbox up` must outlive us
        password = secrets.token_urlsafe(18)
        container = _container_class()(self.image, username="postgres", password=password, dbname="postgres",
                                       driver=None)
        # an engine on this machine: published on loopback only, the superuser trusted as local clusters do;
        # a remote engine (DOCKER_HOST=tcp://...), or ours in a container: as testcontainers sees fit, with a password
        if _engine_is_here(client):
            container.trust_loopback = True
            container.ports["5432"] = ("127.0.0.1",)
            container.with_env("POSTGRES_HOST_AUTH_METHOD", "trust")
        container.with_command(["postgres", *(f"-c{k}={v}" for k, v in FAST_SETTINGS.items())])
        container.with_tmpfs_mount(PGDATA)  # throwaway data needs no disk (see _cluster._state_root)
        name = f"pgmanager-sandbox-{os.getpid()}-{secrets.token_hex(3)}"
        container.with_name(name)
        container.with_kwargs(labels={LABEL: "1", OWNER_PID: str(os.getpid()), OWNER_HOST: socket.gethostname()})
        try:
            container.start()
            return ContainerServer(container, container.url, self.image)
        except BaseException as exc:
            with contextlib.suppress(Exception):  # Ctrl-C or an error while starting: nothing stays,
                client.containers.get(name).remove(force=True, v=True)  # even one created but not yet returned
            if isinstance(exc, Exception) and not isinstance(exc, SandboxError):
                raise SandboxError(f"the container did not start: {_short(exc)}", where="--sandbox docker") from None
            raise
