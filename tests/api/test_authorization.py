"""The authorization table: every HTTP endpoint and every WebSocket operation frame, for
every role.

Each cell builds a fresh case and makes the request the role's own client would make (an
envelope sealed with their own key, for this case; their own login key). "allowed" means
the request succeeded; a number is the HTTP status (404 is the same for "missing" and "not
yours"). On the WebSocket, 404 and 409 arrive as error frames with codes ``not_found`` and
``conflict``, and 401 and 403 mean the socket was refused at connect (4401, 4403). A refused
cell must leave nothing behind; an allowed write records exactly one audit event; an allowed
cell for someone outside the case must not mention it. Every ``api/`` route and every frame
type must have a row here (``test_the_table_covers_every_endpoint_and_operation``).
"""

from __future__ import annotations

import base64
import itertools
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from relay.accounts import actions as account_actions
from relay.accounts.models import Role
from relay.attachments import actions as attachment_actions
from relay.attachments.models import Attachment
from relay.cases import actions as case_actions
from relay.cases import held, supporters
from relay.consumers import CLOSE_SECOND_FACTOR, CLOSE_UNAUTHENTICATED, RelayConsumer
from relay.moderation import actions as moderation_actions
from relay.moderation.models import Message
from relay.operations import OPERATIONS
from relay.retention import actions as retention_actions
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.accounts.conftest import clear_attempt_counts
from tests.cases.endings import case_with_follow_up_due, concluded_case
from tests.envelopes import parsed, seal_from
from tests.factories import (
    Person,
    ShuttleCase,
    make_case,
    make_held_case,
    make_person,
    password_keys,
    record_assessment,
)
from tests.moderation.helpers import (
    ALLOWED,
    HTTP_ROUTES,
    assert_plain_english,
    counts,
    http_client,
    sockets,
    submit,
    via_http,
)
from tests.referrals.helpers import proof, sealed_to, self_referral, with_intake_key, wraps_for
from tests.scheduling.helpers import confirmed, consent_to_all, propose, soon

ROLES = (
    "participant",
    "other_party",
    "facilitator",
    "other_facilitator",
    "hub_manager",
    "anonymous",
    "staff_without_second_factor",
    "commissioner",
)

