"""What the public group page shows: money in major units, the countdown, the ladder's steps and
the sentence under the progress bar (``static/group.js`` mirrors these; the browser test reads
what it draws)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.web.display import display
from app.web.formatting import money, time_left

LADDER = [
    {"min_quantity": 10, "unit_price": 1000},
    {"min_quantity": 50, "unit_price": 800},
    {"min_quantity": 100, "unit_price": 600},
]


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (800, "EUR", "8.00 EUR"),
        (5, "EUR", "0.05 EUR"),
        (123456789, "USD", "1,234,567.89 USD"),
        (1500, "JPY", "1,500 JPY"),
        (1234, "KWD", "1.234 KWD"),
        (-250, "EUR", "-2.50 EUR"),
        (None, "EUR", "—"),
    ],
)
def test_money_is_major_units_and_the_code(minor: int | None, currency: str, shown: str) -> None:
    assert money(minor, currency) == shown


def test_time_left_counts_down_coarsely() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert time_left(now + timedelta(days=3, hours=4, minutes=5), now) == "3 d 4 h left"
    assert time_left(now + timedelta(hours=2, minutes=7), now) == "2 h 7 min left"
    assert time_left((now + timedelta(minutes=1, seconds=5)).isoformat(), now) == "1 min 5 s left"
    assert time_left(now - timedelta(seconds=1), now) == "closing now"


def group(
    total: int, price: int | None, following: dict[str, int] | None, **extra: Any
) -> dict[str, Any]:
    return {
        "status": "open",
        "currency": "EUR",
        "tiers": LADDER,
        "total_quantity": total,
        "current_unit_price": price,
        "next_break": following,
        **extra,
    }


def test_below_the_first_tier_there_is_no_price_yet() -> None:
    shown = display(group(4, None, {"min_quantity": 10, "unit_price": 1000, "units_needed": 6}))
    assert shown.price == "No price yet"
    assert shown.progress == 40
    assert shown.sentence == "6 more units and everyone pays 10.00 EUR."
    assert [step.state for step in shown.steps] == ["ahead", "ahead", "ahead"]
    assert [step.height for step in shown.steps] == [100, 65, 30]


def test_the_progress_runs_from_the_tier_reached_to_the_next_break() -> None:
    shown = display(group(38, 1000, {"min_quantity": 50, "unit_price": 800, "units_needed": 12}))
    assert shown.price == "10.00 EUR"
    assert shown.progress == 70
    assert shown.sentence == "12 more units and everyone pays 8.00 EUR."
    assert [step.state for step in shown.steps] == ["current", "ahead", "ahead"]


def test_at_the_last_tier_the_bar_is_full() -> None:
    shown = display(group(140, 600, None))
    assert shown.progress == 100
    assert shown.sentence == "Best price reached: everyone pays 6.00 EUR."
    assert [step.state for step in shown.steps] == ["reached", "reached", "current"]


def test_one_unit_and_no_offer() -> None:
    one = display(group(49, 1000, {"min_quantity": 50, "unit_price": 800, "units_needed": 1}))
    assert one.sentence == "1 more unit and everyone pays 8.00 EUR."
    bare = display(group(0, None, None, tiers=[]))
    assert (bare.progress, bare.steps) == (0, [])
    assert bare.sentence == "No offer yet: manufacturers are invited to bid."
    assert bare.heading == "Price now"


def states(shown: Any) -> list[str]:
    return [step.state for step in shown.steps]


def test_a_confirmed_group_highlights_its_clearing_price_not_the_pledged_total() -> None:
    # 60 units pledged reach the 8.00 step, but limits left 40 accepted: it cleared at 10.00.
    shown = display(group(60, 1000, None, status="confirmed"))
    assert states(shown) == ["current", "ahead", "ahead"]
    assert shown.price == "10.00 EUR"
    assert shown.heading == "Final price"
    assert shown.sentence == "Closed: everyone pays 10.00 EUR."
    assert shown.progress is None, "no bar to a next break once closed"


def test_a_confirmed_group_is_drawn_on_the_winning_ladder() -> None:
    winner = [{"min_quantity": 20, "unit_price": 900}, {"min_quantity": 40, "unit_price": 700}]
    shown = display(group(45, 700, None, status="confirmed", tiers=winner))
    assert states(shown) == ["reached", "current"]
    assert shown.sentence == "Closed: everyone pays 7.00 EUR."


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (30, ["reached", "current", "ahead"]),  # the step of that price the pledges reached
        (50, ["reached", "reached", "current"]),
        (5, ["reached", "current", "ahead"]),  # none reached: the first step of that price
    ],
)
def test_steps_that_share_the_clearing_price(total: int, expected: list[str]) -> None:
    ladder = [
        {"min_quantity": 10, "unit_price": 1000},
        {"min_quantity": 20, "unit_price": 800},
        {"min_quantity": 40, "unit_price": 800},
    ]
    assert states(display(group(total, 800, None, status="confirmed", tiers=ladder))) == expected


def test_a_clearing_price_off_the_ladder_highlights_nothing() -> None:
    shown = display(group(60, 850, None, status="confirmed"))
    assert states(shown) == ["ahead", "ahead", "ahead"]
    assert shown.sentence == "Closed: everyone pays 8.50 EUR."


@pytest.mark.parametrize(
    ("status", "sentence"), [("failed", "This group failed."), ("cancelled", "Cancelled.")]
)
def test_a_failed_or_cancelled_group_highlights_no_step(status: str, sentence: str) -> None:
    shown = display(group(60, None, None, status=status))  # 60 units would reach the 8.00 step
    assert states(shown) == ["ahead", "ahead", "ahead"]
    assert shown.sentence == sentence
    assert shown.progress is None
    assert (shown.heading, shown.price) == ("Final price", "—")
