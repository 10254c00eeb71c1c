from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def checkpoint_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own checkpoint directory, as each gets its own database state;
    a Daphne process the test starts inherits it through the environment."""
    directory = tmp_path / "audit-checkpoints"
    settings.RELAY_AUDIT_CHECKPOINT_DIR = str(directory)
    monkeypatch.setenv("RELAY_AUDIT_CHECKPOINT_DIR", str(directory))
    return directory
