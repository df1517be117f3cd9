"""Reading the audit trail (admins): newest first, by account or object."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from app.db.engine import Database
from app.db.models import AuditEntry


async def list_entries(
    db: Database,
    *,
    account_id: uuid.UUID | None,
    object_id: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[AuditEntry]:
    """Up to ``limit`` entries older than ``before`` (ids are time-ordered), newest first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if account_id is not None:
        query = query.where(AuditEntry.account_id == account_id)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    async with db.read() as session:
        return (await session.scalars(query)).all()
