"""Styled error pages: not found, not allowed, server error and refused form each have the
quick exit, a way back and the right status; under /api/ Django's plain answers stay."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from relay.pages import errors


def assert_styled(html: str, heading: str) -> None:
    assert f"<h1>{heading}</h1>" in html
    assert 'id="quick-exit"' in html and 'data-quick-exit="/weather"' in html
    assert 'href="/">Go to the home page</a>' in html
    assert '<script type="module" src="/static/relay.js"></script>' in html


def test_not_found_is_styled(client: Client, db: None) -> None:
    response = client.get("/contact-us")
    assert response.status_code == 404
    assert_styled(response.content.decode(), "Page not found")
    assert "no-store" in response.headers["Cache-Control"]


def test_forbidden_is_styled() -> None:
    response = errors.forbidden(RequestFactory().get("/cases"), PermissionDenied())
    assert response.status_code == 403
    assert_styled(response.content.decode(), "You cannot see this page")


def test_server_error_is_styled() -> None:
    response = errors.server_error(RequestFactory().get("/cases"))
    assert response.status_code == 500
    assert_styled(response.content.decode(), "Sorry, something went wrong")


def test_csrf_failure_is_styled(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/about", {"anything": "x"})
    assert response.status_code == 403
    assert_styled(response.content.decode(), "Your form could not be sent")


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (lambda r: errors.not_found(r, Exception()), 404),
        (lambda r: errors.forbidden(r, PermissionDenied()), 403),
        (errors.server_error, 500),
        (errors.csrf_failure, 403),
    ],
)
def test_api_keeps_django_plain_answers(handler, status: int) -> None:
    response = handler(RequestFactory().get("/api/nothing"))
    assert response.status_code == status
    assert b"quick-exit" not in response.content
