"""Request and response bodies of webhook endpoints, deliveries and attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from app.db.models import DeliveryStatus, EndpointStatus
from app.events.outbox import EVENT_TYPES
from app.text import SafeStr

ALL_EVENTS = "*"


def _known_type(value: str) -> str:
    if value != ALL_EVENTS and value not in EVENT_TYPES:
        raise ValueError(f"unknown event type; known: {', '.join(EVENT_TYPES)} (or *)")
    return value


def _all_or_some(values: list[str]) -> list[str]:
    if ALL_EVENTS in values and len(set(values)) > 1:
        raise ValueError('"*" subscribes to every event type and stands alone')
    return list(dict.fromkeys(values))  # drop repeats, keep the order given


EventTypeName = Annotated[
    str,
    AfterValidator(_known_type),
    WithJsonSchema(
        {
            "type": "string",
            "title": "SubscribedEventType",
            "enum": [*EVENT_TYPES, ALL_EVENTS],
            # Names of the generated client's enum members ("*" would be VALUE_13).
            "x-enum-varnames": [t.replace(".", "_").upper() for t in EVENT_TYPES] + ["ALL"],
        }
    ),
]
EventTypes = Annotated[
    list[EventTypeName],
    Field(
        min_length=1,
        max_length=len(EVENT_TYPES),
        description='Event types to receive, or `["*"]` for every type you may see.',
    ),
    AfterValidator(_all_or_some),
]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://erp.example.com/pool/webhooks",
                    "event_types": ["order.created", "group.tier_reached"],
                    "description": "ERP connector",
                }
            ]
        },
    )

    url: Annotated[str, SafeStr(strip=True, min_length=1, max_length=2000)] = Field(
        description="HTTPS URL whose host resolves only to public addresses."
    )
    event_types: EventTypes
    description: Annotated[str, SafeStr(max_length=500, multiline=True)] = ""


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    status: EndpointStatus
    disabled_reason: str | None = Field(
        description="Why the endpoint was disabled (a 410 answer, or failing for too long)."
    )
    failing_since: datetime | None = Field(
        description="When the first of the current run of failed attempts happened; null after "
        "a success."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="Until when the secret replaced by the last rotation still signs deliveries."
    )
    created_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str | None = Field(
        description="The signing secret (`whsec_…`), shown only in this answer: store it now. "
        "Null when the answer is a replay of an earlier request with the same "
        "`Idempotency-Key` (the secret is never stored with the replay; rotate it if lost).",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class AttemptOut(BaseModel):
    id: uuid.UUID
    attempted_at: datetime
    status_code: int | None = Field(description="The HTTP status answered; null if none came.")
    error: str | None = Field(description="Why the attempt failed, when it did.")
    duration_ms: int
    response_excerpt: str | None = Field(description="The start of the response body.")


class DeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: int
    event_type: str
    webhook_id: str = Field(
        description="The `webhook-id` header: the same on every attempt and redelivery, so a "
        "receiver can drop duplicates.",
        examples=["evt_42"],
    )
    status: DeliveryStatus
    attempts: int = Field(description="Attempts since the delivery was last scheduled.")
    next_attempt_at: datetime | None = Field(description="When it is tried next, while pending.")
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