A = ALLOWED
#                 participant other_party facilitator other_fac manager anonymous no_2fa
EXPECTED: dict[str, tuple[Any, ...]] = {
    "send":       (A,   A,   A,   404, 404, 401, 403, 404),
    "forward":    (404, 404, A,   404, 404, 401, 403, 404),
    "return":     (404, 404, A,   404, 404, 401, 403, 404),
    "reject":     (404, 404, A,   404, 404, 401, 403, 404),
    "retract":    (A,   404, 404, 404, 404, 401, 403, 404),
    "message":    (A,   404, A,   404, 404, 401, 403, 404),
    "cases":      (A,   A,   A,   A,   A,   401, 403, A),
    "case":       (A,   A,   A,   404, 404, 401, 403, 404),
    "queue":      (404, 404, A,   404, 404, 401, 403, 404),
    "pause":      (A,   A,   A,   404, 404, 401, 403, 404),
    # The case is paused by the participant and, for safety, by a facilitator: the other
    # party has nothing of theirs to resume.
    "resume":     (A,   409, A,   404, 404, 401, 403, 404),
    "withdraw":   (A,   A,   404, 404, 404, 401, 403, 404),
    "events":     (A,   A,   A,   A,   A,   401, 403, A),
    "verify_key": (404, 404, A,   404, 404, 401, 403, 404),
    # A participant's enrolment, reset and recovery: facilitators of the case only.
    "invite_participant":  (404, 404, A,   404, 404, 401, 403, 404),
    "reset_participant":   (404, 404, A,   404, 404, 401, 403, 404),
    "history_to_rewrap":   (404, 404, A,   404, 404, 401, 403, 404),
    "rewrap":              (404, 404, A,   404, 404, 401, 403, 404),
    # Staff accounts: the hub manager only.
    "invite_staff":        (404, 404, 404, 404, A,   401, 403, 404),
    "suspend":             (404, 404, 404, 404, A,   401, 403, 404),
    "reinstate":           (404, 404, 404, 404, A,   401, 403, 404),
    "reset_staff":         (404, 404, 404, 404, A,   401, 403, 404),
    # With a code: whoever holds it, signed in or not (enrolling signs the holder in).
    "enrol_check":         (A,   A,   A,   A,   A,   A,   A, A),
    "enrol":               (A,   A,   A,   A,   A,   A,   A, A),
    # The caller's own account. The second factor is set up and passed before it is
    # needed, so those answer a staff member without it; participants have none to pass.
    "me":                  (A,   A,   A,   A,   A,   401, A, A),
    "keys":                (A,   A,   A,   A,   A,   401, 403, A),
    "wrapped_key":         (A,   A,   A,   A,   A,   401, 403, A),
    "recovery_wrap":       (A,   A,   A,   A,   A,   401, 403, A),
    "store_recovery_wrap": (A,   A,   A,   A,   A,   401, 403, A),
    "password":            (A,   A,   A,   A,   A,   401, 403, A),
    "otp_setup":           (A,   A,   A,   A,   A,   401, 400, A),
    "otp_confirm":         (A,   A,   A,   A,   A,   401, 400, A),
    "otp_verify":          (400, 400, A,   A,   A,   401, A, A),
    # Before there is a session: anyone.
    "csrf":                (A,   A,   A,   A,   A,   A,   A, A),
    "salt":                (A,   A,   A,   A,   A,   A,   A, A),
    "sign_in":             (A,   A,   A,   A,   A,   A,   A, A),
    "sign_out":            (A,   A,   A,   A,   A,   A,   A, A),
    # Ending a case: its facilitators conclude; they or a hub manager close.
    "conclude":            (404, 404, A,   404, 404, 401, 403, 404),
    "close":               (404, 404, A,   404, A,   401, 403, 404),
    # Follow-ups: a facilitator's own cases, or the hub manager's list of all.
    "follow_ups":          (404, 404, A,   A,   A,   401, 403, 404),
    "record_follow_up":    (404, 404, A,   404, 404, 401, 403, 404),
    # The survey: the participant it is offered to; a facilitator offers it after a
    # withdrawal.
    "survey":              (A,   A,   404, 404, 404, 401, 403, 404),
    "answer_survey":       (A,   A,   404, 404, 404, 401, 403, 404),
    "decline_survey":      (A,   A,   404, 404, 404, 401, 403, 404),
    "offer_survey":        (404, 404, A,   404, 404, 401, 403, 404),
    # Aggregate figures only: the commissioner and the hub manager. Comments: the hub
    # managers they are sealed to.
    "statistics":          (404, 404, 404, 404, A,   401, 403, A),
    "survey_comments":     (404, 404, 404, 404, A,   401, 403, 404),
    # Retention: its facilitators and hub managers see when the content goes; hub
    # managers place and release holds.
    "retention":           (404, 404, A,   404, A,   401, 403, 404),
    "place_hold":          (404, 404, 404, 404, A,   401, 403, 404),
    "release_hold":        (404, 404, 404, 404, A,   401, 403, 404),
    # Notifications: everyone chooses their own; a participant's contact details are for
    # the facilitators of their case only.
    "notifications":       (A,   A,   A,   A,   A,   401, 403, A),
    "set_notifications":   (A,   A,   A,   A,   A,   401, 403, A),
    "participant_contact": (404, 404, A,   404, 404, 401, 403, 404),
    # The hub's public record: anyone. Its settings: admins only (tests/hub/).
    "hub":                 (A,   A,   A,   A,   A,   A,   A, A),
    "update_hub":          (404, 404, 404, 404, 404, 401, 403, 404),
    # The intake key: hub managers and admins (a holder shares it on).
    "intake_key":          (404, 404, 404, 404, A,   401, 403, 404),
    "create_intake_key":   (404, 404, 404, 404, A,   401, 403, 404),
    "share_intake_key":    (404, 404, 404, 404, A,   401, 403, 404),
    # Referring oneself and the status page: anyone (the referrer's own column is in
    # tests/referrals/test_authorization.py); the intake: hub managers.
    "referral_challenge":  (A,   A,   A,   A,   A,   A,   A, A),
    "refer":               (A,   A,   A,   A,   A,   A,   A, A),
    "referral_status":     (A,   A,   A,   A,   A,   A,   A, A),
    "refer_someone":       (404, 404, 404, 404, 404, 401, 403, 404),
    "my_referrals":        (404, 404, 404, 404, 404, 401, 403, 404),
    "referrals":           (404, 404, 404, 404, A,   401, 403, 404),
    "accept_referral":     (404, 404, 404, 404, A,   401, 403, 404),
    "decline_referral":    (404, 404, 404, 404, A,   401, 403, 404),
    "facilitators":        (404, 404, 404, 404, A,   401, 403, 404),
    "assign_facilitator":  (404, 404, 404, 404, A,   401, 403, 404),
    # Consent per mode: each participant their own; a facilitator of the case records it.
    "consent":             (A,   A,   A,   404, 404, 401, 403, 404),
    "give_consent":        (A,   A,   A,   404, 404, 401, 403, 404),
    "withdraw_consent":    (A,   A,   A,   404, 404, 401, 403, 404),
    # Assessment and preparation: the case's facilitators only, never the hub manager.
    "records":             (404, 404, A,   404, 404, 401, 403, 404),
    "add_record":          (404, 404, A,   404, 404, 401, 403, 404),
    "timeline":            (404, 404, A,   404, 404, 401, 403, 404),
    "begin_assessment":    (404, 404, A,   404, 404, 401, 403, 404),
    "begin_preparation":   (404, 404, A,   404, 404, 401, 403, 404),
    "start_communication": (404, 404, A,   404, 404, 401, 403, 404),
    "find_unsuitable":     (404, 404, A,   404, 404, 401, 403, 404),
    # A participant's own notices.
    "notices":             (A,   A,   404, 404, 404, 401, 403, 404),
    # Supporters: the participant asks and may end; a facilitator of the case approves and
    # may end; the other party and the hub manager reach none of it. A supporter's own
    # operations (tests/cases/test_supporter_surface.py) refuse everyone else.
    "supporters":          (A,   A,   A,   404, 404, 401, 403, 404),
    "request_supporter":   (A,   A,   404, 404, 404, 401, 403, 404),
    "approve_supporter":   (404, 404, A,   404, 404, 401, 403, 404),
    "end_supporter":       (A,   404, A,   404, 404, 401, 403, 404),
    "supporting":          (404, 404, 404, 404, 404, 401, 403, 404),
    "supporter_messages":  (404, 404, 404, 404, 404, 401, 403, 404),
    # Taking part without a device: facilitators of the case only, for the held side.
    "hold_participation":  (404, 404, A,   404, 404, 401, 403, 404),
    "pause_held":          (404, 404, A,   404, 404, 401, 403, 404),
    "resume_held":         (404, 404, A,   404, 404, 401, 403, 404),
    "withdraw_held":       (404, 404, A,   404, 404, 401, 403, 404),
    "enter_for_held":      (404, 404, A,   404, 404, 401, 403, 404),
    "read_out":            (404, 404, A,   404, 404, 401, 403, 404),
    # A participant's note to the facilitators, marked read in a facilitator's own queue:
    # its writer gets the same 404 as everyone outside the case.
    "mark_note_read":      (404, 404, A,   404, 404, 401, 403, 404),
    # Meetings: each person's own list; a meeting to its invitees (both parties of a joint
    # conference) and the case's facilitators, who alone schedule, confirm, reschedule,
    # cancel and seal details. Only invitees answer (a facilitator has nothing to answer).
    "meetings":            (A,   A,   A,   A,   A,   401, 403, A),
    "meeting":             (A,   A,   A,   404, 404, 401, 403, 404),
    "schedule_meeting":    (404, 404, A,   404, 404, 401, 403, 404),
    "answer_meeting":      (A,   A,   409, 404, 404, 401, 403, 404),
    "confirm_meeting":     (404, 404, A,   404, 404, 401, 403, 404),
    "reschedule_meeting":  (404, 404, A,   404, 404, 401, 403, 404),
    "cancel_meeting":      (404, 404, A,   404, 404, 401, 403, 404),
    "meeting_details":     (404, 404, A,   404, 404, 401, 403, 404),
    "join_meeting":        (A,   A,   A,   404, 404, 401, 403, 404),
    "meeting_calendar":    (A,   A,   A,   404, 404, 401, 403, 404),
    # Attachments: a participant or facilitator of the case opens an upload; only its
    # uploader sends to it; the blob is read by the uploader and the case's facilitators
    # (the other party only once the carrying message is forwarded: tests/attachments).
    "start_upload":        (A,   A,   A,   404, 404, 401, 403, 404),
    "upload":              (A,   404, 404, 404, 404, 401, 403, 404),
    "append_piece":        (A,   404, 404, 404, 404, 401, 403, 404),
    "complete_upload":     (A,   404, 404, 404, 404, 401, 403, 404),
    "download":            (A,   404, A,   404, 404, 401, 403, 404),
}  # fmt: skip

