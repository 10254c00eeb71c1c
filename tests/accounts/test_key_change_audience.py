"""A key change is announced to the people who encrypt to that key, and to no one else:
the other party never learns anything about a participant's account (DESIGN §1)."""

import pytest

from relay.accounts import actions
from relay.delivery.models import Event, EventType
from relay_client.crypto import KeyPair
from tests.factories import make_case


@pytest.mark.django_db
def test_a_participant_key_change_reaches_the_facilitators_but_not_the_other_party():
    sc = make_case(co_facilitator=True)
    actions.register_key(actor=sc.harmed.user, public_key=KeyPair.generate().public)
    told = set(Event.objects.filter(event_type=EventType.KEY).values_list("user_id", flat=True))
    assert told == {sc.facilitator.user.pk, sc.co_facilitator.user.pk}
    assert not Event.objects.filter(user=sc.responsible.user, event_type=EventType.KEY).exists()


@pytest.mark.django_db
def test_a_facilitator_key_change_reaches_everyone_in_their_cases():
    sc = make_case(co_facilitator=True)
    actions.register_key(actor=sc.facilitator.user, public_key=KeyPair.generate().public)
    told = set(Event.objects.filter(event_type=EventType.KEY).values_list("user_id", flat=True))
    assert told == {sc.co_facilitator.user.pk, sc.harmed.user.pk, sc.responsible.user.pk}
