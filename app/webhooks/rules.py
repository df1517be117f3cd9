"""Which events an endpoint may be sent: the types it subscribed to, among the events its account
may see in the feed (admins see all; others public events and their own). The fan-out and the
redelivery of an event apply the same rules."""

from __future__ import annotations

from app.db.models import Event, Role, WebhookEndpoint
from app.webhooks.schemas import ALL_EVENTS


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return ALL_EVENTS in endpoint.event_types or event_type in endpoint.event_types


def may_see(endpoint: WebhookEndpoint, role: Role, event: Event) -> bool:
    """Whether the endpoint's account, of ``role``, may see ``event`` in the feed."""
    return role == Role.admin or event.account_id in (None, endpoint.account_id)