TABLE = {(op, role): EXPECTED[op][i] for op in EXPECTED for i, role in enumerate(ROLES)}
WS_CODES = {404: "not_found", 409: "conflict"}
WS_CLOSES = {401: CLOSE_UNAUTHENTICATED, 403: CLOSE_SECOND_FACTOR}


@dataclass
class World:
    sc: ShuttleCase
    other_facilitator: Person
    pending: Message | None
    commissioner: Person | None = None
    # What some operations need besides the case: a staff member for the manager's
    # operations, an enrolment code, a participant's new key, an authenticator being set up.
    extra: dict[str, Any] = field(default_factory=dict)

    def person(self, role: str) -> Person | None:
        return {
            "participant": self.sc.harmed,
            "other_party": self.sc.responsible,
            "facilitator": self.sc.facilitator,
            "other_facilitator": self.other_facilitator,
            "hub_manager": self.sc.manager,
            "anonymous": None,
            "staff_without_second_factor": self.sc.facilitator,
            "commissioner": self.commissioner,
        }[role]


_unique = itertools.count(1)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def case_with_a_newcomer() -> ShuttleCase:
    """A case whose responsible person has an account but has not enrolled yet (no key),
    so a facilitator may issue their enrolment code."""
    manager, facilitator = make_person(Role.HUB_MANAGER), make_person(Role.FACILITATOR)
    harmed = make_person(Role.PARTICIPANT)
    responsible = make_person(Role.PARTICIPANT, with_key=False)
    case = case_actions.create_case(actor=manager.user, reference=f"RJ-N{next(_unique):05d}")
    case_actions.assign_facilitator(
        actor=manager.user, case_id=case.pk, facilitator=facilitator.user
    )
    for person, side in ((harmed, "harmed"), (responsible, "responsible")):
        case_actions.add_participant(
            actor=manager.user, case_id=case.pk, user=person.user, side=side
        )
    return ShuttleCase(case, manager, facilitator, harmed, responsible)


