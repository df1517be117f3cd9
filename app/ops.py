"""Liveness, readiness and Prometheus metrics (no authentication)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from app.deps import DbDep
from app.errors import DatabaseUnavailable, responses

router = APIRouter(tags=["operations"])
log = logging.getLogger("pool.ops")


class Health(BaseModel):
    status: str


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz", summary="Readiness: the database answers", responses=responses(DatabaseUnavailable)
)
async def readyz(db: DbDep) -> Health:
    try:
        await db.ping()
    except Exception as exc:  # whatever the failure, the database cannot serve us
        log.warning("readiness check failed: %s", type(exc).__name__)
        raise DatabaseUnavailable from None
    return Health(status="ready")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}
    },
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
