"""Join tokens, checked as Jitsi's token verification (prosody mod_auth_token) checks them:
PyJWT decodes with the shared secret, audience and issuer and checks nbf and exp; then the
subject must be the Jitsi domain and the room claim the room being entered. And the
refusals: outside the window, a paused or withdrawn participation, consent gone."""

from __future__ import annotations

import datetime

import jwt
import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.utils import timezone

from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.delivery.models import Event, EventType
from relay.errors import AccessDenied, IllegalTransition
from relay.scheduling import actions, video
from relay.scheduling.models import Invitee
from relay.scheduling.selectors import meeting_wire
from tests.factories import make_case
from tests.scheduling.helpers import JITSI, SECRET, confirmed, consent_to_all, soon

pytestmark = [pytest.mark.django_db]


def verify_like_jitsi(
    token: str, *, room: str, domain: str = "meet.example.org", secret: str = SECRET
) -> dict:
    """What Jitsi does before letting a token into ``room``."""
    claims = jwt.decode(
        token,
        secret,
        algorithms=["HS256"],
        audience="jitsi",
        issuer="relay-test",
        options={"require": ["exp", "nbf", "aud", "iss", "sub", "room"]},
    )
    if claims["sub"] not in (domain, "*"):
        raise jwt.InvalidTokenError("wrong subject (domain)")
    if claims["room"] not in (room, "*"):
        raise jwt.InvalidTokenError("token for another room")
    return claims


@pytest.fixture
def live():
    """A confirmed joint video conference starting in five minutes (its room is open)."""
    with JITSI():
        sc = make_case()
        consent_to_all(sc)
        meeting = confirmed(sc, soon(5))
    return sc, meeting


def test_each_invitee_gets_their_own_short_token_for_this_room_only(live):
    sc, meeting = live
    with JITSI():
        mine = actions.join_meeting(actor=sc.harmed.user, meeting_id=meeting.pk)
        theirs = actions.join_meeting(actor=sc.responsible.user, meeting_id=meeting.pk)
        host = actions.join_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk)
    assert mine["url"] == f"https://meet.example.org/{meeting.room}?jwt={mine['token']}"
    claims = verify_like_jitsi(mine["token"], room=meeting.room)
    assert claims["context"]["user"]["id"] == sc.harmed.id
    assert claims["context"]["user"]["moderator"] is False and claims["moderator"] is False
    assert claims["context"]["user"]["affiliation"] == "member"
    assert claims["context"]["user"]["name"] == "Participant"
    assert 0 < claims["exp"] - claims["nbf"] <= 300
    assert verify_like_jitsi(theirs["token"], room=meeting.room)["context"]["user"]["id"] == (
        sc.responsible.id
    )
    host_claims = verify_like_jitsi(host["token"], room=meeting.room)
    assert host_claims["moderator"] is True
    assert host_claims["context"]["user"]["affiliation"] == "owner"
    # The room name is unguessable and the same for everyone in this meeting.
    assert len(meeting.room) >= 32 and mine["room"] == theirs["room"] == meeting.room
    joined = AuditEvent.objects.filter(event_type=AuditEventType.MEETING_JOINED)
    assert joined.count() == 3


def test_a_token_is_refused_for_another_room_domain_secret_or_time(live):
    sc, meeting = live
    with JITSI():
        token = actions.join_meeting(actor=sc.harmed.user, meeting_id=meeting.pk)["token"]
    with pytest.raises(jwt.InvalidTokenError, match="another room"):
        verify_like_jitsi(token, room="relay" + "0" * 32)
    with pytest.raises(jwt.InvalidTokenError, match="subject"):
        verify_like_jitsi(token, room=meeting.room, domain="other.example.org")
    with pytest.raises(jwt.InvalidSignatureError):
        verify_like_jitsi(token, room=meeting.room, secret="x" * 40)
    config = video.JitsiConfig(
        "meet.example.org", "relay-test", SECRET, "jitsi", "meet.example.org", 300
    )
    now = timezone.now()
    expired, _ = video.mint_jitsi_token(
        room=meeting.room,
        user_id=sc.harmed.id,
        display_name="Participant",
        moderator=False,
        now=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=1),
        config=config,
    )
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_like_jitsi(expired, room=meeting.room)
    early, _ = video.mint_jitsi_token(
        room=meeting.room,
        user_id=sc.harmed.id,
        display_name="Participant",
        moderator=False,
        now=now + datetime.timedelta(minutes=2),
        ends_at=now + datetime.timedelta(hours=1),
        config=config,
    )
    with pytest.raises(jwt.ImmatureSignatureError):
        verify_like_jitsi(early, room=meeting.room)
    # Never valid past the meeting's end.
    _, expires = video.mint_jitsi_token(
        room=meeting.room,
        user_id=sc.harmed.id,
        display_name="Participant",
        moderator=False,
        now=now,
        ends_at=now + datetime.timedelta(minutes=1),
        config=config,
    )
    assert expires == now + datetime.timedelta(minutes=1)


