"""Use cases on groups and offers: open a group, bid, read groups with their live price."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from app.accounts.service import Principal
from app.db.engine import Database
from app.db.models import Group, GroupKind, GroupStatus, Offer, Role
from app.events.outbox import NewEvent, emit
from app.groups import intents, repository
from app.groups.errors import (
    CampaignTakesNoBids,
    CurrencyMismatch,
    GroupNotFound,
    GroupNotOpen,
    InvalidDeadline,
    InvalidTiers,
    OfferNotAllowed,
    OfferRequired,
)
from app.groups.schemas import GroupCreate, GroupOut, OfferIn, OfferOut
from app.groups.views import group_view, offer_view, priced, tiers_json
from app.idempotency import Idempotency, remember, replay
from app.pricing import InvalidSchedule, TierSchedule


def check_schedule(offer: OfferIn) -> None:
    try:
        TierSchedule.from_tiers([(t.min_quantity, t.unit_price) for t in offer.tiers])
    except InvalidSchedule as exc:
        raise InvalidTiers(exc.message) from None


def check_deadline(deadline: datetime, max_days: int, now: datetime) -> datetime:
    if deadline.tzinfo is None:
        raise InvalidDeadline("The deadline needs a UTC offset, e.g. 2027-01-31T18:00:00Z.")
    if deadline <= now + timedelta(seconds=1):
        raise InvalidDeadline("The deadline has passed.")
    if deadline > now + timedelta(days=max_days):
        raise InvalidDeadline(f"The deadline is more than {max_days} days ahead.")
    return deadline.astimezone(UTC)


async def create_group(
    db: Database,
    caller: Principal,
    body: GroupCreate,
    idem: Idempotency | None,
    max_deadline_days: int,
) -> GroupOut:
    """A manufacturer opens a campaign with its offer; a consumer opens a request."""
    now = datetime.now(UTC)
    kind = GroupKind.campaign if caller.role == Role.manufacturer else GroupKind.request
    if kind == GroupKind.campaign:
        if body.offer is None:
            raise OfferRequired
        check_schedule(body.offer)
        if body.offer.currency != body.currency:
            raise CurrencyMismatch(
                f"The group is in {body.currency}, the offer in {body.offer.currency}."
            )
    elif body.offer is not None:
        raise OfferNotAllowed
    async with db.write() as session:
        if (stored := await replay(session, caller.account_id, idem)) is not None:
            return GroupOut.model_validate_json(stored)
        deadline = check_deadline(body.deadline, max_deadline_days, now)
        group = Group(
            kind=kind,
            status=GroupStatus.open,
            owner_id=caller.account_id,
            title=body.title,
            description=body.description,
            category=body.category,
            currency=body.currency,
            deadline=deadline,
            max_quantity=body.max_quantity,
            max_per_intent=body.max_per_intent,
            total_quantity=0,
            intent_count=0,
            participant_count=0,
            created_at=now,
        )
        await repository.add_group(session, group)
        offers: list[Offer] = []
        events = [
            NewEvent(
                "group.created",
                {
                    "group_id": str(group.id),
                    "kind": kind.value,
                    "title": group.title,
                    "currency": group.currency,
                    "deadline": deadline.isoformat(),
                    "category": group.category,
                },
                group_id=group.id,
            )
        ]
        if body.offer is not None:
            offer = Offer(
                group_id=group.id,
                manufacturer_id=caller.account_id,
                currency=body.offer.currency,
                tiers=tiers_json(body.offer.tiers),
                created_at=now,
            )
            await repository.replace_offer(session, offer)
            offers.append(offer)
            events.extend(_offer_events(offer, group.owner_id))
        await emit(session, *events)
        view = group_view(group, offers, caller.account_id)
        remember(session, caller.account_id, idem, view.model_dump_json())
        await session.commit()
    return view


def _offer_events(offer: Offer, owner_id: uuid.UUID) -> list[NewEvent]:
    """``offer.created`` is private (a bid's tiers are not for its rivals): one copy for the
    bidder and, when another account owns the group (a request's consumer), one for the owner."""
    data = {
        "group_id": str(offer.group_id),
        "offer_id": str(offer.id),
        "currency": offer.currency,
        "tiers": offer.tiers,
    }
    readers = dict.fromkeys((offer.manufacturer_id, owner_id))  # one copy each, bidder first
    return [
        NewEvent("offer.created", dict(data), group_id=offer.group_id, account_id=reader)
        for reader in readers
    ]


async def add_offer(
    db: Database, caller: Principal, group_id: uuid.UUID, body: OfferIn, idem: Idempotency | None
) -> OfferOut:
    """A manufacturer bids on an open request; its new bid replaces its earlier one."""
    check_schedule(body)
    now = datetime.now(UTC)
    async with db.write() as session:
        if (stored := await replay(session, caller.account_id, idem)) is not None:
            return OfferOut.model_validate_json(stored)
        group = await repository.lock_open_group(session, group_id, now)
        if group is None:
            existing = await repository.get_group(session, group_id)
            if existing is None:
                raise GroupNotFound
            state = "past its deadline" if existing.status == GroupStatus.open else existing.status
            raise GroupNotOpen(f"The group is {state}; offers are frozen.")
        if group.kind != GroupKind.request:
            raise CampaignTakesNoBids("A campaign carries only its manufacturer's own offer.")
        if body.currency != group.currency:
            raise CurrencyMismatch(
                f"The group is in {group.currency}, the offer in {body.currency}."
            )
        offer = Offer(
            group_id=group.id,
            manufacturer_id=caller.account_id,
            currency=body.currency,
            tiers=tiers_json(body.tiers),
            created_at=now,
        )
        await repository.replace_offer(session, offer)
        await emit(session, *_offer_events(offer, group.owner_id))
        # A bid can price the volume already pledged: that, too, is a tier reached.
        await intents.announce_tiers(
            session,
            group.id,
            priced(await repository.active_offers(session, [group.id])),
            repository.Totals(group.total_quantity, group.best_price_reached),
        )
        view = offer_view(offer)
        remember(session, caller.account_id, idem, view.model_dump_json())
        await session.commit()
    return view


async def get_group(db: Database, caller: Principal, group_id: uuid.UUID) -> GroupOut:
    async with db.read() as session:
        group = await repository.get_group(session, group_id)
        if group is None:
            raise GroupNotFound
        offers = await repository.active_offers(session, [group.id])
    return group_view(group, offers, caller.account_id)


async def list_groups(
    db: Database,
    caller: Principal,
    *,
    status: GroupStatus | None,
    kind: GroupKind | None,
    category: str | None,
    before: uuid.UUID | None,
    limit: int,
) -> tuple[list[GroupOut], bool]:
    """A page of groups, newest first, and whether there are more."""
    async with db.read() as session:
        groups = await repository.list_groups(
            session, status=status, kind=kind, category=category, before=before, limit=limit + 1
        )
        offers = await repository.active_offers(session, [g.id for g in groups[:limit]])
    by_group: dict[uuid.UUID, list[Offer]] = defaultdict(list)
    for offer in offers:
        by_group[offer.group_id].append(offer)
    views = [group_view(g, by_group[g.id], caller.account_id) for g in groups[:limit]]
    return views, len(groups) > limit


async def list_offers(
    db: Database, caller: Principal, group_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
) -> tuple[list[OfferOut], bool]:
    """A page of the group's live offers, oldest first (by id, so a cursor stays valid when its
    offer is replaced), and whether more follow. Consumers, admins and the group's owner see
    every live offer; another manufacturer sees only its own."""
    async with db.read() as session:
        group = await repository.get_group(session, group_id)
        if group is None:
            raise GroupNotFound
        only = (
            caller.account_id
            if caller.role == Role.manufacturer and group.owner_id != caller.account_id
            else None
        )
        offers = await repository.list_offers(session, group_id, only)
    # A group has at most one live offer per manufacturer, and reading a group loads them all
    # anyway: the page is cut here.
    rest = sorted((o for o in offers if after is None or o.id > after), key=lambda o: o.id)
    return [offer_view(offer) for offer in rest[:limit]], len(rest) > limit
