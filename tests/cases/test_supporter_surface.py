"""A supporter over the HTTP API: their own operations answer them and nobody else, and
every case operation of the participants and facilitators refuses them (404, as for
anything not theirs)."""

from __future__ import annotations

import pytest

from relay.cases import supporters
from tests.cases.test_supporters import with_supporter
from tests.envelopes import seal_from
from tests.factories import make_case
from tests.moderation.helpers import http_client, submit, via_http

pytestmark = pytest.mark.django_db


def test_a_supporter_reaches_their_own_operations_and_no_other() -> None:
    sc = make_case()
    friend, supporter_id = with_supporter(sc)
    pending = submit(sc, sc.responsible)  # the other side's message: never theirs
    client = http_client(friend)
    status, body = via_http(client, "supporting")
    assert status == 200 and [c["side"] for c in body["cases"]] == ["harmed"]
    assert "responsible" not in str(body)
    assert body["cases"][0]["participant"]["user_id"] == sc.harmed.id
    draft = seal_from(friend, sc, "supporter_draft", "d", to=[sc.facilitator, friend])
    status, body = via_http(client, "send", envelope=draft)
    assert status == 200, body
    status, body = via_http(client, "supporter_messages", case_id=sc.id)
    assert status == 200 and [m["kind"] for m in body["messages"]] == ["supporter_draft"]
    for op, fields in (
        ("case", {"case_id": sc.id}),
        ("pause", {"case_id": sc.id}),
        ("withdraw", {"case_id": sc.id}),
        ("consent", {"case_id": sc.id}),
        ("records", {"case_id": sc.id}),
        ("timeline", {"case_id": sc.id}),
        ("notices", {"case_id": sc.id}),
        ("queue", {"case_id": sc.id}),
        ("supporters", {"case_id": sc.id}),
        ("request_supporter", {"case_id": sc.id}),
        ("end_supporter", {"supporter_id": supporter_id}),
        ("message", {"message_id": str(pending.pk)}),
    ):
        status, body = via_http(client, op, **fields)
        assert status == 404, (op, body)
    # Consent ends: at once, the supporter's reads and drafts are refused.
    supporters.end_supporter(actor=sc.harmed.user, supporter_id=supporter_id)
    for op, fields in (
        ("supporter_messages", {"case_id": sc.id}),
        (
            "send",
            {
                "envelope": seal_from(
                    friend, sc, "supporter_draft", "e", to=[sc.facilitator, friend]
                )
            },
        ),
    ):
        status, body = via_http(client, op, **fields)
        assert status == 404, (op, body)
    status, body = via_http(client, "supporting")
    assert status == 200 and body["cases"] == []
