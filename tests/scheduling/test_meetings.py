"""Meetings through their states, with the rules each transition asks: consent to the mode
for a joint conference, the pause and withdrawal, answers kept private between the parties,
sealed details, and a case that ends cancelling its meetings."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from relay.audit.models import AuditEvent, AuditEventType
from relay.cases import actions as case_actions
from relay.cases import supporters
from relay.cases.models import Participation
from relay.delivery.models import Event, EventType
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition, InvalidRequest
from relay.scheduling import actions
from relay.scheduling.models import Invitee, Meeting, MeetingState, Reminder, Slot
from relay.scheduling.selectors import local_time, meeting_wire, meetings_for
from tests.cases.endings import AGREEMENT_OUTCOME
from tests.envelopes import open_as, parsed
from tests.factories import make_case
from tests.scheduling.helpers import confirmed, consent_to_all, details_for, propose, soon

pytestmark = pytest.mark.django_db


def meeting_events(person) -> list[dict]:
    return list(
        Event.objects.filter(user=person.user, event_type=EventType.MEETING)
        .order_by("seq")
        .values_list("data", flat=True)
    )


def test_a_conference_goes_from_proposed_to_confirmed_to_cancelled():
    sc = make_case()
    consent_to_all(sc)
    meeting = propose(sc)
    assert meeting.state == MeetingState.PROPOSED and meeting.starts_at is None
    assert {i.user_id for i in Invitee.objects.filter(meeting=meeting)} == {
        sc.harmed.user.pk,
        sc.responsible.user.pk,
    }
    first, second = Slot.objects.filter(meeting=meeting)
    for person in (sc.harmed, sc.responsible):
        actions.answer_meeting(
            actor=person.user,
            meeting_id=meeting.pk,
            answers={str(first.pk): "decline", str(second.pk): "accept"},
        )
    with pytest.raises(IllegalTransition, match="cannot come"):
        actions.confirm_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk, slot_id=first.pk)
    meeting = actions.confirm_meeting(
        actor=sc.facilitator.user, meeting_id=meeting.pk, slot_id=second.pk
    )
    assert meeting.state == MeetingState.CONFIRMED and meeting.starts_at == second.starts_at
    assert meeting.sequence == 1
    # A day and an hour before, for both participants and the facilitator.
    assert Reminder.objects.filter(meeting=meeting).count() == 6
    with pytest.raises(IllegalTransition):
        actions.answer_meeting(
            actor=sc.harmed.user, meeting_id=meeting.pk, answers={str(second.pk): "decline"}
        )
    meeting = actions.cancel_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk)
    assert meeting.state == MeetingState.CANCELLED and meeting.sequence == 2
    assert not Reminder.objects.filter(meeting=meeting, sent_at__isnull=True).exists()
    with pytest.raises(IllegalTransition, match="cancelled"):
        actions.cancel_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk)
    with pytest.raises(IllegalTransition, match="cancelled"):
        actions.reschedule_meeting(
            actor=sc.facilitator.user, meeting_id=meeting.pk, slots=[soon(600)]
        )
    changes = [e["change"] for e in meeting_events(sc.responsible)]
    assert changes == ["proposed", "answered", "confirmed", "cancelled"]
    types = list(
        AuditEvent.objects.filter(
            case_id=sc.case.pk, event_type__gte=70, event_type__lt=80
        ).values_list("event_type", flat=True)
    )
    assert types == [
        AuditEventType.MEETING_PROPOSED,
        AuditEventType.MEETING_ANSWERED,
        AuditEventType.MEETING_ANSWERED,
        AuditEventType.MEETING_CONFIRMED,
        AuditEventType.MEETING_CANCELLED,
    ]


def test_rescheduling_proposes_new_times_and_drops_answers_and_reminders():
    sc = make_case()
    consent_to_all(sc)
    meeting = confirmed(sc, soon(60 * 48))
    uid = meeting.calendar_uid
    meeting = actions.reschedule_meeting(
        actor=sc.facilitator.user,
        meeting_id=meeting.pk,
        slots=[soon(60 * 72)],
        duration_minutes=90,
    )
    assert meeting.state == MeetingState.PROPOSED and meeting.starts_at is None
    assert meeting.calendar_uid == uid and meeting.sequence == 2
    assert meeting.duration_minutes == 90
    assert not Reminder.objects.filter(meeting=meeting).exists()
    assert Slot.objects.filter(meeting=meeting).count() == 1
    assert "rescheduled" in [e["change"] for e in meeting_events(sc.harmed)]


def test_each_party_sees_only_their_own_answers_and_nothing_of_the_other():
    sc = make_case()
    consent_to_all(sc)
    meeting = propose(sc)
    first, second = Slot.objects.filter(meeting=meeting)
    actions.answer_meeting(
        actor=sc.harmed.user, meeting_id=meeting.pk, answers={str(first.pk): "need_to_talk"}
    )
    harmed = Invitee.objects.get(meeting=meeting, user=sc.harmed.user)
    responsible = Invitee.objects.get(meeting=meeting, user=sc.responsible.user)
    theirs = meeting_wire(meeting, sc.responsible.user, responsible)
    assert "invitees" not in theirs
    assert [s["my_answer"] for s in theirs["slots"]] == [None, None]
    assert sc.harmed.id not in str(theirs)
    mine = meeting_wire(meeting, sc.harmed.user, harmed)
    assert [s["my_answer"] for s in mine["slots"]] == ["need_to_talk", None]
    facilitator = meeting_wire(meeting, sc.facilitator.user, None)
    by_user = {i["user_id"]: i["answers"] for i in facilitator["invitees"]}
    assert by_user == {sc.harmed.id: {str(first.pk): "need_to_talk"}, sc.responsible.id: {}}
    # The other party is not told that an answer came.
    assert [e["change"] for e in meeting_events(sc.responsible)] == ["proposed"]
    assert [e["change"] for e in meeting_events(sc.harmed)] == ["proposed", "answered"]


def test_a_preparation_meeting_is_invisible_to_the_other_party():
    sc = make_case(active=False)
    meeting = propose(sc, kind="preparation", medium="phone", side="responsible")
    assert [i.user_id for i in Invitee.objects.filter(meeting=meeting)] == [sc.responsible.user.pk]
    assert meetings_for(sc.harmed.user) == []
    assert meeting_events(sc.harmed) == []
    with pytest.raises(AccessDenied):
        actions.answer_meeting(actor=sc.harmed.user, meeting_id=meeting.pk, answers={"x": "y"})
    assert [m["meeting_id"] for m in meetings_for(sc.responsible.user)] == [str(meeting.pk)]


def test_a_joint_conference_needs_both_participants_consent_to_its_mode():
    sc = make_case()  # consented to messages only
    before = Meeting.objects.count()
    with pytest.raises(IllegalTransition, match="consent") as refused:
        propose(sc, medium="video")
    assert refused.value.code == "consent_missing"
    case_actions.give_consent(actor=sc.harmed.user, case_id=sc.case.pk, modes=["conference"])
    with pytest.raises(IllegalTransition, match="consent"):
        propose(sc, medium="phone")
    case_actions.give_consent(actor=sc.responsible.user, case_id=sc.case.pk, modes=["conference"])
    propose(sc, medium="phone")
    with pytest.raises(IllegalTransition, match="meeting in person"):
        propose(sc, medium="in_person")
    assert Meeting.objects.count() == before + 1
    assert set(Participation.objects.get(case=sc.case, side="harmed").consented_modes) == {
        "conference",
        "messages",
    }


@pytest.mark.parametrize("who", ["harmed", "responsible", "facilitator"])
def test_a_pause_refuses_a_new_conference_and_its_confirmation(who):
    sc = make_case()
    consent_to_all(sc)
    meeting = propose(sc)
    actor = {"harmed": sc.harmed, "responsible": sc.responsible, "facilitator": sc.facilitator}[who]
    case_actions.pause(actor=actor.user, case_id=sc.case.pk)
    with pytest.raises(IllegalTransition, match="paused"):
        propose(sc)
    slot = Slot.objects.filter(meeting=meeting).first()
    with pytest.raises(IllegalTransition, match="paused"):
        actions.confirm_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk, slot_id=slot.pk)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PROPOSED
    # A preparation meeting with one person is not a conversation with the other party.
    propose(sc, kind="preparation", side="harmed")


def test_a_withdrawal_cancels_the_meetings_the_participant_was_invited_to():
    sc = make_case()
    consent_to_all(sc)
    conference = confirmed(sc, soon(60 * 30))
    theirs = propose(sc, kind="preparation", side="responsible")
    other = propose(sc, kind="preparation", side="harmed")
    case_actions.withdraw(actor=sc.responsible.user, case_id=sc.case.pk)
    states = dict(Meeting.objects.values_list("pk", "state"))
    assert states[conference.pk] == states[theirs.pk] == MeetingState.CANCELLED
    assert states[other.pk] == MeetingState.PROPOSED
    assert not Reminder.objects.filter(meeting=conference, sent_at__isnull=True).exists()
    assert "cancelled" in [e["change"] for e in meeting_events(sc.harmed)]
    with pytest.raises(IllegalTransition, match="withdrawn"):
        propose(sc, kind="preparation", side="responsible")


def test_a_concluded_or_closed_case_cancels_its_meetings():
    sc = make_case()
    consent_to_all(sc)
    upcoming = confirmed(sc, soon(60 * 30))
    proposed = propose(sc, kind="preparation", side="harmed")
    case_actions.conclude_case(
        actor=sc.facilitator.user, case_id=sc.case.pk, outcome=AGREEMENT_OUTCOME
    )
    assert set(Meeting.objects.values_list("state", flat=True)) == {MeetingState.CANCELLED}
    reasons = [
        e.data["reason"]
        for e in AuditEvent.objects.filter(event_type=AuditEventType.MEETING_CANCELLED)
    ]
    assert reasons == ["case_concluded", "case_concluded"]
    assert {upcoming.pk, proposed.pk} == set(Meeting.objects.values_list("pk", flat=True))
    with pytest.raises(IllegalTransition, match="ended"):
        propose(sc, kind="preparation", side="harmed")


def test_closing_a_case_in_preparation_cancels_its_meetings():
    sc = make_case(active=False)
    meeting = propose(sc, kind="preparation", medium="in_person", side="harmed")
    case_actions.close_case(actor=sc.facilitator.user, case_id=sc.case.pk, reason="no_contact")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CANCELLED


def test_bad_input_is_refused_and_changes_nothing():
    sc = make_case()
    consent_to_all(sc)
    before = (Meeting.objects.count(), AuditEvent.objects.count(), Event.objects.count())
    past = timezone.now() - datetime.timedelta(minutes=5)
    naive = datetime.datetime(2030, 1, 1, 10, 0)  # noqa: DTZ001
    cases = [
        (dict(slots=[past]), "future"),
        (dict(slots=[naive]), "time zone"),
        (dict(slots=[soon(60 + i) for i in range(6)]), "between 1 and 5"),
        (dict(duration=5), "between 15 and 240"),
        (dict(kind="preparation"), "side"),
        (dict(side="harmed"), "no side"),
        (dict(kind="party"), "kind"),
        (dict(medium="carrier_pigeon"), "medium"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InvalidRequest, match=message):
            propose(sc, **kwargs)
    meeting = propose(sc)
    with pytest.raises(InvalidRequest, match="not proposed"):
        actions.answer_meeting(
            actor=sc.harmed.user, meeting_id=meeting.pk, answers={"nope": "accept"}
        )
    slot = Slot.objects.filter(meeting=meeting).first()
    with pytest.raises(InvalidRequest, match="accept, decline"):
        actions.answer_meeting(
            actor=sc.harmed.user, meeting_id=meeting.pk, answers={str(slot.pk): "maybe"}
        )
    with pytest.raises(IllegalTransition):
        actions.answer_meeting(
            actor=sc.facilitator.user, meeting_id=meeting.pk, answers={str(slot.pk): "accept"}
        )
    with pytest.raises(AccessDenied):
        actions.cancel_meeting(actor=sc.harmed.user, meeting_id=meeting.pk)
    after = (Meeting.objects.count(), AuditEvent.objects.count(), Event.objects.count())
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1


def test_details_are_sealed_to_exactly_the_invitees_and_facilitators():
    sc = make_case(active=False)
    to_responsible = details_for(sc, [sc.facilitator, sc.responsible])
    meeting = propose(
        sc, kind="preparation", medium="in_person", side="responsible", details=to_responsible
    )
    assert open_as(sc.responsible, meeting.details, sc.facilitator) == "Room 3, Town Hall"
    assert "Town Hall" not in str(meeting.details)
    # Sealed to the other party too: refused, nothing stored.
    leaky = details_for(sc, [sc.facilitator, sc.responsible, sc.harmed])
    with pytest.raises(EnvelopeRejected) as refused:
        actions.set_meeting_details(
            actor=sc.facilitator.user, meeting_id=meeting.pk, details=parsed(leaky)
        )
    assert refused.value.code == "recipients_forbidden"
    missing = details_for(sc, [sc.facilitator])
    with pytest.raises(EnvelopeRejected) as refused:
        actions.set_meeting_details(
            actor=sc.facilitator.user, meeting_id=meeting.pk, details=parsed(missing)
        )
    assert refused.value.code == "recipients_missing"
    meeting.refresh_from_db()
    assert open_as(sc.responsible, meeting.details, sc.facilitator) == "Room 3, Town Hall"


def test_times_are_stored_in_utc_and_shown_in_the_readers_zone_across_clock_changes():
    import zoneinfo

    london = zoneinfo.ZoneInfo("Europe/London")
    utc = datetime.UTC
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026, back on Sunday 25 October.
    assert local_time(datetime.datetime(2026, 3, 28, 10, 0, tzinfo=utc), london) == (
        "Saturday 28 March 2026, 10:00 GMT"
    )
    assert local_time(datetime.datetime(2026, 3, 29, 10, 0, tzinfo=utc), london) == (
        "Sunday 29 March 2026, 11:00 BST"
    )
    assert local_time(datetime.datetime(2026, 10, 25, 0, 30, tzinfo=utc), london) == (
        "Sunday 25 October 2026, 01:30 BST"
    )
    assert local_time(datetime.datetime(2026, 10, 25, 1, 30, tzinfo=utc), london) == (
        "Sunday 25 October 2026, 01:30 GMT"
    )
    # A time given with an offset is stored as the same instant in UTC.
    sc = make_case()
    consent_to_all(sc)
    start = datetime.datetime(
        2030, 6, 3, 19, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    meeting = propose(sc, slots=[start])
    stored = Slot.objects.get(meeting=meeting).starts_at
    assert stored == start and stored.utcoffset() == datetime.timedelta(0)
    wire = meeting_wire(meeting, sc.facilitator.user, None)
    assert wire["slots"][0]["starts_at"] == "2030-06-03T18:00:00+00:00"
    assert wire["slots"][0]["starts_at_local"] == "Monday 3 June 2030, 19:00 BST"


def test_a_consented_supporter_is_invited_with_their_participant_and_leaves_when_consent_ends():
    from tests.cases.test_supporters import with_supporter

    sc = make_case(active=False)
    friend, supporter_id = with_supporter(sc)
    with pytest.raises(EnvelopeRejected):  # the details must reach the supporter too
        propose(sc, kind="preparation", medium="phone", side="harmed",
                details=details_for(sc, [*sc.facilitators(), sc.harmed]))
    meeting = propose(sc, kind="preparation", medium="phone", side="harmed",
                      details=details_for(sc, [*sc.facilitators(), sc.harmed, friend]))
    other = propose(sc, kind="preparation", medium="phone", side="responsible")

    invited = {(i.user_id, i.supporter) for i in Invitee.objects.filter(meeting=meeting)}
    assert invited == {(sc.harmed.user.pk, False), (friend.user.pk, True)}
    assert not Invitee.objects.filter(meeting=other, user=friend.user).exists()
    assert [m["meeting_id"] for m in meetings_for(friend.user)] == [str(meeting.pk)]

    supporters.end_supporter(actor=sc.harmed.user, supporter_id=supporter_id)

    assert meetings_for(friend.user) == []
    with pytest.raises(AccessDenied):
        actions.answer_meeting(actor=friend.user, meeting_id=meeting.pk, answers={"x": "y"})
    assert [i.user_id for i in Invitee.objects.filter(meeting=meeting)] == [sc.harmed.user.pk]
