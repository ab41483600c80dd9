"""Runs last (by name): no sandbox server started by the suite outlives its owner.

A cluster is a leftover when its owner process is gone, or when it was detached (`sandbox up`,
`--keep`) and never brought down. The session's own server (owned by this pytest process) stops
when the session ends; .ci/run then checks that no sandbox postgres at all is left."""

from __future__ import annotations

import os

from pgmanager.sandbox import STATE_ROOT


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_no_sandbox_cluster_outlives_its_owner() -> None:
    leftovers = []
    for folder in STATE_ROOT.glob("cluster-*"):
        try:
            owner = (folder / "owner.pid").read_text().strip()
        except OSError:
            continue
        if not owner.isdigit() or not _alive(int(owner)):
            leftovers.append((folder.name, owner))
    assert leftovers == []
