"""The docker provider's tests need a Docker engine and the image of sandbox_image (PGMANAGER_SANDBOX_IMAGE).
They skip, saying why, where there is none; with PGMANAGER_REQUIRE_DOCKER=1 (.ci/run, once it has started
dockerd and built the image) a missing engine or image fails them instead."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pgmanager.sandbox import DockerProvider
from tests.conftest import CliResult, run_cli


def _why_not() -> str | None:
    reason = DockerProvider().unavailable()
    if reason:
        return reason
    if shutil.which("docker") is None:
        return "no docker command on PATH (the tests read `docker ps`)"
    image = DockerProvider().image
    found = subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False)
    if found.returncode != 0:
        return f"image {image} is not on this engine (set PGMANAGER_SANDBOX_IMAGE, or .ci/docker-image.sh builds one)"
    return None


@pytest.fixture(scope="session")
def docker_engine() -> str:
    """The image to run; skips (or fails, when PGMANAGER_REQUIRE_DOCKER=1) where docker cannot work."""
    reason = _why_not()
    if reason:
        if os.environ.get("PGMANAGER_REQUIRE_DOCKER") == "1":
            pytest.fail(f"PGMANAGER_REQUIRE_DOCKER=1, but: {reason}")
        pytest.skip(f"--sandbox docker needs a Docker engine and its image: {reason}")
    return DockerProvider().image


@pytest.fixture
def cli(docker_engine: str):
    """`pgmanager ...` as a real process, with the image to run (run_cli drops PGMANAGER_* variables)."""
    def run(*args: str, env: dict[str, str] | None = None, **kwargs) -> CliResult:
        return run_cli(*args, env={"PGMANAGER_SANDBOX_IMAGE": docker_engine, **(env or {})}, **kwargs)

    return run
