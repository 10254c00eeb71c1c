"""Referrals: a person's own from the public page (sealed, with a proof of work, throttled),
a professional's with consent, the status page, and the hub manager's accept and decline."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from relay.accounts.models import Role
from relay.audit.models import AuditEvent, AuditEventType
from relay.cases.models import Case, CaseState
from relay.hub.actions import update_hub_settings
from relay.referrals import proof as proof_module
from relay.referrals.models import Referral, ReferralState
from relay.referrals.selectors import referrals_by_source_and_month
from relay_client import crypto
from relay_client.crypto import KeyPair
from tests.factories import make_person
from tests.moderation.helpers import assert_plain_english, http_call, http_client
from tests.referrals.helpers import (
    PAYLOAD,
    post,
    professional_referral,
    proof,
    sealed_to,
    self_referral,
    with_intake_key,
)

pytestmark = pytest.mark.django_db


def refer(client, intake: KeyPair, **changes):
    body = {"sealed": sealed_to(intake), "side": "harmed", "proof": proof(), **changes}
    return post(client, "/api/referrals/self", body)


def test_a_person_refers_themselves_and_only_the_intake_key_opens_it() -> None:
    manager, intake = with_intake_key()
    client = http_client(None)
    challenge = post(client, "/api/referrals/challenge", {})[1]
    assert challenge["difficulty"] == 8 and challenge["expires_in"] == 900
    status, body = refer(client, intake)
    assert status == 201, body
    referral = Referral.objects.get(reference=body["reference"])
    assert body["state"] == "waiting" and len(body["check_code"]) == 14
    assert referral.check_hash != body["check_code"] and body["check_code"] not in str(
        Referral.objects.values().get()
    )
    assert crypto.open_referral(referral.sealed, intake_key=intake) == PAYLOAD
    with pytest.raises(crypto.EnvelopeOpenError):
        crypto.open_comment(referral.sealed, me=manager.keypair, kind="referral")
    event = AuditEvent.objects.get(event_type=AuditEventType.REFERRAL_RECEIVED)
    assert event.actor_id is None and event.data == {"referral": str(referral.pk), "source": "self"}
    # The status page, with the reference and check code (spaces and case do not matter).
    status, seen = post(
        client,
        "/api/referrals/status",
        {
            "reference": body["reference"].lower(),
            "check_code": body["check_code"].replace("-", " "),
        },
    )
    assert status == 200 and seen["state"] == "waiting" and seen["reason"] is None
    assert seen["hub"]["name"]


def bad_proofs(intake: KeyPair) -> list[object]:
    good = proof()
    challenge = good["challenge"]
    parts = challenge.split(".")
    easier = ".".join([parts[0], "1", *parts[2:]])
    return [
        None,
        {"challenge": challenge},
        {"challenge": challenge, "nonce": "not a number"},
        {"challenge": challenge[:-1] + ("0" if challenge[-1] != "0" else "1"), "nonce": "0"},
        {"challenge": easier, "nonce": crypto.solve_proof(easier, 1)},
        # A nonce that does not give the zero bits.
        {
            "challenge": challenge,
            "nonce": next(
                str(n)
                for n in range(1000)
                if proof_module.leading_zero_bits(
                    __import__("hashlib").sha256(f"{challenge}:{n}".encode()).digest()
                )
                < 8
            ),
        },
    ]


def test_a_missing_wrong_or_spent_proof_is_refused_and_nothing_is_stored() -> None:
    _, intake = with_intake_key()
    client = http_client(None)
    for bad in bad_proofs(intake):
        status, body = refer(client, intake, proof=bad)
        assert (status, body["error"]["code"]) == (400, "proof_of_work"), (bad, body)
        assert_plain_english(body["error"]["message"])
    good = proof()
    assert refer(client, intake, proof=good)[0] == 201
    status, body = refer(client, intake, proof=good)
    assert (status, body["error"]["code"]) == (400, "proof_of_work")
    assert Referral.objects.count() == 1


def test_an_old_challenge_is_refused(monkeypatch) -> None:
    _, intake = with_intake_key()
    good = proof()
    import time as real_time

    later = real_time.time() + 16 * 60
    monkeypatch.setattr(proof_module.time, "time", lambda: later)
    status, body = refer(http_client(None), intake, proof=good)
    assert (status, body["error"]["code"]) == (400, "proof_of_work")


def test_content_not_sealed_to_the_current_intake_key_is_refused() -> None:
    _, intake = with_intake_key()
    client = http_client(None)
    elsewhere = KeyPair.generate()
    status, body = refer(client, intake, sealed=sealed_to(elsewhere))
    assert (status, body["error"]["code"]) == (400, "recipients_missing")
    comment = crypto.seal_comment(
        recipients=[crypto.Recipient(intake.key_id, intake.public)], payload={"body": "x"}
    )
    status, body = refer(client, intake, sealed=comment)
    assert (status, body["error"]["code"]) == (400, "bad_kind")
    status, body = refer(client, intake, side="bystander")
    assert (status, body["error"]["code"]) == (400, "invalid")
    assert not Referral.objects.exists()


def test_without_an_intake_key_the_page_says_to_phone() -> None:
    status, body = refer(http_client(None), KeyPair.generate())
    assert (status, body["error"]["code"]) == (400, "invalid")
    assert "phone" in body["error"]["message"]


@override_settings(RELAY_THROTTLE_LIMITS={"referral": (0, 2), "referral_status": (0, 3)})
def test_one_address_is_throttled() -> None:
    _, intake = with_intake_key()
    client = http_client(None)
    assert refer(client, intake)[0] == 201
    assert refer(client, intake)[0] == 201
    status, body = refer(client, intake)
    assert (status, body["error"]["code"]) == (429, "throttled")
    assert Referral.objects.count() == 2
    # Wrong check codes on the status page, then even the right one waits.
    reference = Referral.objects.first().reference
    for _ in range(3):
        status, _ = post(
            client,
            "/api/referrals/status",
            {"reference": reference, "check_code": "AAAA-AAAA-AAAA"},
        )
        assert status == 404
    status, body = post(
        client, "/api/referrals/status", {"reference": reference, "check_code": "AAAA-AAAA-AAAA"}
    )
    assert status == 429


def test_the_status_page_answers_the_same_for_unknown_and_wrong() -> None:
    _, intake = with_intake_key()
    received = self_referral(intake)
    client = http_client(None)
    wrong = post(
        client,
        "/api/referrals/status",
        {"reference": received.referral.reference, "check_code": "ABCD-EFGH-JKMN"},
    )
    unknown = post(
        client,
        "/api/referrals/status",
        {"reference": "ZZZZ-ZZZZ", "check_code": received.check_code},
    )
    assert wrong == unknown and wrong[0] == 404


def test_a_professional_refers_with_consent_and_sees_their_own() -> None:
    _, intake = with_intake_key()
    referrer, other = make_person(Role.REFERRER), make_person(Role.REFERRER)
    client = http_client(referrer)
    body = {
        "sealed": sealed_to(intake, {**PAYLOAD, "consent_given_by_name": "J. Smith"}),
        "side": "responsible",
        "source": "probation",
        "consent_given_by": "person",
        "consent_method": "phone",
        "consent_given_on": datetime.date.today().isoformat(),
    }
    status, reply = post(client, "/api/referrals", body)
    assert status == 201, reply
    referral = Referral.objects.get()
    assert (referral.source, referral.referrer, referral.consent_method) == (
        "probation",
        referrer.user,
        "phone",
    )
    mine = http_call(client, "GET", "/api/referrals/mine")[1]["referrals"]
    assert [r["reference"] for r in mine] == [reply["reference"]]
    assert http_call(http_client(other), "GET", "/api/referrals/mine")[1]["referrals"] == []
    for change in (
        {"source": "self"},
        {"consent_method": "telepathy"},
        {"consent_given_by": "a neighbour"},
        {"consent_given_on": (datetime.date.today() + datetime.timedelta(days=1)).isoformat()},
    ):
        status, reply = post(client, "/api/referrals", {**body, **change})
        assert (status, reply["error"]["code"]) == (400, "invalid"), change
    assert Referral.objects.count() == 1
    # Only referrers refer someone; anyone else is not told the endpoint is theirs.
    for person in (make_person(Role.FACILITATOR), make_person(Role.PARTICIPANT)):
        assert post(http_client(person), "/api/referrals", body)[0] == 404


def test_a_manager_accepts_into_a_case_and_assigns_a_trained_facilitator() -> None:
    manager, intake = with_intake_key()
    received = self_referral(intake)
    client = http_client(manager)
    waiting = http_call(client, "GET", "/api/referrals")[1]["waiting"]
    assert [r["reference"] for r in waiting] == [received.referral.reference]
    assert crypto.open_referral(waiting[0]["sealed"], intake_key=intake) == PAYLOAD
    url = f"/api/referrals/{received.referral.pk}"
    status, body = post(
        client, url + "/accept", {"offence_category": "domestic_abuse", "complexity": "standard"}
    )
    assert status == 200, body
    case = Case.objects.get(pk=body["case_id"])
    assert case.state == CaseState.REFERRED and case.offence_category == "domestic_abuse"
    assert case.reference == f"RJ-{received.referral.reference}"
    assert post(client, url + "/accept", {"offence_category": "other", "complexity": "standard"})[
        1
    ]["error"]["code"] == ("conflict")
    assert post(client, url + "/decline", {"reason": "not_safe"})[0] == 409
    foundation = make_person(Role.FACILITATOR)
    specialist, advanced = make_person(Role.FACILITATOR), make_person(Role.FACILITATOR)
    for person, level in ((specialist, "specialist"), (advanced, "advanced")):
        person.user.training_level = level
        person.user.save(update_fields=["training_level"])
    listed = http_call(client, "GET", "/api/facilitators")[1]["facilitators"]
    assert {f["user_id"] for f in listed} >= {foundation.id, specialist.id}
    assign = f"/api/cases/{case.pk}/facilitators"
    status, body = post(client, assign, {"facilitator_id": foundation.id})
    assert (status, body["error"]["code"]) == (400, "training_level")
    assert "training" in body["error"]["message"]
    assert_plain_english(body["error"]["message"])
    status, body = post(client, assign, {"facilitator_id": specialist.id})
    assert status == 200 and [f["user_id"] for f in body["facilitators"]] == [specialist.id]
    # Co-facilitation stays: a second one fits, a third does not.
    second = make_person(Role.FACILITATOR)
    second.user.training_level = "specialist"
    second.user.save(update_fields=["training_level"])
    assert post(client, assign, {"facilitator_id": second.id})[0] == 200
    third = make_person(Role.FACILITATOR)
    third.user.training_level = "specialist"
    third.user.save(update_fields=["training_level"])
    assert post(client, assign, {"facilitator_id": third.id})[0] == 400


def test_a_manager_declines_with_signposting_seen_on_the_status_page() -> None:
    manager, intake = with_intake_key()
    update_hub_settings(actor=None, changes={"name": "Norfolk hub"})
    received = self_referral(intake)
    client = http_client(manager)
    url = f"/api/referrals/{received.referral.pk}/decline"
    for bad in ({"reason": "because"}, {"reason": "not_safe", "signposting": ["unknown"]}):
        status, body = post(client, url, bad)
        assert (status, body["error"]["code"]) == (400, "invalid"), bad
    assert Referral.objects.get().state == ReferralState.WAITING
    status, body = post(
        client, url, {"reason": "not_safe", "signposting": ["samaritans", "victim-support"]}
    )
    assert status == 200, body
    status, seen = post(
        http_client(None),
        "/api/referrals/status",
        {"reference": received.referral.reference, "check_code": received.check_code},
    )
    assert status == 200 and seen["state"] == "declined"
    assert seen["reason"]["code"] == "not_safe" and "safe" in seen["reason"]["text"]
    # In the hub's order, whatever order they were chosen in.
    assert [s["key"] for s in seen["signposting"]] == ["victim-support", "samaritans"]
    assert seen["signposting"][0]["phone"] and seen["hub"]["name"] == "Norfolk hub"
    event = AuditEvent.objects.get(event_type=AuditEventType.REFERRAL_DECLINED)
    assert event.data["reason"] == "not_safe"


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.REFERRER, Role.COMMISSIONER])
def test_only_managers_see_and_decide_referrals(role: str) -> None:
    _, intake = with_intake_key()
    received = self_referral(intake)
    client = http_client(make_person(role))
    assert http_call(client, "GET", "/api/referrals")[0] == 404
    url = f"/api/referrals/{received.referral.pk}"
    assert (
        post(client, url + "/accept", {"offence_category": "other", "complexity": "standard"})[0]
        == 404
    )
    assert post(client, url + "/decline", {"reason": "not_safe"})[0] == 404
    assert Referral.objects.get().state == ReferralState.WAITING and not Case.objects.exists()


def test_referrals_by_source_and_month() -> None:
    _, intake = with_intake_key()
    self_referral(intake)
    self_referral(intake)
    professional_referral(intake)
    month = datetime.date.today().replace(day=1)
    assert referrals_by_source_and_month(month, month) == [
        (month, "probation", 1),
        (month, "self", 2),
    ]
    earlier = (month - datetime.timedelta(days=1)).replace(day=1)
    assert referrals_by_source_and_month(earlier, earlier) == []


def test_the_command_lists_what_the_server_knows() -> None:
    from io import StringIO

    from django.core.management import call_command

    _, intake = with_intake_key()
    received = self_referral(intake)
    out = StringIO()
    call_command("referrals", "--state", "waiting", stdout=out)
    assert received.referral.reference in out.getvalue() and "self" in out.getvalue()
    assert "bike" not in out.getvalue()
