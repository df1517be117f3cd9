"""What the pages show: money as major units with its currency code, and the time left.

Money is an integer count of minor units. Most currencies have two decimals; ISO 4217 gives a few
none or three. The page's script gets the same exponent with the group, so both format alike.
"""

from __future__ import annotations

from datetime import datetime

# fmt: off
ZERO_DECIMALS = frozenset({
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
    "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
})
# fmt: on
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def exponent(currency: str) -> int:
    """Digits after the decimal point of ``currency``'s major unit."""
    if currency in ZERO_DECIMALS:
        return 0
    return 3 if currency in THREE_DECIMALS else 2


def money(minor: int | None, currency: str) -> str:
    """``80000, "EUR"`` → ``"800.00 EUR"`` (thousands grouped with commas)."""
    if minor is None:
        return "—"
    digits = exponent(currency)
    whole, fraction = divmod(abs(minor), 10**digits)
    sign = "-" if minor < 0 else ""
    text = f"{sign}{whole:,}" + (f".{fraction:0{digits}d}" if digits else "")
    return f"{text} {currency}"


def time_left(deadline: datetime | str, now: datetime) -> str:
    """A rough countdown, as the page's script renders it: ``"3 d 4 h left"``."""
    if isinstance(deadline, str):
        deadline = datetime.fromisoformat(deadline)
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return "closing now"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h left"
    if hours:
        return f"{hours} h {minutes} min left"
    return f"{minutes} min {seconds} s left"