ENDED = {"record_follow_up", "survey", "answer_survey", "decline_survey"}
INTAKE = {
    "intake_key",
    "create_intake_key",
    "share_intake_key",
    "referral_challenge",
    "refer",
    "referral_status",
    "refer_someone",
    "my_referrals",
    "referrals",
    "accept_referral",
    "decline_referral",
    "facilitators",
    "assign_facilitator",
}
# Writes that record more than one audit event: accepting a referral creates its case.
AUDIT_EVENTS = {"accept_referral": 2}


def intake_world(op: str, world: World) -> None:
    """The hub's intake key (except for making one), a referral waiting, and for sharing
    the key a hub manager who does not hold it yet."""
    clear_attempt_counts()
    if op == "create_intake_key":
        world.extra["intake"] = KeyPair.generate()
        return
    _, intake = with_intake_key(world.sc.manager)
    world.extra["intake"] = intake
    world.extra["received"] = self_referral(intake)
    if op == "share_intake_key":
        world.extra["newcomer"] = make_person(Role.HUB_MANAGER)


# Operations on a case still being assessed or prepared: no message is pending.
UNSTARTED = {"begin_assessment", "begin_preparation", "start_communication", "find_unsuitable"}


def unstarted_case(op: str) -> ShuttleCase:
    """A case at the stage ``op`` moves it from."""
    sc = make_case(active=False)
    if op == "begin_assessment":
        return sc
    f = sc.facilitator.user
    case_actions.begin_assessment(actor=f, case_id=sc.case.pk)
    if op == "find_unsuitable":
        return sc
    record_assessment(actor=f, case_id=sc.case.pk)
    if op == "start_communication":
        case_actions.record_suitability(actor=f, case_id=sc.case.pk, suitable=True)
        for side in ("harmed", "responsible"):
            case_actions.record_consent(actor=f, case_id=sc.case.pk, side=side, modes=["messages"])
    return sc


HELD = {"pause_held", "resume_held", "withdraw_held", "enter_for_held", "read_out"}


def held_world(op: str, world: World) -> None:
    """A held person responsible: paused for them (to resume), or sent a forward (to read
    to them)."""
    sc = world.sc
    if op == "resume_held":
        held.pause_held(actor=sc.facilitator.user, case_id=sc.case.pk, side="responsible")
    if op == "read_out":
        question = submit(sc, sc.harmed)
        raw = seal_from(sc.facilitator, sc, "question", "q", to=[sc.facilitator],
                        derived_from=str(question.pk))
        forwarded = moderation_actions.forward_message(
            actor=sc.facilitator.user, message_id=question.pk, envelope=parsed(raw)
        )
        world.extra["forwarded"] = str(forwarded.pk)


def held_fields(op: str, world: World, person: Person) -> dict[str, Any]:
    sc = world.sc
    if op == "hold_participation":
        given = (timezone.now() - timedelta(hours=1)).isoformat()
        return {"case_id": sc.id, "side": "responsible", "consent_how": "phone",
                "consent_given_at": given}
    if op == "enter_for_held":
        # The held person has no key: an envelope a facilitator's client made stands in.
        writer = person if person.keypair is not None else sc.facilitator
        raw = seal_from(writer, sc, "note_to_facilitator", "n", to=[sc.facilitator, writer])
        return {"case_id": sc.id, "side": "responsible", "envelope": raw}
    if op == "read_out":
        return {"message_id": world.extra["forwarded"]}
    return {"case_id": sc.id, "side": "responsible"}


