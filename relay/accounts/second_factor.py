"""Whether a user has passed a second factor in this session (invariant 6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def passed_second_factor(user: Any) -> bool:
    """True if django-otp verified a device for this request or socket scope."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def has_verified_second_factor(user: Any) -> bool:
    """``passed_second_factor``, unless enforcement is switched off.

    ``user.is_verified`` is set by ``OTPMiddleware`` for HTTP and by the consumer for
    WebSockets (the middleware does not run there). Test settings may switch enforcement
    off for the tests that are not about it; production cannot (relay.E004).
    """
    if not getattr(settings, "RELAY_REQUIRE_STAFF_OTP", True):
        return True
    return passed_second_factor(user)


def second_factor_required(user: Any) -> bool:
    """Staff always need a second factor; a participant needs one once they have turned one
    on (a confirmed device), so their choice protects them everywhere."""
    if user.is_staff_role:
        return True
    cached = getattr(user, "_relay_has_second_factor", None)
    if cached is None:
        from django_otp import user_has_device

        cached = user_has_device(user, confirmed=True)
        user._relay_has_second_factor = cached
    return bool(cached)


def second_factor_missing(user: Any) -> bool:
    """True when this user must pass a second factor and has not in this session."""
    return second_factor_required(user) and not has_verified_second_factor(user)


def verify_for_socket(user: Any, session: Any) -> None:
    """Give a WebSocket's user the same ``is_verified()`` that OTPMiddleware gives HTTP.

    The middleware does not run for WebSockets, so the consumer calls this in ``connect``:
    the device id django-otp stored in the session must still name a confirmed device of
    this user.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    device = None
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if persistent_id:
        candidate = Device.from_persistent_id(persistent_id, for_verify=False)
        if candidate is not None and candidate.user_id == user.pk and candidate.confirmed:
            device = candidate
    user.otp_device = device
    user.is_verified = lambda: device is not None
    second_factor_required(user)  # loaded here, in a thread, so the consumer need not query


def at_console(user: Any) -> Any:
    """For management commands only: an operator at the server's console stands in for the
    second factor, as with Django's own ``createsuperuser``."""
    user.is_verified = lambda: True
    return user
