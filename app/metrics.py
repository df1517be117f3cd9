"""Domain counters for Prometheus (HTTP metrics live in app.observability)."""

from prometheus_client import Counter

GROUPS_CLOSED = Counter("pool_groups_closed_total", "Groups that left open", ["outcome"])
WORKER_ERRORS = Counter("pool_worker_errors_total", "Worker passes that failed", ["task"])