def build_world(op: str, role: str) -> World:
    if op in ("invite_participant", "hold_participation"):
        sc = case_with_a_newcomer()
    elif op in HELD:
        sc = make_held_case()
    elif op == "record_follow_up":
        sc, item = case_with_follow_up_due()
    elif op in ENDED:
        sc = concluded_case()
    elif op in UNSTARTED:
        sc = unstarted_case(op)
    else:
        sc = make_case()
    # A facilitator with a case of their own, not this one.
    other = make_person(Role.FACILITATOR)
    elsewhere = case_actions.create_case(
        actor=sc.manager.user, reference=f"RJ-O{sc.case.reference}"
    )
    case_actions.assign_facilitator(
        actor=sc.manager.user, case_id=elsewhere.pk, facilitator=other.user
    )
    newcomer = op in ("invite_participant", "hold_participation")
    quiet = newcomer or op in ENDED or op in INTAKE or op in UNSTARTED
    pending = submit(sc, sc.harmed) if not quiet else None
    world = World(sc, other, pending, make_person(Role.COMMISSIONER))
    if op == "record_follow_up":
        world.extra["item"] = str(item)
    if op == "mark_note_read":
        note = submit(sc, sc.harmed, "Please call me", kind="note_to_facilitator")
        world.extra["note"] = str(note.pk)
    if op in HELD:
        held_world(op, world)
    if op in INTAKE:
        intake_world(op, world)
    if op in ("approve_supporter", "end_supporter"):
        asked = supporters.request_supporter(actor=sc.harmed.user, case_id=sc.case.pk)
        world.extra["supporter"] = str(asked.pk)
    if op in MEETING_OPS:
        # A joint video conference: proposed (to answer or confirm), else confirmed and
        # starting in five minutes, so its room is open.
        consent_to_all(sc)
        proposed = op in ("answer_meeting", "confirm_meeting")
        meeting = propose(sc) if proposed else confirmed(sc, soon(5))
        world.extra["meeting"] = meeting
        world.extra["slot"] = str(meeting.slots.first().pk)
    if op == "offer_survey":
        case_actions.withdraw(actor=sc.harmed.user, case_id=sc.case.pk)
    if op == "release_hold":
        retention_actions.place_hold(actor=sc.manager.user, case_id=sc.case.pk, reason="other")
    if op == "resume":
        case_actions.pause(actor=sc.harmed.user, case_id=sc.case.pk)
        case_actions.pause(actor=sc.facilitator.user, case_id=sc.case.pk)
    if op in ("suspend", "reinstate", "reset_staff"):
        staff = make_person(Role.FACILITATOR)
        if op == "reinstate":
            account_actions.suspend_account(actor=sc.manager.user, user_id=staff.user.pk)
        world.extra["staff"] = staff
    if op in ("enrol", "enrol_check"):
        code, invitation = account_actions.invite_staff(
            actor=sc.manager.user,
            username=f"newcomer{next(_unique)}",
            role="facilitator",
            display_name="New",
        )
        world.extra["code"], world.extra["invited"] = code, invitation.user
    if op == "rewrap":
        # The participant has a new key the message was not sealed to.
        keys = password_keys(sc.harmed.user)
        new = KeyPair.generate()
        account_actions.register_key(
            actor=sc.harmed.user,
            public_key=new.public,
            wrapped=crypto.wrap_secret_key(new.secret, keys.wrap_key),
            login_key=keys.login_key_b64,
        )
        world.extra["new_key"] = new
    if op in ATTACHMENT_OPS and op != "start_upload":
        world.extra["attachment"] = str(uploaded(world, op).pk)
    prepare_caller(op, role, world)
    return world


def prepare_caller(op: str, role: str, world: World) -> None:
    """What the caller in ``role`` has done before calling ``op``, besides the shared world."""
    if op in INTAKE:
        clear_attempt_counts()
    if op == "otp_confirm" and (person := world.person(role)) is not None:
        # The caller started setting up an authenticator: the code is one it shows now.
        device = account_actions.begin_totp_setup(actor=person.user, verified=True)
        world.extra["totp"] = device
    if op == "recovery_wrap" and (person := world.person(role)) is not None:
        account_actions.store_recovery_wrap(actor=person.user, nonce=bytes(24), box=bytes(48))


ATTACHMENT_OPS = {"start_upload", "upload", "append_piece", "complete_upload", "download"}
BLOB = b"sealed bytes"


def uploaded(world: World, op: str) -> Attachment:
    """The participant's upload for their pending message: empty (to send a piece to),
    fully sent (to complete) or complete (to read)."""
    assert world.pending is not None
    actor = world.sc.harmed.user
    attachment = attachment_actions.start_upload(
        actor=actor, case_id=world.sc.case.pk, message_id=world.pending.pk, size=len(BLOB)
    )
    if op != "append_piece":
        attachment_actions.append_piece(
            actor=actor, attachment_id=attachment.pk, offset=0, data=BLOB
        )
    if op in ("upload", "download"):
        attachment_actions.complete_upload(actor=actor, attachment_id=attachment.pk)
    return attachment


def attachment_fields(op: str, world: World) -> dict[str, Any]:
    if op == "start_upload":
        return {"case_id": world.sc.id, "message_id": str(uuid.uuid4()), "size": 1000}
    fields = {"attachment_id": world.extra["attachment"]}
    if op == "append_piece":
        fields |= {"offset": 0, "data": b64(BLOB)}
    return fields


