"""The key cache's own rules: what it keeps, for how long, and what a revocation takes out."""

import uuid

from app.accounts.key_cache import KeyCache
from app.accounts.service import Principal
from app.db.models import Role


def principal(key_id: uuid.UUID | None = None) -> Principal:
    return Principal(uuid.uuid4(), Role.consumer, "Ada", key_id or uuid.uuid4())


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_its_ttl_and_no_longer() -> None:
    clock = Clock()
    cache = KeyCache(ttl=60, clock=clock)
    cache.put(b"ada", principal(), None, cache.revision)
    clock.now += 59.9
    assert cache.get(b"ada") is not None
    clock.now += 0.1
    assert cache.get(b"ada") is None


def test_a_revocation_takes_out_every_entry_of_that_key_only() -> None:
    cache = KeyCache()
    ada, bob = principal(), principal()
    cache.put(b"ada", ada, None, cache.revision)
    cache.put(b"bob", bob, None, cache.revision)
    cache.revoke(ada.key_id)
    assert cache.get(b"ada") is None
    found = cache.get(b"bob")
    assert found is not None
    assert found.principal == bob


def test_a_lookup_that_raced_a_revocation_is_not_cached() -> None:
    """A request read the key before the revocation committed, and answers after it: what it
    read must not outlive the revocation in the cache."""
    cache = KeyCache()
    ada = principal()
    seen = cache.revision  # the request starts its lookup
    cache.revoke(ada.key_id)  # meanwhile: revoked here, or by another process's NOTIFY
    assert cache.put(b"ada", ada, None, seen) is None
    assert cache.get(b"ada") is None


def test_a_disabled_cache_keeps_nothing() -> None:
    cache = KeyCache(enabled=False)
    assert cache.put(b"ada", principal(), None, cache.revision) is None
    assert cache.get(b"ada") is None


def test_a_full_cache_drops_its_oldest_entry() -> None:
    cache = KeyCache(size=2)
    for name in (b"a", b"b", b"c"):
        cache.put(name, principal(), None, cache.revision)
    assert cache.get(b"a") is None
    assert cache.get(b"b") is not None
    assert cache.get(b"c") is not None
