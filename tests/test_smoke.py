import pytest

from relay.moderation import actions
from relay.moderation.models import MessageState
from tests.envelopes import open_as, parsed, seal_from


@pytest.mark.django_db
def test_question_is_forwarded_and_opens_for_the_other_party(shuttle):
    raw = seal_from(shuttle.harmed, shuttle, "question", "Why my house?")
    result = actions.submit_message(actor=shuttle.harmed.user, envelope=parsed(raw))
    assert result.created and result.message.state == MessageState.SUBMITTED
    body = open_as(shuttle.facilitator, raw, shuttle.harmed)
    fwd = seal_from(
        shuttle.facilitator,
        shuttle,
        "question",
        body,
        to=[shuttle.facilitator, shuttle.responsible],
        derived_from=raw["header"]["message_id"],
    )
    actions.forward_message(
        actor=shuttle.facilitator.user, message_id=result.message.pk, envelope=parsed(fwd)
    )
    result.message.refresh_from_db()
    assert result.message.state == MessageState.APPROVED
    assert open_as(shuttle.responsible, fwd, shuttle.facilitator) == "Why my house?"
