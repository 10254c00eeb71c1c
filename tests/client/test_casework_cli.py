"""The case-work commands of ``relay-client`` against a real Daphne: assessment records
with sealed notes, the steps to active, consent per mode (the participant's own, and a
facilitator's record saying how they heard it), supporters asked for, approved and ended,
and a case found unsuitable with each person told. Bad input is refused with a clear
message and changes nothing."""

from __future__ import annotations

import pytest

from relay.cases.models import Case, CaseRecord, Participation, Supporter
from relay.hub.selectors import signposting_services
from relay.moderation.models import Message
from tests.client.cli_helpers import run_cli
from tests.factories import make_case, make_newcomer_case, prepare_and_start

pytestmark = pytest.mark.live


def test_assessment_consent_and_start_through_the_command_line(daphne, monkeypatch) -> None:
    sc = make_case(active=False)
    ref = sc.case.reference

    def cli(person, *args):
        return run_cli(daphne.url, person, *args, monkeypatch=monkeypatch)

    assert cli(sc.facilitator, "assess", ref).out == "The assessment has begun.\n"
    # A case note needs its words; a fact must be NAME=VALUE. Nothing is recorded.
    refused = cli(sc.facilitator, "record", ref, "case_note")
    assert refused.code == 1 and "(note_required)" in refused.err
    refused = cli(sc.facilitator, "record", ref, "risk_assessment", "--fact", "level")
    assert refused.code == 2 and "NAME=VALUE" in refused.err
    too_early = cli(sc.facilitator, "prepare", ref)
    assert too_early.code == 1 and "(assessment_incomplete)" in too_early.err
    assert not CaseRecord.objects.filter(case=sc.case).exists()

    facts = [f"--fact={name}=true" for name in (
        "reported_to_police", "identifiable_parties", "responsibility_admitted", "both_willing",
    )]
    done = cli(sc.facilitator, "record", ref, "suitability", *facts)
    assert done.code == 0, done.err
    done = cli(sc.facilitator, "record", ref, "risk_assessment", "--fact", "level=medium",
               "--note", "Meet by video only")
    assert done.code == 0 and "sealed to the facilitators" in done.out
    assert cli(sc.facilitator, "record", ref, "approach", "--fact", "response=accepted").code == 0
    risk = CaseRecord.objects.get(case=sc.case, kind="risk_assessment")
    assert risk.facts == {"level": "medium"} and "Meet by video" not in str(risk.envelope)

    timeline = cli(sc.facilitator, "timeline", ref)
    assert timeline.code == 0, timeline.err
    assert "risk_assessment by" in timeline.out and "\u201cMeet by video only\u201d" in timeline.out
    assert "case_state" in timeline.out
    # A participant has no timeline: the server answers as if there were no case.
    assert cli(sc.harmed, "timeline", sc.id).code == 1

    assert cli(sc.facilitator, "prepare", ref).code == 0
    assert Case.objects.get(pk=sc.case.pk).state == "preparing"

    mine = cli(sc.harmed, "give-consent", sc.id, "messages", "conference")
    assert mine.code == 0, mine.err
    half = cli(sc.facilitator, "give-consent", ref, "messages", "--side", "responsible")
    assert half.code == 2 and "--side and --how" in half.err
    told = cli(sc.facilitator, "give-consent", ref, "messages", "--side", "responsible",
               "--how", "phone")
    assert told.code == 0, told.err
    shown = cli(sc.facilitator, "consent", ref)
    assert "the person harmed agrees to: Messages and letters, Phone or video conference" in (
        shown.out
    )
    assert "agreed to Messages and letters, by a facilitator, after a phone call" in shown.out
    own = cli(sc.responsible, "consent", sc.id)
    assert "the person harmed" not in own.out and "the person responsible agrees to" in own.out

    assert cli(sc.harmed, "withdraw-consent", sc.id, "conference").code == 0
    harmed = Participation.objects.get(case=sc.case, side="harmed")
    assert harmed.consented_modes == ["messages"]
    started = cli(sc.facilitator, "start", ref)
    assert started.code == 0, started.err
    assert Case.objects.get(pk=sc.case.pk).state == "active"


def test_supporters_through_the_command_line(daphne, monkeypatch) -> None:
    sc = make_case()

    def cli(person, *args):
        return run_cli(daphne.url, person, *args, monkeypatch=monkeypatch)

    assert "No one has asked" in cli(sc.harmed, "supporters", sc.id).out
    asked = cli(sc.harmed, "ask-supporter", sc.id, "--who", "My sister Sam")
    assert asked.code == 0, asked.err
    note = Message.objects.get(case=sc.case, sender=sc.harmed.user)
    assert note.kind == "note_to_facilitator" and b"Sam" not in bytes(note.ciphertext)
    supporter = Supporter.objects.get(participation__case=sc.case)
    listed = cli(sc.facilitator, "supporters", sc.case.reference)
    assert f"{supporter.pk}  (no name yet), for the person harmed: asked for" in listed.out

    # A participant cannot approve; an unknown id is refused before anything is sent.
    assert cli(sc.harmed, "approve-supporter", str(supporter.pk), "sam-x").code == 1
    unknown = cli(sc.facilitator, "approve-supporter", "ffffffff", "sam-x")
    assert unknown.code == 2 and "No supporter" in unknown.err
    approved = cli(sc.facilitator, "approve-supporter", str(supporter.pk)[:8],
                   f"sam-{sc.case.reference}", "--name", "Sam")
    assert approved.code == 0, approved.err
    assert "Enrolment code: " in approved.out
    listed = cli(sc.harmed, "supporters", sc.id)
    assert "Sam, for the person harmed: approved, has not used their code yet" in listed.out

    ended = cli(sc.harmed, "end-supporter", str(supporter.pk))
    assert ended.code == 0, ended.err
    again = cli(sc.facilitator, "end-supporter", str(supporter.pk))
    assert again.code == 1
    listed = cli(sc.facilitator, "supporters", sc.case.reference)
    assert "Sam, for the person harmed: ended by the participant" in listed.out


