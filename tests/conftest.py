"""Shared pytest setup: import paths for the collection and the local stack, stack fixtures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".cache" / "collections"
STACK_DIR = ROOT / "tests" / "stack"

if not (COLLECTIONS / "ansible_collections" / "hoop" / "gateway").exists():
    subprocess.run(["bash", str(ROOT / "scripts" / "devenv")], check=True, capture_output=True)
for path in (COLLECTIONS, STACK_DIR):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def _stack(tmp_path_factory, name: str, tls: bool):
    # Imported here so that unit tests run without the stack's dependencies being importable.
    from hoopstack.launcher import Stack

    with Stack(state_dir=tmp_path_factory.mktemp(name), tls=tls) as stack:
        yield stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """Authorization server and gateway over plain HTTP, shared by the whole session."""
    yield from _stack(tmp_path_factory, "stack", tls=False)


@pytest.fixture(scope="session")
def tls_stack(tmp_path_factory):
    """Authorization server and gateway over HTTPS; clients trust ``tls_stack.ca_path``."""
    yield from _stack(tmp_path_factory, "tls-stack", tls=True)
