"""The background worker: closes groups at their deadline and purges expired idempotency keys."""
