"""Errors of webhook endpoints and deliveries (each documents itself in OpenAPI)."""

from app.errors import Conflict, NotFound
from app.webhooks.urls import WebhookUrlNotAllowed

__all__ = ["DeliveryNotFound", "EndpointDisabled", "EndpointNotFound", "WebhookUrlNotAllowed"]


class EndpointNotFound(NotFound):
    code, title = "webhook_endpoint_not_found", "No such webhook endpoint of yours"


class DeliveryNotFound(NotFound):
    code, title = "webhook_delivery_not_found", "No such delivery of this endpoint"


class EndpointDisabled(Conflict):
    code, title = "webhook_endpoint_disabled", "The webhook endpoint is disabled"
