from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def own_checkpoints(settings, tmp_path, monkeypatch):
    """Each test writes its audit checkpoints to its own file, so a verify sees only its
    own chains (and a Daphne it starts inherits the same directory)."""
    directory = tmp_path / "audit-checkpoints"
    settings.RELAY_AUDIT_CHECKPOINT_DIR = str(directory)
    monkeypatch.setenv("RELAY_AUDIT_CHECKPOINT_DIR", str(directory))
    return directory
