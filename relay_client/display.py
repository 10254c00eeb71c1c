"""Plain-English lines for what a person sees: messages, decisions, pauses, withdrawals.

Used by the command-line client and the demo. A participant is never told who the other
person is, only their role ("the person responsible"), and never who paused.
"""

from __future__ import annotations

from typing import Any

from relay_client import crypto
from relay_client.client import RelayApiError, RelayClient

SIDE_LABEL = {"harmed": "the person harmed", "responsible": "the person responsible"}
KIND_LABEL = {
    "question": "a question",
    "answer": "an answer",
    "statement": "a statement",
    "letter": "a letter",
    "apology": "an apology",
    "note_to_facilitator": "a note for the facilitators",
    "facilitator_note": "a note",
    "return_note": "a note asking for a new version",
    "rejection_reason": "a reason for not passing a message on",
}
FOR_OTHER_PARTY = frozenset({"question", "answer", "statement", "letter", "apology"})
STATE_FOR_SENDER = {
    "submitted": "is waiting for your facilitator",
    "approved": "was passed on to the other person",
    "returned": "was returned to you with a note",
    "rejected": "will not be passed on",
    "retracted": "was taken back by you",
    "voided": "will never be delivered, because you withdrew",
    "delivered": "was delivered",
}


def kind_label(kind: str) -> str:
    return KIND_LABEL.get(kind, f"a message ({kind})")


def quoted(text: str) -> str:
    return "\u201c" + text + "\u201d"