def totp_now(device: TOTPDevice) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def fields_for(op: str, world: World, role: str) -> dict[str, Any]:
    """What this role's client would send for ``op``, sealed with their own key."""
    sc, pending = world.sc, world.pending
    person = world.person(role) or sc.facilitator
    if op == "invite_participant":
        return {"case_id": sc.id, "side": "responsible"}
    if op in ATTACHMENT_OPS:
        return attachment_fields(op, world)
    ending = {
        "conclude": {
            "case_id": sc.id,
            "questions_answered": True,
            "delivery_modes": ["shuttle_messages"],
        },
        "close": {"case_id": sc.id, "reason": "withdrew", "withdrawn_side": "responsible"},
        "record_follow_up": {"item_id": world.extra.get("item"), "met": True},
        "survey": {"case_id": sc.id},
        "answer_survey": {"case_id": sc.id, "answers": {"felt_heard": "partly"}},
        "decline_survey": {"case_id": sc.id},
        "offer_survey": {"case_id": sc.id, "side": "harmed"},
        "follow_ups": {},
        "statistics": {},
        "survey_comments": {},
        "retention": {"case_id": sc.id},
        "place_hold": {"case_id": sc.id, "reason": "complaint", "reference": "CMP-1"},
        "release_hold": {"case_id": sc.id},
        "notifications": {},
        "set_notifications": {},
        "participant_contact": {"case_id": sc.id, "side": "harmed"},
        "hub": {},
        "update_hub": {"name": "Another hub"},
    }
    if op in ending:
        return ending[op]
    if op in INTAKE:
        return intake_fields(op, world)
    if op in HELD or op == "hold_participation":
        return held_fields(op, world, person)
    if op in ("approve_supporter", "end_supporter"):
        body = {"supporter_id": world.extra["supporter"]}
        if op == "approve_supporter":
            body.update(username=f"friend{next(_unique)}", display_name="Friend")
        return body
    if op in ("supporters", "request_supporter", "supporter_messages"):
        return {"case_id": sc.id}
    if op == "supporting":
        return {}
    if op in ("records", "timeline", "notices") or op in UNSTARTED - {"find_unsuitable"}:
        return {"case_id": sc.id}
    if op == "add_record":
        return {"case_id": sc.id, "kind": "approach", "facts": {"response": "accepted"}}
    if op == "find_unsuitable":
        if person.keypair is None:
            return {"case_id": sc.id, "reason": {}, "notices": []}
        f = sc.facilitator
        return {
            "case_id": sc.id,
            "reason": seal_from(person, sc, "unsuitable_reason", "why", to=[f]),
            "notices": [
                seal_from(person, sc, "unsuitable_notice", "sorry", to=[f, p])
                for p in (sc.harmed, sc.responsible)
            ],
            "signposting": [],
        }
    if op in ("consent", "give_consent", "withdraw_consent"):
        body: dict[str, Any] = {"case_id": sc.id}
        if op != "consent":
            body["modes"] = ["conference"] if op == "give_consent" else ["messages"]
            if person.user.role != Role.PARTICIPANT:
                body.update(side="harmed", how="phone")
        return body
    if op in MEETING_OPS:
        return meeting_fields(op, world, person)
    if op == "mark_note_read":
        return {"message_id": world.extra["note"]}
    assert pending is not None
    staff = person.user.role != Role.PARTICIPANT
    if op == "send":
        if staff:
            raw = seal_from(
                person, sc, "facilitator_note", "n", to=[sc.facilitator, sc.harmed, person]
            )
        else:
            raw = seal_from(person, sc, "question", "q")
        return {"envelope": raw}
    if op in ("forward", "return", "reject"):
        kind, target = {
            "forward": ("question", sc.responsible),
            "return": ("return_note", sc.harmed),
            "reject": ("rejection_reason", sc.harmed),
        }[op]
        raw = seal_from(
            person, sc, kind, "d", to=[sc.facilitator, target, person], derived_from=str(pending.pk)
        )
        return {"message_id": str(pending.pk), "envelope": raw}
    if op in ("retract", "message"):
        return {"message_id": str(pending.pk)}
    if op in ("case", "queue", "pause", "resume", "withdraw"):
        return {"case_id": sc.id}
    if op == "verify_key":
        assert sc.harmed.keypair is not None
        return {"case_id": sc.id, "key_id": sc.harmed.keypair.key_id}
    if op == "invite_participant":
        return {"case_id": sc.id, "side": "responsible"}
    if op in ("reset_participant", "history_to_rewrap"):
        return {"case_id": sc.id, "side": "harmed"}
    if op == "rewrap":
        new = world.extra["new_key"]
        return {
            "message_id": str(pending.pk),
            "key_id": new.key_id,
            "nonce": b64(bytes(24)),
            "box": b64(bytes(48)),
        }
    if op == "invite_staff":
        return {"username": "newstaff", "role": "facilitator", "display_name": "New Staff"}
    if op in ("suspend", "reinstate", "reset_staff"):
        return {"user_id": world.extra["staff"].id}
    if op in ("enrol", "enrol_check"):
        if op == "enrol_check":
            return {"code": world.extra["code"]}
        keys = password_keys(world.extra["invited"])
        new = KeyPair.generate()
        nonce, box = crypto.wrap_secret_key(new.secret, keys.wrap_key)
        return {
            "code": world.extra["code"],
            "login_key": keys.login_key_b64,
            "public_key": b64(new.public),
            "wrapped_key_nonce": b64(nonce),
            "wrapped_private_key": b64(box),
        }
    if op in ("keys", "password"):
        keys = password_keys(person.user)
        fresh = KeyPair.generate()
        if op == "password":
            new = password_keys(person.user, "a new password for this account")
            assert person.keypair is not None
            nonce, box = crypto.wrap_secret_key(person.keypair.secret, new.wrap_key)
            return {
                "login_key": keys.login_key_b64,
                "new_login_key": new.login_key_b64,
                "wrapped_key_nonce": b64(nonce),
                "wrapped_private_key": b64(box),
            }
        nonce, box = crypto.wrap_secret_key(fresh.secret, keys.wrap_key)
        return {
            "public_key": b64(fresh.public),
            "login_key": keys.login_key_b64,
            "wrapped_key_nonce": b64(nonce),
            "wrapped_private_key": b64(box),
        }
    if op == "store_recovery_wrap":
        return {"wrapped_key_nonce": b64(bytes(24)), "wrapped_private_key": b64(bytes(48))}
    if op == "otp_confirm":
        device = world.extra.get("totp")
        return {"token": totp_now(device) if device is not None else "123456"}
    if op == "otp_verify":
        otp = person.extra.get("otp_device")
        return {"token": str(otp.token_set.first().token) if otp is not None else "123456"}
    if op == "sign_in":
        login_key = password_keys(person.user).login_key_b64
        return {"username": person.user.username, "login_key": login_key}
    if op == "salt":
        return {"username": person.user.username}
    return {}


