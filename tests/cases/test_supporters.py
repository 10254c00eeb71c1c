"""Supporters: a participant asks, a facilitator approves, the supporter enrols with their
own keys; invariant 1 extended (an envelope from or to a participant may also name their
consented supporters, nothing more); a supporter reads only their participant's side, never
sends to the other party, and loses access at once when consent ends; the other party is
never told."""

from __future__ import annotations

import pytest

from relay.accounts.models import Role
from relay.cases import supporters
from relay.cases.models import Participation, SupporterState
from relay.cases.visibility import case_summary
from relay.delivery.models import Event
from relay.errors import AccessDenied, EnvelopeRejected, IllegalTransition
from relay.moderation import actions as moderation
from relay.moderation.models import Message
from relay.moderation.selectors import messages_sealed_to
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.envelopes import open_as, parsed, seal_from
from tests.factories import Person, ShuttleCase, make_case, password_keys
from tests.moderation.helpers import forward

pytestmark = pytest.mark.django_db


def with_supporter(sc: ShuttleCase) -> tuple[Person, str]:
    """The person harmed asks for a supporter, the facilitator approves, the supporter
    enrols with the code, as their device would."""
    from relay.cases import participants

    request = supporters.request_supporter(actor=sc.harmed.user, case_id=sc.case.pk)
    code, invitation = supporters.approve_supporter(
        actor=sc.facilitator.user,
        supporter_id=request.pk,
        username=f"friend-{sc.case.reference}",
        display_name="Friend",
    )
    user = invitation.user
    assert user.role == Role.SUPPORTER
    keys = password_keys(user)
    keypair = KeyPair.generate()
    participants.enrol(
        code=code,
        login_key=keys.login_key_b64,
        public_key=keypair.public,
        wrapped=crypto.wrap_secret_key(keypair.secret, keys.wrap_key),
    )
    user.refresh_from_db()
    return Person(user, keypair), str(request.pk)


def harmed_of(sc: ShuttleCase) -> Participation:
    return Participation.objects.get(case=sc.case, side="harmed")


def test_a_consented_supporter_may_be_named_on_their_participants_side_only() -> None:
    sc = make_case()
    friend, _ = with_supporter(sc)
    assert supporters.consented_supporters(harmed_of(sc)) == [friend.user]
    # The participant's message may name their supporter.
    raw = seal_from(sc.harmed, sc, "question", "Why?", to=[sc.facilitator, sc.harmed, friend])
    question = moderation.submit_message(actor=sc.harmed.user, envelope=parsed(raw)).message
    # The other party's message may not: the supporter is not theirs.
    raw = seal_from(sc.responsible, sc, "answer", "x", to=[sc.facilitator, sc.responsible, friend])
    with pytest.raises(EnvelopeRejected) as refused:
        moderation.submit_message(actor=sc.responsible.user, envelope=parsed(raw))
    assert refused.value.code == "recipients_forbidden"
    # A forward to the other party may not name the harmed person's supporter either.
    bad = seal_from(
        sc.facilitator,
        sc,
        "question",
        "Why?",
        to=[sc.facilitator, sc.responsible, friend],
        derived_from=str(question.pk),
    )
    with pytest.raises(EnvelopeRejected) as refused:
        moderation.forward_message(
            actor=sc.facilitator.user, message_id=question.pk, envelope=parsed(bad)
        )
    assert refused.value.code == "recipients_forbidden"
    forward(sc, question)
    # A facilitator's note to the harmed person may name the supporter too.
    note = seal_from(
        sc.facilitator, sc, "facilitator_note", "Hello both", to=[sc.facilitator, sc.harmed, friend]
    )
    moderation.send_facilitator_note(actor=sc.facilitator.user, envelope=parsed(note))
    # The supporter reads what was sealed to them: their participant's side only.
    seen = messages_sealed_to(friend.user, sc.case.pk)
    assert {m.kind for m in seen} == {"question", "facilitator_note"}
    assert all(m.sender_id != sc.responsible.user.pk for m in seen)
    assert open_as(friend, {"header": seen[0].header, **_body(seen[0])}, sc.harmed) == "Why?"


def _body(message: Message) -> dict[str, object]:
    from relay.moderation.selectors import envelope_wire

    wire = envelope_wire(message)
    return {"nonce": wire["nonce"], "ciphertext": wire["ciphertext"], "keys": wire["keys"]}


