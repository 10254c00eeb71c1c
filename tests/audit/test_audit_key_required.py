"""Production refuses to start without an audit key of its own: without it the link MACs
and checkpoint signatures would be made with a key anyone can read in the source."""

from __future__ import annotations

import pytest
from django.test import override_settings

from relay.checks import production_settings
from tests.accounts.test_hardening import GOOD, manage, production_env

EMBEDDED_DEFAULT = "embedded-default-insecure-audit-key-do-not-deploy"


def test_production_refuses_to_start_without_an_audit_key() -> None:
    result = manage("check", "--deploy", env=production_env(RELAY_AUDIT_KEY=""))
    assert result.returncode != 0
    assert "Production needs these environment variables: RELAY_AUDIT_KEY." in result.stderr


def test_production_refuses_a_short_audit_key() -> None:
    result = manage("check", "--deploy", env=production_env(RELAY_AUDIT_KEY="short"))
    assert result.returncode != 0
    assert "relay.E006" in result.stderr


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize(
    "key", [EMBEDDED_DEFAULT, "x" * 31, GOOD["SECRET_KEY"]], ids=["default", "short", "reused"]
)
def test_the_audit_key_check_fires(key: str) -> None:
    with override_settings(**{**GOOD, "RELAY_AUDIT_KEY": key}):
        assert [error.id for error in production_settings(None)] == ["relay.E006"]
    with override_settings(**{**GOOD, "RELAY_AUDIT_KEY": key, "RELAY_PRODUCTION": False}):
        assert production_settings(None) == []


def test_the_embedded_default_is_the_one_the_check_refuses() -> None:
    from django.conf import settings

    from relay.settings import RELAY_AUDIT_KEY

    assert RELAY_AUDIT_KEY == EMBEDDED_DEFAULT
    # Tests use their own fixed key, never the embedded one.
    assert settings.RELAY_AUDIT_KEY not in ("", EMBEDDED_DEFAULT)
