"""Reads behind the public group pages and the live stream: no caller, no identities.

A public view is ``GroupOut`` without ``is_owner``: titles, totals and prices only. Owners,
consumers and manufacturers never appear in it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.db.engine import Database
from app.db.models import Group, GroupStatus, Offer
from app.groups import repository
from app.groups.views import group_view

NOBODY = uuid.UUID(int=0)  # no account has this id, so ``is_owner`` is false (and dropped)
PRIVATE_FIELDS = frozenset({"is_owner"})


@dataclass(frozen=True, slots=True)
class State:
    """What tells a changed group: its ``version`` and its status."""

    version: int
    status: GroupStatus


@dataclass(frozen=True, slots=True)
class PublicGroup:
    state: State
    data: dict[str, Any]  # the JSON of GET /v1/groups/{id} without ``is_owner``


def public(group: Group, offers: Sequence[Offer]) -> PublicGroup:
    view = group_view(group, offers, NOBODY)
    return PublicGroup(
        State(group.version, group.status),
        view.model_dump(mode="json", exclude=set(PRIVATE_FIELDS)),
    )


async def public_group(db: Database, group_id: uuid.UUID) -> PublicGroup | None:
    async with db.read() as session:
        group = await repository.get_group(session, group_id)
        if group is None:
            return None
        offers = await repository.active_offers(session, [group.id])
    return public(group, offers)


async def group_state(db: Database, group_id: uuid.UUID) -> State | None:
    """The cheap check a stream repeats: one indexed row, two columns."""
    async with db.lookup() as connection:
        row = (
            await connection.execute(
                select(Group.version, Group.status).where(Group.id == group_id)
            )
        ).one_or_none()
    return None if row is None else State(int(row[0]), GroupStatus(row[1]))


async def open_groups(
    db: Database, before: uuid.UUID | None, limit: int
) -> tuple[list[PublicGroup], bool]:
    """A page of open groups, newest first, and whether more follow."""
    async with db.read() as session:
        groups = await repository.list_groups(
            session,
            status=GroupStatus.open,
            kind=None,
            category=None,
            before=before,
            limit=limit + 1,
        )
        page = list(groups[:limit])
        offers = await repository.active_offers(session, [g.id for g in page])
    by_group: dict[uuid.UUID, list[Offer]] = defaultdict(list)
    for offer in offers:
        by_group[offer.group_id].append(offer)
    return [public(g, by_group[g.id]) for g in page], len(groups) > limit
