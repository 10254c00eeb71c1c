import pytest

from tests.delivery.live import client_for
from tests.factories import make_case


@pytest.mark.live
def test_shuttle_over_http_and_websocket(daphne):
    sc = make_case()
    harmed = client_for(daphne, sc.harmed)
    facilitator = client_for(daphne, sc.facilitator)
    responsible = client_for(daphne, sc.responsible)
    with responsible.socket() as rsock:
        sent = harmed.send(sc.id, "question", "Did you know we were home?")
        assert sent["state"] == "submitted"
        queue = facilitator.queue(sc.id)
        assert [m["message_id"] for m in queue] == [sent["message_id"]]
        facilitator.forward(queue[0])
        events = [e for e in rsock.drain(1.5) if e["type"] == "message"]
        assert [responsible.open(e["message"])["body"] for e in events] == [
            "Did you know we were home?"
        ]
