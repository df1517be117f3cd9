"""Every table, imported here so that Alembic and the app see the whole metadata."""

from app.db.models.accounts import Account, ApiKey, Role
from app.db.models.audit import AuditEntry
from app.db.models.events import Event, IdempotencyKey
from app.db.models.groups import (
    Group,
    GroupKind,
    GroupStatus,
    Intent,
    IntentStatus,
    Offer,
    OfferStatus,
    Participant,
)
from app.db.models.orders import Order, OrderLine, OrderStatus
from app.db.models.webhooks import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WorkerCursor,
)

__all__ = [
    "Account",
    "ApiKey",
    "AuditEntry",
    "DeliveryStatus",
    "EndpointStatus",
    "Event",
    "Group",
    "GroupKind",
    "GroupStatus",
    "IdempotencyKey",
    "Intent",
    "IntentStatus",
    "Offer",
    "OfferStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Participant",
    "Role",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerCursor",
]
