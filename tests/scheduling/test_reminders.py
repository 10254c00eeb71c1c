"""Reminders a day and an hour before, sent by the real worker through the real task
backend: once, even when a worker dies mid-run, and never for a cancelled meeting."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from relay.delivery import streams
from relay.delivery.models import Event, EventType
from relay.scheduling import actions, tasks
from relay.scheduling.models import Reminder
from tests.factories import make_case
from tests.scheduling.helpers import confirmed, consent_to_all, soon

pytestmark = pytest.mark.django_db


def reminders_to(person) -> list[dict]:
    return list(
        Event.objects.filter(
            user=person.user, event_type=EventType.MEETING, data__change="reminder"
        ).values_list("data", flat=True)
    )


def test_a_day_and_an_hour_before_each_once():
    sc = make_case()
    consent_to_all(sc)
    start = soon(60 * 48)
    meeting = confirmed(sc, start)
    assert sorted(
        Reminder.objects.filter(meeting=meeting, user=sc.harmed.user).values_list(
            "due_at", flat=True
        )
    ) == [start - datetime.timedelta(days=1), start - datetime.timedelta(hours=1)]
    assert tasks.send_due_reminders_now(start - datetime.timedelta(days=2)) == 0
    day_before = start - datetime.timedelta(days=1) + datetime.timedelta(seconds=1)
    assert tasks.send_due_reminders_now(day_before) == 3
    assert tasks.send_due_reminders_now(day_before) == 0
    assert [r["starts_at"] for r in reminders_to(sc.harmed)] == [start.isoformat()]
    hour_before = start - datetime.timedelta(minutes=59)
    assert tasks.send_due_reminders_now(hour_before) == 3
    assert tasks.send_due_reminders_now(hour_before) == 0
    assert len(reminders_to(sc.responsible)) == 2
    assert len(reminders_to(sc.facilitator)) == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_a_due_reminder_once():
    sc = make_case()
    consent_to_all(sc)
    # The hour-before reminder falls due two seconds from now.
    meeting = confirmed(sc, soon(62) - datetime.timedelta(minutes=1, seconds=58))
    assert Reminder.objects.filter(meeting=meeting).count() == 3
    time.sleep(max(0.0, (Reminder.objects.first().due_at - timezone.now()).total_seconds()))
    call_command("worker", "--once")
    assert len(reminders_to(sc.harmed)) == 1
    call_command("worker", "--once")
    call_command("worker", "--once")
    assert len(reminders_to(sc.harmed)) == 1
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()


def test_a_worker_dying_mid_run_loses_no_reminder_and_sends_none_twice(monkeypatch):
    sc = make_case()
    consent_to_all(sc)
    start = soon(60 * 48)
    confirmed(sc, start)
    due = start - datetime.timedelta(hours=23)
    real = streams.append_events
    calls = {"n": 0}

    def dies_on_the_second(batch, *, case=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")  # what a SIGTERM's second signal raises
        return real(batch, case=case)

    monkeypatch.setattr(tasks, "append_events", dies_on_the_second)
    with pytest.raises(SystemExit):
        tasks.send_due_reminders_now(due)
    # The run's transaction rolled back: nothing sent, nothing marked sent.
    assert Event.objects.filter(data__change="reminder").count() == 0
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 0
    monkeypatch.setattr(tasks, "append_events", real)
    assert tasks.send_due_reminders_now(due) == 3
    assert tasks.send_due_reminders_now(due) == 0
    assert Event.objects.filter(data__change="reminder").count() == 3


def test_a_cancelled_or_rescheduled_meeting_sends_no_old_reminder():
    sc = make_case()
    consent_to_all(sc)
    start = soon(60 * 48)
    meeting = confirmed(sc, start)
    actions.cancel_meeting(actor=sc.facilitator.user, meeting_id=meeting.pk)
    assert tasks.send_due_reminders_now(start - datetime.timedelta(minutes=30)) == 0
    other = confirmed(sc, soon(60 * 30))
    actions.reschedule_meeting(
        actor=sc.facilitator.user, meeting_id=other.pk, slots=[soon(60 * 90)]
    )
    assert tasks.send_due_reminders_now(timezone.now() + datetime.timedelta(days=5)) == 0
    assert Event.objects.filter(data__change="reminder").count() == 0


def test_a_reminder_for_a_meeting_already_started_is_not_sent():
    sc = make_case()
    consent_to_all(sc)
    start = soon(60 * 48)
    confirmed(sc, start)
    assert tasks.send_due_reminders_now(start + datetime.timedelta(minutes=1)) == 0
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
