"""How many SQL queries one moderated cycle costs, step by step, through the operations
table that HTTP and the socket both run (``relay.operations.run``) and the catch-up read
every woken socket makes (``events_after``, until a page comes back short, as
``RelayConsumer._flush`` does).

The budgets are ceilings: a change that makes a step ask the database more than it does
today fails here, with the queries of that step grouped by table, so the repeated read is
easy to find. docs/performance.md ("Queries per cycle") has the figures before and after the
per-action reads were collapsed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relay import operations
from relay.accounts.models import User
from relay.delivery.selectors import PAGE_SIZE
from relay.moderation.models import Message, MessageState
from relay.operations.catch_up import events_after
from relay.surface import Caller
from tests.envelopes import seal_from
from tests.factories import Person, ShuttleCase, make_case
from tests.moderation.helpers import forward_envelope

pytestmark = pytest.mark.django_db

# The most queries each step may run (SAVEPOINT/RELEASE of the action's transaction
# included: inside the test's transaction an atomic block is a savepoint).
BUDGET = {
    "send": 21,
    "flush_facilitator": 2,
    "forward": 21,
    "flush_responsible": 2,
    "flush_harmed": 2,
    "flush_facilitator_again": 3,
}

_PARENTHESES = re.compile(r"\([^()]*\)")
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


def table_of(sql: str) -> str:
    """The table a statement is mainly about (the first named), or its verb."""
    head = sql.lstrip().split(None, 1)[0].upper()
    if head in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return "(savepoint)"
    outer = sql
    while (inner := _PARENTHESES.sub("", outer)) != outer:  # drop subqueries and lists
        outer = inner
    match = _TABLE.search(outer)
    return match.group(1) if match else head.lower()


def by_table(queries: list[dict[str, Any]]) -> Counter[str]:
    return Counter(table_of(q["sql"]) for q in queries)


def measured(step: str, run: Callable[[], Any], report: dict[str, Counter[str]]) -> Any:
    with CaptureQueriesContext(connection) as captured:
        result = run()
    report[step] = by_table(captured.captured_queries)
    return result


def fresh(person: Person) -> User:
    """The user as a new request or socket frame has it: read again (outside the measured
    step, as the session middleware does), with the second factor passed for staff."""
    user = User.objects.get(pk=person.user.pk)
    if user.is_staff_role:
        user.is_verified = lambda: True  # type: ignore[method-assign]
    return user


def flush(user: User, after: int = 0) -> list[dict[str, Any]]:
    """What a woken socket does (``RelayConsumer._flush``): read after what it sent, page by
    page, until a page comes back short."""
    sent = after
    seen: list[dict[str, Any]] = []
    while True:
        batch = events_after(user, sent, limit=PAGE_SIZE)
        seen.extend(batch)
        if batch:
            sent = batch[-1]["seq"]
        if len(batch) < PAGE_SIZE:
            return seen


def measured_flush(
    step: str, person: Person, after: int, report: dict[str, Counter[str]]
) -> list[dict[str, Any]]:
    user = fresh(person)
    return measured(step, lambda: flush(user, after), report)


def run_cycle(shuttle: ShuttleCase) -> dict[str, Counter[str]]:
    """One cycle: the person harmed sends a question, the facilitator's socket is pushed it,
    the facilitator forwards it, and both participants' sockets are pushed what follows."""
    harmed, responsible, facilitator = shuttle.harmed, shuttle.responsible, shuttle.facilitator
    marks = {p.id: _latest(p) for p in (harmed, responsible, facilitator)}
    report: dict[str, Counter[str]] = {}
    raw = seal_from(harmed, shuttle, "question", "Why my house?")
    harmed_caller = Caller(user=fresh(harmed))
    sent = measured(
        "send",
        lambda: operations.run("send", harmed_caller, {"envelope": raw}),
        report,
    )
    assert sent["state"] == MessageState.SUBMITTED and not sent["duplicate"]
    pushed = measured_flush("flush_facilitator", facilitator, marks[facilitator.id], report)
    assert [e["message"]["message_id"] for e in pushed] == [sent["message_id"]]
    message = Message.objects.get(pk=sent["message_id"])
    envelope = forward_envelope(shuttle, facilitator, message)
    facilitator_caller = Caller(user=fresh(facilitator))
    forwarded = measured(
        "forward",
        lambda: operations.run(
            "forward",
            facilitator_caller,
            {"message_id": sent["message_id"], "envelope": envelope},
        ),
        report,
    )
    assert forwarded["state"] == "approved"
    received = measured_flush("flush_responsible", responsible, marks[responsible.id], report)
    assert [e["message"]["message_id"] for e in received] == [forwarded["forwarded_id"]]
    told = measured_flush("flush_harmed", harmed, marks[harmed.id], report)
    assert [e["type"] for e in told] == ["message", "message_state"]
    again = measured_flush("flush_facilitator_again", facilitator, pushed[-1]["seq"], report)
    assert [e["type"] for e in again] == ["message", "message_state"]
    return report


def _latest(person: Person) -> int:
    person.user.refresh_from_db(fields=["event_seq"])
    return person.user.event_seq


def describe(report: dict[str, Counter[str]]) -> str:
    lines = []
    for step, tables in report.items():
        detail = ", ".join(f"{t} {n}" for t, n in tables.most_common())
        lines.append(f"{step}: {sum(tables.values())} ({detail})")
    lines.append(f"cycle: {sum(sum(t.values()) for t in report.values())}")
    return "\n".join(lines)


def test_one_cycle_stays_within_its_query_budget() -> None:
    shuttle = make_case()
    run_cycle(shuttle)  # the first cycle warms nothing that a second could skip: measure both
    report = run_cycle(shuttle)
    print("\n" + describe(report))
    over = {
        step: sum(tables.values())
        for step, tables in report.items()
        if sum(tables.values()) > BUDGET[step]
    }
    assert not over, f"over budget {over}:\n{describe(report)}"