class Narrator:
    """Turns wire events and messages into sentences for one signed-in person."""

    def __init__(self, client: RelayClient) -> None:
        self.client = client

    @property
    def is_facilitator(self) -> bool:
        return self.client.me.get("role") == "facilitator"

    def _summary(self, case_id: str | None) -> dict[str, Any]:
        """What the server says about the case to this participant ({} for staff, or when
        the case is out of reach)."""
        if case_id is None or self.is_facilitator:
            return {}
        try:
            return self.client.case_keys(case_id).summary
        except RelayApiError:
            return {}

    def my_side(self, case_id: str | None) -> str | None:
        side = self._summary(case_id).get("side")
        return side if isinstance(side, str) else None

    def other_party(self, case_id: str | None) -> str:
        """How the server names the other participant to this one."""
        label = (self._summary(case_id).get("other_party") or {}).get("label")
        return label if isinstance(label, str) else "the other person"

    def body(self, message: dict[str, Any]) -> str:
        try:
            return quoted(str(self.client.open(message).get("body", "")))
        except crypto.CryptoError as exc:
            return f"(this message did not open on this device: {exc})"
        except RelayApiError as exc:
            return f"(the keys of this case are out of reach: {exc.message})"

    # --- messages -----------------------------------------------------------------------

    def message(
        self, message: dict[str, Any], *, side: str | None = None, version_of: str | None = None
    ) -> str:
        """One message as this person sees it. ``side`` is who wrote it: ``harmed``,
        ``responsible`` or ``facilitator`` (from the event), when known; ``version_of`` (from
        the event) marks a forward as the version passed on of this person's own message."""
        header = message["envelope"]["header"]
        kind = message["kind"]
        text = self.body(message)
        derived = header.get("derived_from")
        if self.is_facilitator:
            return self._message_for_facilitator(message, kind, text, side, derived)
        if version_of is not None and version_of == derived:
            other = self.other_party(message["case_id"])
            how = "with changes" if header.get("edited") else "as you wrote it"
            return (
                f"Your facilitator passed on your message {derived} {how}. "
                f"{other.capitalize()} received: {text}"
            )
        if message.get("from_you"):
            if kind in FOR_OTHER_PARTY:
                revision = " (a new version of a returned message)" if derived else ""
                return (
                    f"You sent {kind_label(kind)}{revision} for your facilitator to check: "
                    f"{text}"
                )
            return f"You wrote to your facilitators: {text}"
        if kind == "return_note":
            return (
                f"Your facilitator returned your message {derived} and asks you to "
                f"rephrase it: {text}"
            )
        if kind == "rejection_reason":
            return f"Your facilitator will not pass on your message {derived}. Their reason: {text}"
        if kind == "facilitator_note":
            return f"Your facilitator wrote to you: {text}"
        other = self.other_party(message["case_id"])
        edited = ", who edited it" if header.get("edited") else ""
        return (
            f"{other.capitalize()} sent you {kind_label(kind)}, passed on by your "
            f"facilitator{edited}: {text}"
        )

    def _message_for_facilitator(
        self, message: dict[str, Any], kind: str, text: str, side: str | None,
        derived: str | None,
    ) -> str:
        who = "You" if message.get("from_you") else "Your co-facilitator"
        if side in SIDE_LABEL:
            writer = SIDE_LABEL[side].capitalize()
            if kind in FOR_OTHER_PARTY:
                revision = f" (a new version of {derived})" if derived else ""
                return (
                    f"{writer} sent {kind_label(kind)}{revision}, waiting in the queue as "
                    f"{message['message_id']}: {text}"
                )
            return f"{writer} wrote to the facilitators: {text}"
        if kind == "return_note":
            return f"{who} returned message {derived} with a note: {text}"
        if kind == "rejection_reason":
            return f"{who} rejected message {derived} with the reason: {text}"
        if kind == "facilitator_note":
            return f"{who} wrote a note to a participant: {text}"
        edited = " (edited)" if message["envelope"]["header"].get("edited") else ""
        return f"{who} forwarded message {derived}{edited}: {text}"

    # --- events -------------------------------------------------------------------------

    def event(self, event: dict[str, Any]) -> str:
        kind = event["type"]
        data = event.get("data") or {}
        if kind == "message" and "message" in event:
            return self.message(
                event["message"], side=data.get("side"), version_of=data.get("version_of")
            )
        if kind == "message_state":
            return self._message_state(data)
        if kind == "communication":
            return self._communication(data)
        if kind == "participation":
            return self._participation(event.get("case_id"), data)
        if kind == "case":
            if "state" in data:
                return f"The case is now {data['state']}."
            return "The facilitators of the case changed."
        if kind == "key":
            return (
                "The key of someone in your case changed. Compare the new fingerprint with "
                "them before relying on it."
            )
        if kind == "queue":
            return "The moderation queue changed."
        return f"Something changed ({kind})."

    def _message_state(self, data: dict[str, Any]) -> str:
        state = str(data.get("state"))
        message_id = data.get("message_id")
        if self.is_facilitator:
            return f"Message {message_id} is now {state}."
        if state == "approved" and data.get("edited"):
            return (
                f"Your message {message_id} was passed on with changes by your facilitator."
            )
        return f"Your message {message_id} {STATE_FOR_SENDER.get(state, 'is now ' + state)}."

    def _communication(self, data: dict[str, Any]) -> str:
        if data.get("communicating"):
            return "Communication is open: messages can be passed on again."
        if self.is_facilitator:
            reasons = [f"{SIDE_LABEL.get(s, s)} paused" for s in data.get("paused_sides", [])]
            if data.get("safety_paused"):
                reasons.append("a facilitator paused for safety")
            because = "; ".join(reasons) or "the case is not communicating"
            return f"Communication is paused ({because}). Nothing can be forwarded."
        if data.get("paused_by_you"):
            return (
                "You paused communication. Nothing is passed on in either direction until "
                "you resume. You can still write to your facilitator."
            )
        return "Communication is paused. You can still write to your facilitator."

    def _participation(self, case_id: str | None, data: dict[str, Any]) -> str:
        side = data.get("side")
        state = data.get("state")
        if self.is_facilitator:
            return f"{SIDE_LABEL.get(str(side), 'A participant').capitalize()} is now {state}."
        if side == self.my_side(case_id):
            return f"Your participation is now {state}."
        if state == "withdrawn":
            return "The other person has withdrawn. Nothing more will pass between you."
        return f"The other person's participation is now {state}."


def case_line(case: dict[str, Any]) -> str:
    """One case as its member sees it."""
    flow = "communicating" if case.get("communicating") else "not communicating"
    facilitators = ", ".join(f["display_name"] for f in case.get("facilitators", [])) or "none"
    if "participants" in case:
        people = "; ".join(
            f"{SIDE_LABEL.get(p['side'], p['side'])}: {p['display_name'] or 'unnamed'} "
            f"({p['state']})"
            for p in case["participants"]
        )
        safety = ", paused for safety" if case.get("safety_paused") else ""
        return (
            f"{case['case_id']}  {case.get('reference', '')}  {case['state']}, {flow}{safety}\n"
            f"    facilitators: {facilitators}\n    {people}"
        )
    you = SIDE_LABEL.get(case.get("side", ""), "a participant")
    paused = ", paused by you" if case.get("paused_by_you") else ""
    other = case.get("other_party") or {}
    gone = ""
    if other.get("withdrawn"):
        gone = f"; {other.get('label', 'the other person')} has withdrawn"
    return (
        f"{case['case_id']}  you are {you}; {case['state']}, {flow}{paused}{gone}\n"
        f"    facilitators: {facilitators}"
    )
