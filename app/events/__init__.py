"""Events: the outbox written with every state change; feeds and webhooks read from it."""
