import pytest

from app.accounts.keys import PREFIXES, generate_key, hash_key, same_hash
from app.db.models import Role


@pytest.mark.parametrize("role", list(Role))
def test_keys_are_random_and_carry_their_role_prefix(role: Role) -> None:
    first, second = generate_key(role), generate_key(role)
    assert first != second
    assert first.startswith(PREFIXES[role])
    assert len(first) >= len(PREFIXES[role]) + 40


def test_hash_matches_only_its_own_key() -> None:
    key = generate_key(Role.consumer)
    stored = hash_key(key)
    assert key.encode() not in stored
    assert same_hash(stored, key)
    assert not same_hash(stored, key[:-1] + ("A" if key[-1] != "A" else "B"))
