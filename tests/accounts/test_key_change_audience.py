"""A key change is announced to the people who encrypt to that key, and to no one else:
the other party never learns anything about a participant's account (DESIGN §1)."""

import pytest
from django.test import Client

from relay.accounts import actions
from relay.accounts.models import KeyVerification
from relay.audit.models import AuditEvent, AuditEventType
from relay.delivery.models import Event, EventType
from relay_client.crypto import KeyPair
from tests.factories import make_case, verified_session


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


@pytest.mark.django_db
def test_a_key_change_is_audited_and_announced_naming_the_key_it_replaced():
    sc = make_case()
    old = sc.harmed.keypair
    new = KeyPair.generate()
    actions.register_key(actor=sc.harmed.user, public_key=new.public)
    registered = AuditEvent.objects.filter(event_type=AuditEventType.KEY_REGISTERED)
    audit = registered.latest("seq")
    assert audit.actor_id == sc.harmed.user.pk
    assert audit.data == {"user": sc.harmed.id, "key": new.key_id, "replaced": old.key_id}
    event = Event.objects.get(user=sc.facilitator.user, event_type=EventType.KEY)
    assert event.data == {
        "user_id": sc.harmed.id,
        "key_id": new.key_id,
        "previous_key_id": old.key_id,
    }
    # Registering the same key again changes nothing and tells no one.
    actions.register_key(actor=sc.harmed.user, public_key=new.public)
    assert registered.latest("seq") == audit
    assert Event.objects.filter(event_type=EventType.KEY).count() == 1


@pytest.mark.django_db
def test_a_verification_method_that_is_not_text_is_refused():
    sc = make_case()
    client = verified_session(Client(), sc.facilitator)
    response = client.post(
        f"/api/cases/{sc.id}/keys/{sc.harmed.keypair.key_id}/verify",
        {"method": ["phone"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not KeyVerification.objects.exists()
