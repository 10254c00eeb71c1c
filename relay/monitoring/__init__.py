"""Seeing that the service is well: structured logs that hold no content, names or
addresses (``logging``), liveness and readiness (``health``), and the Prometheus metrics
read on an internal listener only (``collector``, ``server``, ``middleware``).
docs/operations.md describes what each says."""
