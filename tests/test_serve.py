"""``relay.serve``: the one way to start Relay in Daphne keeps no access log, whatever it is
asked, and every supported start command goes through it."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from relay.serve import APPLICATION, daphne_arguments
from tests.conftest import ROOT, DaphneProcess, free_port


def served_output(extra: list[str]) -> tuple[str, str]:
    """Start relay.serve for real, request a page with a distinctive query string, stop it,
    and return (its whole output, the query string)."""
    marker = f"whereabouts{secrets.token_hex(8)}"
    server = DaphneProcess(port=free_port())
    proc = subprocess.Popen(
        [sys.executable, "-m", "relay.serve", *extra, "-b", "127.0.0.1", "-p", str(server.port)],
        cwd=ROOT,
        env=server.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        answered = 0
        while time.monotonic() < deadline and answered < 3:
            try:
                url = f"{server.url}/api/csrf?{marker}=1"
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (http to the test server)
                    answered += 1
            except urllib.error.HTTPError:
                answered += 1
            except OSError:
                time.sleep(0.2)
        assert answered == 3, "relay.serve did not answer"
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=15)
    return output.decode(errors="replace"), marker


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "extra", [[], ["-v", "2"], ["--access-log", "-"]], ids=["default", "verbose", "asked-for-log"]
)
def test_the_server_output_holds_no_address_and_no_query_string(extra: list[str]) -> None:
    output, marker = served_output(extra)
    assert marker not in output
    startup = ("Starting server at", "Listening on TCP address", "Configuring endpoint")
    requests = [
        line
        for line in output.splitlines()
        if not line.strip().startswith(startup) and not any(s in line for s in startup)
    ]
    assert not [line for line in requests if "127.0.0.1" in line], output
    assert "GET /api/csrf" not in output


def test_access_log_options_are_dropped_and_the_application_added() -> None:
    assert daphne_arguments(["--access-log", "-", "-p", "1"]) == ["-p", "1", APPLICATION]
    assert daphne_arguments(["--access-log=/tmp/x", "-b", "::1"]) == ["-b", "::1", APPLICATION]
    assert daphne_arguments(["bench.app:application"]) == ["bench.app:application"]


def test_every_start_command_goes_through_relay_serve() -> None:
    sources = {
        "Makefile": (ROOT / "Makefile").read_text(),
        "Dockerfile": (ROOT / "Dockerfile").read_text(),
        "docker-compose.yml": (ROOT / "docker-compose.yml").read_text(),
        "tests/conftest.py": (ROOT / "tests" / "conftest.py").read_text(),
        "README.md": (ROOT / "README.md").read_text(),
        **{f"docs/{p.name}": p.read_text() for p in (ROOT / "docs").glob("*.md")},
    }
    for name, text in sources.items():
        assert "-m daphne" not in text and '"daphne",' not in text, name
        assert "exec daphne" not in text and "relay.asgi:application" not in text.replace(
            'ASGI_APPLICATION = "relay.asgi.application"', ""
        ), name
    for name in ("Makefile", "Dockerfile", "docker-compose.yml", "tests/conftest.py"):
        assert "relay.serve" in sources[name], name
