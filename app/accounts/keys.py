"""API keys: random, shown once, stored as a SHA-256 digest, recognisable by a per-role prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from app.db.models import Role

PREFIXES = {Role.admin: "pool_adm_", Role.consumer: "pool_con_", Role.manufacturer: "pool_mfr_"}


def generate_key(role: Role) -> str:
    """A new raw key, e.g. ``pool_con_`` + 43 url-safe characters (256 random bits)."""
    return PREFIXES[role] + secrets.token_urlsafe(32)


def hash_key(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


def same_hash(stored: bytes, raw: str) -> bool:
    """Constant-time comparison of a stored digest with a presented key."""
    return hmac.compare_digest(stored, hash_key(raw))


def display_prefix(raw: str) -> str:
    """What may be shown of a key later: its role prefix and first four characters."""
    return raw[:13]