def test_a_supporter_drafts_for_the_facilitators_and_never_reaches_the_other_party() -> None:
    sc = make_case()
    friend, _ = with_supporter(sc)
    draft = seal_from(friend, sc, "supporter_draft", "Maybe ask this", to=[sc.facilitator, friend])
    message = moderation.submit_supporter_message(actor=friend.user, envelope=parsed(draft))
    assert (message.audience, message.state) == ("facilitators", "delivered")
    to_other = seal_from(
        friend, sc, "supporter_draft", "x", to=[sc.facilitator, friend, sc.responsible]
    )
    with pytest.raises(EnvelopeRejected) as refused:
        moderation.submit_supporter_message(actor=friend.user, envelope=parsed(to_other))
    assert refused.value.code == "recipients_forbidden"
    question = seal_from(friend, sc, "question", "x", to=[sc.facilitator, friend])
    with pytest.raises(EnvelopeRejected) as refused:
        moderation.submit_supporter_message(actor=friend.user, envelope=parsed(question))
    assert refused.value.code == "bad_kind"
    # Not a participant: the participant's send path does not know them.
    with pytest.raises(AccessDenied):
        moderation.submit_message(actor=friend.user, envelope=parsed(question))
    # A draft is never in the moderation queue, so it cannot be forwarded.
    with pytest.raises(AccessDenied):
        forward(sc, message)


def test_when_consent_ends_the_key_leaves_every_later_recipient_set_at_once() -> None:
    sc = make_case()
    friend, supporter_id = with_supporter(sc)
    supporters.end_supporter(actor=sc.harmed.user, supporter_id=supporter_id)
    assert supporters.consented_supporters(harmed_of(sc)) == []
    raw = seal_from(sc.harmed, sc, "question", "Why?", to=[sc.facilitator, sc.harmed, friend])
    with pytest.raises(EnvelopeRejected) as refused:
        moderation.submit_message(actor=sc.harmed.user, envelope=parsed(raw))
    assert refused.value.code == "recipients_forbidden"
    draft = seal_from(friend, sc, "supporter_draft", "x", to=[sc.facilitator, friend])
    with pytest.raises(AccessDenied):
        moderation.submit_supporter_message(actor=friend.user, envelope=parsed(draft))
    with pytest.raises(AccessDenied):
        supporters.access_as_supporter(friend.user, sc.case.pk)
    with pytest.raises(IllegalTransition):
        supporters.end_supporter(actor=sc.facilitator.user, supporter_id=supporter_id)


def test_the_other_party_is_never_told_and_may_not_act_on_it() -> None:
    sc = make_case()
    before = set(Event.objects.filter(user=sc.responsible.user).values_list("pk", flat=True))
    friend, supporter_id = with_supporter(sc)
    after = set(Event.objects.filter(user=sc.responsible.user).values_list("pk", flat=True))
    assert after == before
    assert case_summary(sc.responsible.user, sc.case.pk)["supporters"] == []
    assert [s["user_id"] for s in case_summary(sc.harmed.user, sc.case.pk)["supporters"]] == [
        friend.id
    ]
    with pytest.raises(AccessDenied):
        supporters.end_supporter(actor=sc.responsible.user, supporter_id=supporter_id)
    with pytest.raises(AccessDenied):
        supporters.supporters_of_case(sc.manager.user, sc.case.pk)
    assert supporters.supporters_of_case(sc.responsible.user, sc.case.pk)["supporters"] == []


def test_only_a_facilitator_of_the_case_approves_and_only_a_request() -> None:
    sc = make_case()
    request = supporters.request_supporter(actor=sc.harmed.user, case_id=sc.case.pk)
    for outsider in (sc.manager, sc.harmed, sc.responsible):
        with pytest.raises(AccessDenied):
            supporters.approve_supporter(
                actor=outsider.user, supporter_id=request.pk, username="someone"
            )
    request.refresh_from_db()
    assert request.state == SupporterState.REQUESTED and request.user_id is None
    supporters.end_supporter(actor=sc.facilitator.user, supporter_id=request.pk)
    with pytest.raises(IllegalTransition):
        supporters.approve_supporter(
            actor=sc.facilitator.user, supporter_id=request.pk, username="someone"
        )


def test_the_list_says_who_ended_each_supporter() -> None:
    sc = make_case()
    _, kept_id = with_supporter(sc)
    declined = supporters.request_supporter(actor=sc.harmed.user, case_id=sc.case.pk)
    supporters.end_supporter(actor=sc.facilitator.user, supporter_id=declined.pk)
    supporters.end_supporter(actor=sc.harmed.user, supporter_id=kept_id)
    taken_back = supporters.request_supporter(actor=sc.harmed.user, case_id=sc.case.pk)
    supporters.end_supporter(actor=sc.harmed.user, supporter_id=taken_back.pk)
    pending = supporters.request_supporter(actor=sc.harmed.user, case_id=sc.case.pk)
    rows = {
        s["supporter_id"]: s
        for s in supporters.supporters_of_case(sc.harmed.user, sc.case.pk)["supporters"]
    }
    assert (rows[kept_id]["state"], rows[kept_id]["ended_by"]) == ("ended", "participant")
    assert rows[kept_id]["display_name"] == "Friend" and rows[kept_id]["ended_at"]
    assert (rows[str(declined.pk)]["state"], rows[str(declined.pk)]["ended_by"]) == (
        "ended", "facilitator",
    )
    assert rows[str(taken_back.pk)]["ended_by"] == "participant"
    assert rows[str(pending.pk)]["ended_by"] is None
    assert rows[str(pending.pk)]["ended_at"] is None
