"""The worker runs real tasks through the real database backend (django-tasks-db), enqueues
each periodic job once per period, and loses no task when it is killed mid-run."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from relay.worker.models import PeriodicJobState
from relay.worker.periodic import PERIODIC_JOBS, PeriodicJob
from relay.worker.scheduler import enqueue_due
from relay.worker.tasks import requeue_stalled_now
from tests.conftest import ROOT, database_url_for_subprocess, stop_process
from tests.worker.tasks import leave_mark, slow_mark

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_queued_task_runs_once_in_the_worker():
    result = leave_mark.enqueue("ran")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.READY
    assert not PeriodicJobState.objects.filter(name="ran").exists()
    call_command("worker", "--once")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.return_value == "ran"
    assert PeriodicJobState.objects.filter(name="ran").exists()
    # A second turn finds nothing to run again.
    call_command("worker", "--once")
    assert DBTaskResult.objects.filter(task_path__endswith="leave_mark").count() == 1


def test_a_task_scheduled_for_later_waits_for_its_time():
    later = timezone.now() + datetime.timedelta(hours=1)
    result = leave_mark.using(run_after=later).enqueue("later")
    call_command("worker", "--once")
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY


def test_each_periodic_run_is_enqueued_once_however_many_workers_ask():
    every = datetime.timedelta(minutes=5)
    job = PeriodicJob("test.requeue", "relay.worker.tasks.requeue_stalled", every)
    now = timezone.now()
    assert enqueue_due(now, [job]) == ["test.requeue"]
    assert enqueue_due(now, [job]) == []
    assert enqueue_due(now + datetime.timedelta(minutes=4), [job]) == []
    assert enqueue_due(now + datetime.timedelta(minutes=5), [job]) == ["test.requeue"]
    queued = DBTaskResult.objects.filter(task_path="relay.worker.tasks.requeue_stalled")
    assert queued.count() == 2


def test_the_registered_periodic_jobs_are_tasks_and_run():
    assert {job.name for job in PERIODIC_JOBS} >= {"worker.requeue_stalled"}
    call_command("worker", "--once")
    results = DBTaskResult.objects.all()
    assert {r.task_path for r in results} >= {job.task for job in PERIODIC_JOBS}
    assert all(r.status == TaskResultStatus.SUCCESSFUL for r in results)


def test_a_job_that_is_not_a_task_is_refused():
    job = PeriodicJob("bad", "relay.worker.scheduler.enqueue_due", datetime.timedelta(minutes=1))
    with pytest.raises(TypeError, match="not a task"):
        enqueue_due(timezone.now(), [job])
    assert not DBTaskResult.objects.exists()


def worker_process() -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "relay.settings.test",
            "DATABASE_URL": database_url_for_subprocess(),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(predicate, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.live
def test_a_task_survives_a_worker_killed_mid_run():
    """A real ``manage.py worker`` process picks the task up and is killed (SIGKILL) while
    it runs: the task stays marked running and its work is not done. The next worker puts it
    back once it counts as stalled, and it runs to the end exactly once."""
    result = slow_mark.enqueue("survived", 30)
    proc = worker_process()
    try:
        wait_for(lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING)
        proc.kill()
        proc.wait(10)
    finally:
        stop_process(proc)
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.RUNNING
    assert not PeriodicJobState.objects.filter(name="survived").exists()
    # Not yet stalled: left alone (its worker might still be alive).
    assert requeue_stalled_now() == 0
    later = timezone.now() + datetime.timedelta(seconds=601)
    assert requeue_stalled_now(later) == 1
    call_command("worker", "--once")
    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert len(row.worker_ids) == 2  # the killed worker's attempt, then the one that finished
    assert PeriodicJobState.objects.filter(name="survived").count() == 1


@pytest.mark.live
def test_sigterm_lets_the_running_task_finish():
    result = slow_mark.enqueue("finished", 1.5)
    proc = worker_process()
    try:
        wait_for(lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING)
        proc.terminate()
        assert proc.wait(20) == 0
    finally:
        stop_process(proc)
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL
