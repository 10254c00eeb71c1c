"""The only words a notification ever says: the same for everyone, naming no one, no case
and nothing anyone wrote."""

from __future__ import annotations

SUBJECT = "An update on Relay"
TEXT = "You have a new update on Relay. Sign in to read it."


def email_body(site_url: str, unsubscribe_url: str) -> str:
    return (
        f"{TEXT}\n\n{site_url}\n\n"
        "You get this email because you asked Relay to tell you about updates.\n"
        f"To stop these emails: {unsubscribe_url}\n"
    )


def sms_body(site_url: str) -> str:
    return f"{TEXT} {site_url}"
