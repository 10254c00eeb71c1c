"""``manage.py worker``: run queued tasks and the periodic jobs, until stopped.

It runs the database backend's own worker (django-tasks-db) in turns: enqueue the periodic
jobs that are due (``relay.worker.periodic``), run every task that is ready, sleep
``--interval`` seconds, again. SIGINT or SIGTERM lets the running task finish, then stops;
a second signal stops at once. A worker killed mid-task leaves it marked running; the
``worker.requeue_stalled`` job puts it back after ``RELAY_WORKER_STALLED_SECONDS``.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from relay.worker.scheduler import enqueue_due
from relay.worker.tasks import requeue_stalled_now


class Command(BaseCommand):
    help = "Run queued background tasks and the periodic jobs (reminders, retention)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0,
            help="Seconds to sleep when nothing is ready (default 1).",
        )
        parser.add_argument(
            "--once", action="store_true",
            help="Enqueue the due periodic jobs, run everything ready, then exit.",
        )

    def handle(self, *args: Any, interval: float, once: bool, **options: Any) -> None:
        worker_id = get_random_string(32)
        worker = Worker(
            queue_names=["*"], interval=0, batch=True, backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False, max_tasks=None, worker_id=worker_id, excluded_queue_names=[],
        )
        if not once:
            worker.configure_signals()
            self.stdout.write(f"Relay worker {worker_id} started.")
            # Tasks a killed worker left running are put back at once on start.
            requeue_stalled_now()
        while worker.running:
            close_old_connections()
            enqueue_due()
            worker.run()
            if once:
                return
            time.sleep(interval)
