"""The background worker: closes groups at their deadline, delivers webhooks, purges what has
expired."""