def intake_fields(op: str, world: World) -> dict[str, Any]:
    intake, received = world.extra["intake"], world.extra.get("received")
    referral = {"referral_id": str(received.referral.pk)} if received else {}
    if op == "create_intake_key":
        return {"public_key": b64(intake.public), "wraps": wraps_for(intake)}
    if op == "share_intake_key":
        newcomer = world.extra["newcomer"]
        sealed = crypto.seal_secret_to(intake.secret, newcomer.keypair.public)
        return {
            "intake_key_id": intake.key_id,
            "wraps": [{"key_id": newcomer.keypair.key_id, "sealed_secret": b64(sealed)}],
        }
    if op == "refer":
        return {"sealed": sealed_to(intake), "side": "harmed", "proof": proof()}
    if op == "refer_someone":
        return {
            "sealed": sealed_to(intake),
            "side": "harmed",
            "source": "police",
            "consent_given_by": "person",
            "consent_method": "phone",
            "consent_given_on": "2026-01-01",
        }
    if op == "referral_status":
        return {"reference": received.referral.reference, "check_code": received.check_code}
    if op == "accept_referral":
        return {**referral, "offence_category": "other", "complexity": "standard"}
    if op == "decline_referral":
        return {**referral, "reason": "outside_area", "signposting": ["victim-support"]}
    if op == "assign_facilitator":
        return {"case_id": world.sc.id, "facilitator_id": world.other_facilitator.id}
    return {}


MEETING_OPS = {
    "meeting",
    "schedule_meeting",
    "answer_meeting",
    "confirm_meeting",
    "reschedule_meeting",
    "cancel_meeting",
    "meeting_details",
    "join_meeting",
    "meeting_calendar",
}


def meeting_fields(op: str, world: World, person: Person) -> dict[str, Any]:
    sc = world.sc
    if op == "schedule_meeting":
        return {
            "case_id": sc.id,
            "kind": "conference",
            "medium": "video",
            "duration_minutes": 60,
            "slots": [soon(60 * 24).isoformat()],
        }
    meeting_id = str(world.extra["meeting"].pk)
    if op == "answer_meeting":
        return {"meeting_id": meeting_id, "answers": {world.extra["slot"]: "accept"}}
    if op == "confirm_meeting":
        return {"meeting_id": meeting_id, "slot_id": world.extra["slot"]}
    if op == "reschedule_meeting":
        return {"meeting_id": meeting_id, "slots": [soon(60 * 24).isoformat()]}
    if op == "meeting_details":
        to = [sc.facilitator, sc.harmed, sc.responsible]
        if person not in to:
            to.append(person)
        return {
            "meeting_id": meeting_id,
            "details": seal_from(person, sc, "meeting_details", "Room 3", to=to),
        }
    return {"meeting_id": meeting_id}


