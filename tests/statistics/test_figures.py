"""Referrals by source and month, and the time from referral to first contact, read from
what intake and case work record."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from relay.accounts.models import Role
from relay.cases.models import CaseRecord, RecordKind
from relay.referrals.models import Referral
from relay.statistics.figures import Period, compute
from tests.factories import make_case, make_person
from tests.referrals.helpers import professional_referral, self_referral, with_intake_key

pytestmark = pytest.mark.django_db


def this_month() -> Period:
    month = timezone.localdate().replace(day=1)
    return Period(month, month)


def referrals_figure(period: Period):
    return next(f for f in compute(period).figures if f.key == "referrals_by_source")


def count_of(figure, source_label: str) -> int | None:
    return figure.shown(figure.rows.index(source_label), 0)


def test_referrals_are_counted_by_source_and_month() -> None:
    _, intake = with_intake_key()
    for n in range(6):
        self_referral(intake, address=f"192.0.2.{n + 1}")
    for _ in range(5):
        professional_referral(intake)

    figure = referrals_figure(this_month())

    assert figure.columns == [f"{timezone.localdate():%B %Y}"]
    assert (count_of(figure, "Self-referral"), count_of(figure, "Probation")) == (6, 5)
    assert count_of(figure, "Police") == 0


def test_a_source_with_fewer_than_5_referrals_is_not_shown() -> None:
    _, intake = with_intake_key()
    for n in range(6):
        self_referral(intake, address=f"192.0.2.{n + 1}")
    professional_referral(intake)

    figure = referrals_figure(this_month())

    assert count_of(figure, "Probation") is None
    assert Referral.objects.count() == 7


def test_the_first_contact_that_reached_someone_starts_the_clock() -> None:
    facilitator = make_person(Role.FACILITATOR)
    opened = timezone.now() - timedelta(days=1)
    for _ in range(5):
        case = make_case(active=False).case
        type(case).objects.filter(pk=case.pk).update(created_at=opened - timedelta(days=3))
        for reached, days in ((False, 1), (True, 2), (True, 3)):
            record = CaseRecord.objects.create(
                case=case, kind=RecordKind.CONTACT_ATTEMPT, author=facilitator.user,
                facts={"side": "harmed", "method": "phone", "reached": reached},
            )
            CaseRecord.objects.filter(pk=record.pk).update(
                created_at=opened - timedelta(days=3) + timedelta(days=days)
            )

    stats = compute(this_month())

    first_contact = next(m for m in stats.medians if m.key == "time_to_first_contact")
    assert (first_contact.days, first_contact.count) == (2.0, 5)
    assert not [w for w in stats.waiting if w.key in {"time_to_first_contact",
                                                       "referrals_by_source"}]


def test_a_month_with_no_referrals_shows_zeros() -> None:
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=365)).replace(day=1)
    figure = referrals_figure(Period(month, month))
    assert [count_of(figure, label) for label in figure.rows] == [0] * len(figure.rows)
