"""Errors of webhook endpoints and deliveries (each documents itself in OpenAPI)."""

from app.errors import Conflict, NotFound
from app.webhooks.urls import WebhookUrlNotAllowed

__all__ = [
    "DeliveryNotFound",
    "EndpointDisabled",
    "EndpointNotFound",
    "EventNotFound",
    "WebhookUrlNotAllowed",
]


class EndpointNotFound(NotFound):
    code, title = "webhook_endpoint_not_found", "No such webhook endpoint of yours"


class DeliveryNotFound(NotFound):
    code, title = "webhook_delivery_not_found", "No such delivery of this endpoint"


class EventNotFound(NotFound):
    # Also for an event that exists but is not for this endpoint: another account's private
    # event must look exactly like one that does not exist.
    code, title = "event_not_found", "No such event for this endpoint"


class EndpointDisabled(Conflict):
    code, title = "webhook_endpoint_disabled", "The webhook endpoint is disabled"
