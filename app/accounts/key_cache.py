"""Principals by API-key digest, kept in the process so that a request need not look its key up.

Every authenticated request used to spend a pooled connection and a database round trip on its
key (bench/README.md, "join"). A revoked key must still fail at once, so:

- the process that revokes a key evicts it here after its commit;
- on PostgreSQL the revoking transaction also sends ``NOTIFY pool_key_revoked`` and every
  process listens (``listen_for_revocations``); until its LISTEN is up, and whenever its
  connection drops, a process caches nothing and clears what it had;
- an entry lives ``ttl`` seconds at most, a bound for anything missed;
- a lookup that raced a revocation is not cached (``revision``).

Unknown keys are never cached: a key created a moment ago must work at once, and guessed keys
must not fill the memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.accounts.service import Principal
    from app.db.engine import Database

log = logging.getLogger("pool.keys")
CHANNEL = "pool_key_revoked"


@dataclass(slots=True)
class Entry:
    principal: Principal
    last_used_at: datetime | None
    expires: float


class KeyCache:
    def __init__(
        self,
        *,
        enabled: bool = True,
        ttl: float = 60.0,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.ttl, self.size, self.clock = ttl, size, clock
        self.revision = 0  # moves on every eviction: a lookup begun before it is not cached
        self._entries: dict[bytes, Entry] = {}

    def get(self, digest: bytes) -> Entry | None:
        entry = self._entries.get(digest)
        if entry is not None and entry.expires <= self.clock():
            del self._entries[digest]
            return None
        return entry

    def put(
        self, digest: bytes, principal: Principal, last_used_at: datetime | None, revision: int
    ) -> Entry | None:
        """Cache a key looked up while ``self.revision`` was ``revision``; None: not cached."""
        if not self.enabled or revision != self.revision:
            return None
        if len(self._entries) >= self.size:
            del self._entries[next(iter(self._entries))]  # the oldest
        entry = self._entries[digest] = Entry(principal, last_used_at, self.clock() + self.ttl)
        return entry

    def revoke(self, key_id: uuid.UUID) -> None:
        self.revision += 1
        for digest, entry in list(self._entries.items()):
            if entry.principal.key_id == key_id:
                del self._entries[digest]

    def clear(self) -> None:
        self.revision += 1
        self._entries.clear()


async def listen_for_revocations(db: Database, cache: KeyCache, stop: asyncio.Event) -> None:
    """PostgreSQL: keep a LISTEN on ``CHANNEL`` and evict what other processes revoke. The cache
    is on only while the LISTEN is; a lost connection clears it and is retried every second."""
    while not stop.is_set():
        try:
            await _listen(db, cache, stop)
        except Exception as exc:  # the service goes on, without the cache
            log.warning("listening for key revocations failed (%s); retrying", exc)
        finally:
            cache.enabled = False
            cache.clear()
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


async def _listen(db: Database, cache: KeyCache, stop: asyncio.Event) -> None:
    """One LISTEN connection, until ``stop`` or until the connection is lost."""
    lost = asyncio.Event()
    connection = await db.listener()
    try:
        connection.add_termination_listener(lambda _c: lost.set())
        await connection.add_listener(CHANNEL, lambda *a: _evict(cache, a[3]))
        cache.clear()
        cache.enabled = True
        await _first(stop.wait(), lost.wait())
    finally:
        if not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)


def _evict(cache: KeyCache, payload: str) -> None:
    try:
        cache.revoke(uuid.UUID(payload))
    except ValueError:
        cache.clear()


async def _first(*waits: Any) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
