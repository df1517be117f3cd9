"""Per-API-key rate limits, with separate budgets for reads, writes and long polls, and a budget
of failed authentications per client address.

Built on the ``limits`` library (moving window). The default storage is this process's memory, so
with several API processes each enforces its own budget; point ``POOL_RATE_LIMIT_STORAGE`` at a
shared store (e.g. ``redis://host:6379``, which needs the ``coredis`` package) to share it. A
refused request is a 429 problem with ``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import math
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from app.errors import AppError
from app.settings import Settings


class RateLimited(AppError):
    status, code, title = 429, "rate_limited", "Too many requests for this API key"


class TooManyLongPolls(AppError):
    status, code, title = 429, "too_many_long_polls", "Too many long polls open for this API key"


class ServerBusy(AppError):
    status, code, title = 503, "server_busy", "Too many long polls open on this server"


FAILED_AUTH = "failed_auth"


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        uri = settings.rate_limit_storage
        self._limiter = MovingWindowRateLimiter(storage_from_string(f"async+{uri}"))
        self._budgets: dict[str, RateLimitItem] = {
            "read": parse(settings.rate_limit_reads),
            "write": parse(settings.rate_limit_writes),
            "long_poll": parse(settings.rate_limit_long_polls),
            FAILED_AUTH: parse(settings.rate_limit_failed_auth),
        }

    async def check(self, budget: str, key_id: uuid.UUID) -> None:
        """Count one request of ``key_id`` against ``budget``; raise RateLimited when spent."""
        if not self.enabled:
            return
        item = self._budgets[budget]
        if await self._limiter.hit(item, budget, str(key_id)):
            return
        wait = await self._wait(item, budget, str(key_id))
        raise RateLimited(
            f"The {budget.replace('_', ' ')} budget of this key is {item}; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )

    async def check_failures(self, address: str) -> None:
        """Raise RateLimited while ``address`` has spent its budget of failed authentications.
        Counts nothing: only ``count_failure`` does, so that a caller's good keys cost no budget."""
        if not self.enabled:
            return
        item = self._budgets[FAILED_AUTH]
        if await self._limiter.test(item, FAILED_AUTH, address):
            return
        wait = await self._wait(item, FAILED_AUTH, address)
        raise RateLimited(
            f"Too many failed authentications from your address ({item}); retry in {wait} s.",
            headers={"Retry-After": str(wait)},
        )

    async def count_failure(self, address: str) -> None:
        """One failed authentication from ``address`` (a missing, unknown or revoked key)."""
        if self.enabled:
            await self._limiter.hit(self._budgets[FAILED_AUTH], FAILED_AUTH, address)

    async def _wait(self, item: RateLimitItem, *identifiers: str) -> int:
        """Whole seconds until the oldest hit of a spent window leaves it."""
        stats = await self._limiter.get_window_stats(item, *identifiers)
        return max(1, math.ceil(stats.reset_time - await self._now(item)))

    async def _now(self, item: RateLimitItem) -> float:
        """Now on the clock the storage stamps hits with, which ``reset_time`` is on: the window
        of a key that is never hit starts now."""
        empty = await self._limiter.get_window_stats(item, "clock", "")
        return empty.reset_time - item.get_expiry()


def client_address(host: str | None) -> str:
    """Who a failed authentication is counted against: the client's IP address (the ASGI scope's
    client, which ``pool serve`` takes from ``X-Forwarded-For`` when a trusted proxy sends it).
    IPv6 counts by /64, the block one host usually holds, so that hopping addresses gains
    nothing."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an IP address (a test client, a unix socket): its name
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def budget_of(method: str) -> str:
    """Reads and writes; a long poll that has to wait also spends the long-poll budget, when it
    starts waiting (``app.events.router``)."""
    return "read" if method in ("GET", "HEAD") else "write"


class LongPollGate:
    """Caps the long polls held open: per API key and per process, so that waiting readers
    cannot use up the server's connections."""

    def __init__(self, per_key: int, total: int) -> None:
        self.per_key, self.total = per_key, total
        self._open: Counter[uuid.UUID] = Counter()

    @asynccontextmanager
    async def enter(self, key_id: uuid.UUID) -> AsyncIterator[None]:
        if self._open.total() >= self.total:
            raise ServerBusy("Retry in a moment.", headers={"Retry-After": "1"})
        if self._open[key_id] >= self.per_key:
            raise TooManyLongPolls(
                f"At most {self.per_key} long polls per key; close one first.",
                headers={"Retry-After": "1"},
            )
        self._open[key_id] += 1
        try:
            yield
        finally:
            self._open[key_id] -= 1
            if self._open[key_id] <= 0:
                del self._open[key_id]
