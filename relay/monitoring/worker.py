"""``python -m relay.monitoring.worker [worker options]``: ``manage.py worker`` with the
internal metrics listener (``RELAY_METRICS_PORT``) started first, so the worker's own
counters (jobs run and failed, notifications sent and failed) can be scraped too."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relay.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from relay.monitoring.server import start_metrics_listener

    start_metrics_listener()
    call_command("worker", *(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
