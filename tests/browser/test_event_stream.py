"""The live connection's catch-up by sequence number (frontend/src/socket.js), run under
Node with the API faked, so it needs neither Chromium nor a server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parent / "event_stream_check.mjs"


def test_a_gap_is_read_once_and_nothing_stops_the_stream() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the browser's event stream: install nodejs.")
    done = subprocess.run([node, str(CHECK)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results["in_order"] == {"shown": [4, 5], "reads": 0}
    assert results["gap"] == {"shown": [4, 5, 6, 7], "reads": 1}
    assert results["hole"] == {"shown": [6], "reads": 1}
    assert results["failed_read"]["shown"] == [2, 3, 4]
