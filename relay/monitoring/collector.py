"""Figures read from the database when Prometheus scrapes the internal listener: messages
waiting for a facilitator and the oldest one's age, the worker's queue and its lag, and
notifications waiting. Counts and ages only; nothing names a case or a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import DatabaseError, close_old_connections
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from relay.moderation.models import Message, MessageState

# Named by label, not imported: the worker's backend and notifications may be absent.
TASK_RESULT_MODEL = ("django_tasks_database", "DBTaskResult")
PREFERENCE_MODEL = ("notifications", "NotificationPreference")


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The database figures, or ``relay_database_up 0`` alone when it does not answer
        (the process's own counters are still served)."""
        close_old_connections()
        try:
            figures = list(self._figures())
        except DatabaseError:
            figures = []
        finally:
            close_old_connections()
        yield GaugeMetricFamily(
            "relay_database_up", "1 when the database answered this scrape.",
            value=1 if figures else 0,
        )
        yield from figures

    def _figures(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        waiting = Message.objects.filter(state=MessageState.SUBMITTED).aggregate(
            n=Count("pk"), oldest=Min("created_at")
        )
        yield GaugeMetricFamily(
            "relay_messages_waiting",
            "Messages waiting for a facilitator's decision.",
            value=waiting["n"],
        )
        yield GaugeMetricFamily(
            "relay_messages_waiting_oldest_seconds",
            "Age of the oldest message waiting for a decision (0 when none waits).",
            value=_age(now, waiting["oldest"]),
        )
        yield from self._worker(now)
        yield from self._notifications()

    def _worker(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        """The task worker's queue (django-tasks-db), when it is installed."""
        if not apps.is_installed("django_tasks_db"):
            return
        task_result: Any = apps.get_model(*TASK_RESULT_MODEL)
        due = task_result.objects.filter(status="READY", run_after__lte=now).aggregate(
            n=Count("pk"), oldest=Min("run_after")
        )
        failed = task_result.objects.filter(status="FAILED").count()
        yield GaugeMetricFamily(
            "relay_worker_tasks_due", "Tasks due and not yet started.", value=due["n"]
        )
        yield GaugeMetricFamily(
            "relay_worker_lag_seconds",
            "How long the oldest due task has waited for the worker (0 when none).",
            value=_age(now, due["oldest"]),
        )
        yield GaugeMetricFamily(
            "relay_worker_tasks_failed", "Tasks whose last run failed (kept results).",
            value=failed,
        )

    def _notifications(self) -> Iterator[GaugeMetricFamily]:
        if not apps.is_installed("relay.notifications"):
            return
        preference: Any = apps.get_model(*PREFERENCE_MODEL)
        yield GaugeMetricFamily(
            "relay_notifications_subscribed",
            "People who opted in to at least one notification channel.",
            value=preference.objects.exclude(channels=[]).count(),
        )