def refused(sc, meeting, person, match: str) -> None:
    before = AuditEvent.objects.count()
    with JITSI(), pytest.raises(IllegalTransition, match=match) as caught:
        actions.join_meeting(actor=person.user, meeting_id=meeting.pk)
    assert caught.value.code == "join_refused"
    assert AuditEvent.objects.count() == before


def test_the_room_opens_shortly_before_the_start_and_closes_at_the_end():
    with JITSI():
        sc = make_case()
        consent_to_all(sc)
        later = confirmed(sc, soon(120))
    refused(sc, later, sc.harmed, "opens shortly before")
    wire = meeting_wire(
        later, sc.harmed.user, Invitee.objects.get(meeting=later, user=sc.harmed.user)
    )
    assert wire["join"]["may_join"] is False
    assert (
        wire["join"]["opens_at"] == (later.starts_at - datetime.timedelta(minutes=10)).isoformat()
    )
    ended = timezone.now() + datetime.timedelta(minutes=200)
    assert actions.join_refusal_for(later, sc.harmed.user, None, ended) == (
        "This meeting has ended."
    )


@pytest.mark.parametrize("who", ["harmed", "responsible", "facilitator"])
def test_a_pause_shuts_the_conference_to_both_participants_at_once(live, who):
    sc, meeting = live
    actor = {"harmed": sc.harmed, "responsible": sc.responsible, "facilitator": sc.facilitator}[who]
    case_actions.pause(actor=actor.user, case_id=sc.case.pk)
    refused(sc, meeting, sc.harmed, "paused")
    refused(sc, meeting, sc.responsible, "paused")
    # The facilitator, told at once, may still enter as moderator to end it for everyone.
    shut = Event.objects.filter(
        user=sc.facilitator.user, event_type=EventType.MEETING, data__change="shut"
    )
    assert shut.count() == 1
    assert not Event.objects.filter(user=sc.responsible.user, data__change="shut").exists()
    with JITSI():
        assert actions.join_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk)["moderator"]
    invitee = Invitee.objects.select_related("meeting__case").get(
        meeting=meeting, user=sc.responsible.user
    )
    assert meeting_wire(invitee.meeting, sc.responsible.user, invitee)["join"]["may_join"] is False


def test_resuming_opens_the_room_again(live):
    sc, meeting = live
    case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
    refused(sc, meeting, sc.responsible, "paused")
    case_actions.resume(actor=sc.harmed.user, case_id=sc.case.pk)
    with JITSI():
        assert actions.join_meeting(actor=sc.responsible.user, meeting_id=meeting.pk)["token"]


def test_consent_to_conferences_withdrawn_shuts_the_room(live):
    sc, meeting = live
    case_actions.withdraw_consent(actor=sc.harmed.user, case_id=sc.case.pk, modes=["conference"])
    refused(sc, meeting, sc.responsible, "consent")
    refused(sc, meeting, sc.harmed, "consent")
    # The facilitator is told at once: the conference's room is open.
    assert Event.objects.filter(user=sc.facilitator.user, data__change="shut").count() == 1


def test_a_withdrawal_shuts_and_cancels(live):
    sc, meeting = live
    case_actions.withdraw(actor=sc.responsible.user, case_id=sc.case.pk)
    refused(sc, meeting, sc.harmed, "not confirmed")
    refused(sc, meeting, sc.responsible, "not confirmed")


def test_strangers_and_phone_meetings_get_no_token(live):
    sc, meeting = live
    other = make_case()
    with JITSI(), pytest.raises(AccessDenied):
        actions.join_meeting(actor=other.harmed.user, meeting_id=meeting.pk)
    with JITSI(), pytest.raises(AccessDenied):
        actions.join_meeting(actor=other.facilitator.user, meeting_id=meeting.pk)
    with JITSI():
        phone = confirmed(sc, soon(3), medium="phone")
    refused(sc, phone, sc.harmed, "not a video call")


def test_an_external_service_gets_no_token(live):
    sc, meeting = live
    reply = actions.join_meeting(actor=sc.harmed.user, meeting_id=meeting.pk)
    assert reply == {"meeting_id": str(meeting.pk), "provider": "external"}


def test_video_by_jitsi_without_a_secret_stops_the_start():
    def ids() -> set[str]:
        return {m.id for m in run_checks() if m.id and m.id.startswith("relay.E03")}

    assert ids() == set()
    with override_settings(
        RELAY_VIDEO_PROVIDER="jitsi",
        RELAY_JITSI_APP_SECRET="",
        RELAY_JITSI_DOMAIN="meet.example.org",
    ):
        assert ids() == {"relay.E030"}
    with override_settings(
        RELAY_VIDEO_PROVIDER="jitsi", RELAY_JITSI_APP_SECRET="short", RELAY_JITSI_DOMAIN=""
    ):
        assert ids() == {"relay.E030", "relay.E031"}
    with JITSI():
        assert ids() == set()
    with override_settings(RELAY_VIDEO_PROVIDER="zoom"):
        assert ids() == {"relay.E032"}
