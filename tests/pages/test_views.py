"""Page shells: one external script, no inline script or style, strict CSP, never cached,
and the lowered KDF floor only where the test setting asks for it."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client, override_settings

# Pages draw the hub's record (its name, contact details and services) from the database.
pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/about",
    "/help",
    "/contact",
    "/privacy",
    "/accessibility",
    "/cookies",
    "/signin",
    "/enrol",
    "/conversation",
    "/cases",
    f"/cases/{uuid.uuid4()}",
    f"/cases/{uuid.uuid4()}/consent",
    f"/cases/{uuid.uuid4()}/supporters",
    "/supporting",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_shell_has_one_external_script_and_no_inline_code(
    client: Client, db: None, path: str
) -> None:
    assert_page_shell(client, path)


def assert_page_shell(client: Client, path: str) -> None:
    """The rules every page shell keeps; the intake's pages are held to them too."""
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S)
    assert scripts == [""], "exactly one script, and it has no inline body"
    assert re.search(r'<script type="module" src="/static/relay\.js"></script>', html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert "unsafe-inline" not in csp
    assert "no-store" in response.headers["Cache-Control"]
    assert 'data-quick-exit="/weather"' in html
    assert 'id="quick-exit"' in html


def test_case_page_carries_its_case_id(client: Client) -> None:
    case_id = uuid.uuid4()
    html = client.get(f"/cases/{case_id}").content.decode()
    assert f'data-case-id="{case_id}"' in html


def test_attaching_pages_carry_the_attachment_limits(client: Client) -> None:
    with override_settings(RELAY_ATTACHMENT_MAX_BYTES=5000, RELAY_ATTACHMENTS_MAX_CASE_BYTES=9000):
        for path in ("/conversation", f"/cases/{uuid.uuid4()}"):
            html = client.get(path).content.decode()
            assert 'data-attachment-max-bytes="5000"' in html
            assert 'data-attachments-case-max-bytes="9000"' in html
        assert "data-attachment-max-bytes" not in client.get("/signin").content.decode()


def test_decrypted_media_may_be_shown_from_blob_urls_only(client: Client) -> None:
    csp = client.get("/conversation").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob:" in csp
    assert "media-src 'self' blob:" in csp
    # Nothing else loads from a blob: no script, style, frame or connection.
    for directive in ("script-src", "style-src", "connect-src", "default-src"):
        part = next(p for p in csp.split(";") if p.strip().startswith(directive))
        assert "blob:" not in part


def test_kdf_floor_is_lowered_only_by_the_test_setting(client: Client) -> None:
    html = client.get("/signin").content.decode()
    assert 'data-kdf-floor="1 8388608"' in html
    with override_settings(RELAY_TEST_KDF_FLOOR=False):
        assert "data-kdf-floor" not in client.get("/signin").content.decode()


def test_quick_exit_goes_to_the_configured_neutral_site(client: Client, db: None) -> None:
    with override_settings(RELAY_QUICK_EXIT_URL="https://www.bbc.co.uk/weather"):
        html = client.get("/").content.decode()
    assert 'data-quick-exit="https://www.bbc.co.uk/weather"' in html


def test_neutral_page_only_where_configured(client: Client) -> None:
    page = client.get("/weather")
    assert page.status_code == 200
    assert b"Relay" not in page.content and b"<script" not in page.content
    with override_settings(RELAY_SERVE_NEUTRAL_PAGE=False):
        assert client.get("/weather").status_code == 404


def test_page_shells_refuse_writes(client: Client) -> None:
    assert client.post("/signin").status_code == 405
    assert client.get("/cases/not-a-uuid").status_code == 404
