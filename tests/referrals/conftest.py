from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.conftest import clear_attempt_counts


@pytest.fixture(autouse=True)
def clean_attempt_counts() -> Any:
    clear_attempt_counts()
    yield
    clear_attempt_counts()