def check_allowed_effect(op: str, before: dict[str, int]) -> None:
    """An allowed write ran its action (each writes one audit event, or as many as
    ``AUDIT_EVENTS`` says); a read wrote nothing."""
    after = counts()
    if OPERATIONS[op].writes:
        expected = before["audit_events"] + AUDIT_EVENTS.get(op, 1)
        assert after["audit_events"] == expected, (before, after)
    else:
        assert after == before


# Operations in which a hub manager acts on the case itself, as its administrator.
MANAGED = {"close", "assign_facilitator", "retention", "place_hold", "release_hold"}


def check_no_leak(world: World, role: str, result: Any, op: str = "") -> None:
    if role == "hub_manager" and op in MANAGED:
        return
    if role in ("other_facilitator", "hub_manager", "commissioner"):
        assert world.sc.id not in json.dumps(result), f"{role} was told about a case not theirs"


# --- every endpoint and frame has a row ----------------------------------------------------


def api_routes(patterns: list[Any], prefix: str = "") -> set[str]:
    """Every route under ``api/`` the URL configuration answers, walked recursively."""
    found: set[str] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            found.add(route)
    return found


def gaps(routes: set[str], frame_types: set[str], expected: dict[str, Any]) -> set[str]:
    """What the table does not cover: a route no operation declares, an operation without
    an expectations row, a frame type without one."""
    declared = {"api/" + op.http.path for op in OPERATIONS.values() if op.http is not None}
    missing = {f"route {r}" for r in routes - declared}
    missing |= {f"operation {name}" for name in set(OPERATIONS) - set(expected)}
    missing |= {f"frame {t}" for t in frame_types - {"hello", "ping"} - set(expected)}
    return missing


def test_the_table_covers_every_endpoint_and_operation() -> None:
    routes = api_routes(get_resolver().url_patterns)
    # Some paths answer two methods: one route each.
    assert len(routes) >= len({template for _, template in HTTP_ROUTES.values()})
    assert gaps(routes, set(RelayConsumer.FRAME_TYPES), EXPECTED) == set()
    assert set(EXPECTED) == set(OPERATIONS)


def test_a_new_endpoint_or_frame_without_a_row_is_caught() -> None:
    def throwaway(request: Any) -> None:
        raise AssertionError("never called")

    patterns = [
        *get_resolver().url_patterns,
        path("api/", include([path("staff/throwaway", throwaway)])),
    ]
    found = gaps(api_routes(patterns), set(RelayConsumer.FRAME_TYPES) | {"shout"}, EXPECTED)
    assert found == {"route api/staff/throwaway", "frame shout"}
    without_a_row = {k: v for k, v in EXPECTED.items() if k != "salt"}
    assert gaps(api_routes(get_resolver().url_patterns), set(), without_a_row) == {"operation salt"}


def check_http_cell(op: str, role: str, world: World) -> None:
    person = world.person(role)
    client = http_client(person, second_factor=role != "staff_without_second_factor")
    before = counts()
    status, body = via_http(client, op, **fields_for(op, world, role))
    expected = TABLE[op, role]
    if expected == ALLOWED:
        assert status in (200, 201), body
        check_no_leak(world, role, body, op)
        check_allowed_effect(op, before)
        return
    assert status == expected, body
    assert_plain_english(body["error"]["message"])
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("op", list(EXPECTED))
def test_http(op: str) -> None:
    """Every role against one world for ``op``: each call runs in a savepoint rolled back
    after it, so every role meets the same world as if it were the only caller (the
    refused ones must change nothing anyway; an allowed one's change is undone)."""
    world = build_world(op, ROLES[0])
    failures = []
    for role in ROLES:
        with transaction.atomic():
            try:
                if role != ROLES[0]:
                    prepare_caller(op, role, world)
                check_http_cell(op, role, world)
            except AssertionError as failed:
                failures.append(f"{op} as {role} (expected {TABLE[op, role]}): {failed}")
            finally:
                transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


WS_TABLE = [(op, role) for (op, role) in TABLE if op in RelayConsumer.OPERATION_FRAMES]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("op", "role"), WS_TABLE)
def test_websocket(op: str, role: str) -> None:
    expected = TABLE[op, role]
    world = build_world(op, role)
    person = world.person(role)
    with sockets() as opened:
        if expected in WS_CLOSES:
            refused = opened.open(
                person, second_factor=role != "staff_without_second_factor", refused=True
            )
            assert refused.close_code == WS_CLOSES[expected]
            return
        assert person is not None
        socket = opened.open(person)
        before = counts()
        frame = socket.request(op, **fields_for(op, world, role))
        if expected == ALLOWED:
            assert frame["type"] == "reply", frame
            check_no_leak(world, role, frame, op)
            check_allowed_effect(op, before)
            return
        assert frame["type"] == "error" and frame["code"] == WS_CODES[expected], frame
        assert_plain_english(frame["message"])
        assert counts() == before
