"""Wake long-polling feed readers as soon as this process commits an event.

``emit`` marks its session; after that session commits, every waiter wakes. Events committed by
other processes are noticed by the readers' short re-polls (see ``app.events.feed``).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

MARK = "pool_events_written"


class FeedNotifier:
    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait(self, seconds: float) -> None:
        """Return when something is committed here, or after ``seconds``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)


notifier = FeedNotifier()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session, *_: Any) -> None:
    if session.info.pop(MARK, False):
        notifier.notify()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session, *_: Any) -> None:
    session.info.pop(MARK, None)