def test_unsuitable_and_the_notice_through_the_command_line(daphne, monkeypatch) -> None:
    sc = make_case(active=False)
    ref = sc.case.reference
    service = signposting_services()[0].key if signposting_services() else None

    def cli(person, *args):
        return run_cli(daphne.url, person, *args, monkeypatch=monkeypatch)

    assert cli(sc.facilitator, "assess", ref).code == 0
    bad = cli(sc.facilitator, "unsuitable", ref, "He denies it", "--notice", "harmed")
    assert bad.code == 2 and "harmed=TEXT" in bad.err
    missing = cli(sc.facilitator, "unsuitable", ref, "He denies it",
                  "--notice", "harmed=We cannot go on.")
    assert missing.code == 1 and "(notice_missing)" in missing.err
    assert Case.objects.get(pk=sc.case.pk).state == "assessing"
    signpost = ["--signpost", service] if service else []
    closed = cli(sc.facilitator, "unsuitable", ref, "He denies it",
                 "--notice", "harmed=We cannot go on.",
                 "--notice", "responsible=We cannot go on with this.", *signpost)
    assert closed.code == 0, closed.err
    assert Case.objects.get(pk=sc.case.pk).state == "closed"
    notice = cli(sc.harmed, "notices", sc.id)
    assert notice.code == 0, notice.err
    assert notice.out.startswith("We cannot go on.\n")


def test_taking_part_without_a_device_through_the_command_line(daphne, monkeypatch) -> None:
    sc = make_newcomer_case()
    ref = sc.case.reference

    def cli(person, *args):
        return run_cli(daphne.url, person, *args, monkeypatch=monkeypatch)

    later = cli(sc.facilitator, "hold", ref, "responsible", "phone", "--when", "2999-01-01T10:00Z")
    assert later.code == 1 and "(consent_when)" in later.err
    enrolled = cli(sc.facilitator, "hold", ref, "harmed", "letter")
    assert enrolled.code == 1 and "(already_enrolled)" in enrolled.err
    held_now = cli(sc.facilitator, "hold", ref, "responsible", "in_person")
    assert held_now.code == 0, held_now.err
    prepare_and_start(sc)

    entered = cli(sc.facilitator, "enter", ref, "responsible", "answer", "I am sorry.")
    assert entered.code == 0, entered.err
    assert "marked as entered by you" in entered.out and "waits in the queue" in entered.out
    answer = Message.objects.get(case=sc.case, state="submitted")
    assert answer.entered_by_id == sc.facilitator.user.pk
    assert answer.sender_id == sc.responsible.user.pk
    passed_on = cli(sc.facilitator, "forward", str(answer.pk))
    assert passed_on.code == 0, passed_on.err
    inbox = cli(sc.harmed, "inbox")
    assert "I am sorry." in inbox.out

    # The person harmed asks; the forward to the held person is sealed to the facilitators
    # (and to the writer, so they read what was passed on), never to anyone else.
    assert cli(sc.harmed, "send", sc.id, "question", "Why us?").code == 0
    question = Message.objects.get(case=sc.case, sender=sc.harmed.user, state="submitted")
    assert cli(sc.facilitator, "forward", str(question.pk)).code == 0
    forwarded = Message.objects.get(derived_from=question)
    assert {k.recipient_key.key_id for k in forwarded.keys.all()} == {
        sc.facilitator.keypair.key_id, sc.harmed.keypair.key_id
    }
    assert cli(sc.facilitator, "read-out", "nonsense").code == 2
    read = cli(sc.facilitator, "read-out", str(forwarded.pk))
    assert read.code == 0, read.err
    assert cli(sc.facilitator, "read-out", str(forwarded.pk)).code == 1

    assert cli(sc.facilitator, "pause-held", ref, "harmed").code == 1
    assert cli(sc.facilitator, "pause-held", ref, "responsible").code == 0
    assert Participation.objects.get(case=sc.case, side="responsible").state == "paused"
    assert cli(sc.facilitator, "resume-held", ref, "responsible").code == 0
    assert cli(sc.facilitator, "withdraw-held", ref, "responsible").code == 0
    assert Participation.objects.get(case=sc.case, side="responsible").state == "withdrawn"
    late = cli(sc.facilitator, "enter", ref, "responsible", "note_to_facilitator", "x")
    assert late.code == 1
