import pytest
from django.core.management import CommandError, call_command

from relay.audit.models import AuditEvent
from relay.cases.models import Case
from tests.factories import make_person


@pytest.mark.django_db
def test_hub_manager_sets_up_a_case_from_the_command_line(capsys):
    manager = make_person("hub_manager", name="alice")
    make_person("facilitator", name="sam")
    base = dict(manager="alice", reference="RJ-2026-0042")
    call_command("case", "create", **base)
    call_command("case", "assign", facilitator="sam", **base)
    call_command("case", "new-participant", manager="alice", username="jo", display_name="Jo")
    call_command("case", "new-participant", manager="alice", username="kit", display_name="Kit")
    call_command("case", "add-participant", participant="jo", side="harmed", **base)
    call_command("case", "add-participant", participant="kit", side="responsible", **base)
    call_command("case", "show", reference="RJ-2026-0042")
    out = capsys.readouterr().out
    assert "facilitator: sam" in out
    assert "The person harmed: jo (Invited)" in out
    assert "The person responsible: kit (Invited)" in out
    case = Case.objects.get(reference="RJ-2026-0042")
    assert AuditEvent.objects.filter(case_id=case.pk).count() == 4
    assert manager.user.role == "hub_manager"


@pytest.mark.django_db
def test_bad_input_is_a_clear_error_and_changes_nothing():
    make_person("hub_manager", name="alice")
    make_person("participant", name="jo")
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="not a hub manager"):
        call_command("case", "create", manager="jo", reference="RJ-1")
    with pytest.raises(CommandError, match="No case with reference"):
        call_command("case", "assign", manager="alice", reference="RJ-404", facilitator="jo")
    call_command("case", "create", manager="alice", reference="RJ-1")
    with pytest.raises(CommandError, match="No facilitator account named 'jo'"):
        call_command("case", "assign", manager="alice", reference="RJ-1", facilitator="jo")
    with pytest.raises(CommandError, match="already exists"):
        call_command("case", "create", manager="alice", reference="RJ-1")
    assert AuditEvent.objects.count() == before + 1
    assert list(Case.objects.values_list("reference", flat=True)) == ["RJ-1"]
    assert not Case.objects.get(reference="RJ-1").assignments.exists()
