"""Scale benchmark of the clearing step: `clear` over N intents against `sorted` of N limits.

    python -m bench.pricing --intents 1000000 --offers 3 --tiers 20 [--seed 1] [--repeat 3]

Builds random schedules and intents (quantities 1..20, limits spread around the tier prices; not
timed), then times, in the same process and with `time.perf_counter`, the median of `--repeat`
runs of: `clear(offers, intents)` on ClearingIntent objects, `clear_limits` on parallel columns,
and `sorted(limits)`, the floor any sort-based clearing would pay. Prints human-readable lines,
then as its last line one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from app.pricing import ClearingIntent, PricedOffer, TierSchedule, clear, clear_limits

TOP_PRICE = 10_000  # minor units of the dearest first tier
MEAN_QUANTITY = 10.5  # quantities are uniform in 1..20


def make_offers(rnd: random.Random, count: int, tiers: int, units: int) -> list[PricedOffer[int]]:
    """`count` schedules of `tiers` tiers: MOQ around 2% of the expected units, the last break
    around 90%, prices falling from about TOP_PRICE to about half of it."""
    offers = []
    for k in range(count):
        quantities: list[int] = []
        prices: list[int] = []
        for i in range(tiers):
            share = 0.02 + 0.88 * i / max(1, tiers - 1)
            quantity = max(1, round(units * share * rnd.uniform(0.9, 1.1)))
            if quantities and quantity <= quantities[-1]:
                quantity = quantities[-1] + 1
            price = round(TOP_PRICE * (1 - 0.5 * i / max(1, tiers - 1)) * rnd.uniform(0.97, 1.0))
            if prices and price > prices[-1]:
                price = prices[-1]
            quantities.append(quantity)
            prices.append(price)
        schedule = TierSchedule.from_tiers(list(zip(quantities, prices, strict=True)))
        offers.append(PricedOffer(k, schedule, k))
    return offers


def make_columns(rnd: random.Random, count: int) -> tuple[list[int], list[int]]:
    """Quantities 1..20 and limits uniform from 40% to 110% of TOP_PRICE."""
    quantities = [rnd.randint(1, 20) for _ in range(count)]
    low, high = TOP_PRICE * 4 // 10, TOP_PRICE * 11 // 10
    limits = [rnd.randint(low, high) for _ in range(count)]
    return quantities, limits


def median_seconds(repeat: int, run: Callable[[], object]) -> float:
    """Median wall time of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intents", type=int, default=1_000_000)
    parser.add_argument("--offers", type=int, default=3)
    parser.add_argument("--tiers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    rnd = random.Random(args.seed)
    offers = make_offers(rnd, args.offers, args.tiers, round(args.intents * MEAN_QUANTITY))
    quantities, limits = make_columns(rnd, args.intents)
    intents = [
        ClearingIntent(n, q, limit, n)
        for n, (q, limit) in enumerate(zip(quantities, limits, strict=True))
    ]
    print(
        f"pricing bench: {args.intents} intents, {args.offers} offers x {args.tiers} tiers, "
        f"seed {args.seed}, median of {args.repeat}, Python {platform.python_version()}"
    )

    result = clear(offers, intents)
    clear_seconds = median_seconds(args.repeat, lambda: clear(offers, intents))
    columns_seconds = median_seconds(args.repeat, lambda: clear_limits(offers, quantities, limits))
    sort_seconds = median_seconds(args.repeat, lambda: sorted(limits))
    ids_seconds = median_seconds(1, result.accepted_ids)

    tracemalloc.start()
    clear(offers, intents)
    _, clear_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_mb = rss / (1024 * 1024 if sys.platform == "darwin" else 1024)

    print(
        f"cleared={result.cleared} offer={result.winning_offer_id} unit_price={result.unit_price} "
        f"accepted {result.accepted_count} intents / {result.accepted_quantity} units"
    )
    print(
        f"clear(intents)       {clear_seconds:8.3f} s  ({clear_seconds / sort_seconds:.2f}x sort)"
    )
    print(f"clear_limits(cols)   {columns_seconds:8.3f} s  ({columns_seconds / sort_seconds:.2f}x)")
    print(f"sorted(limits)       {sort_seconds:8.3f} s  (floor)")
    print(f"accepted_ids()       {ids_seconds:8.3f} s  (lazy, only when asked)")
    print(f"peak RSS {peak_mb:.0f} MB (process), clear() allocates {clear_peak / 2**20:.2f} MB")
    figures: dict[str, Any] = {
        "intents": args.intents,
        "offers": args.offers,
        "tiers": args.tiers,
        "seed": args.seed,
        "repeat": args.repeat,
        "clear_seconds": round(clear_seconds, 4),
        "clear_limits_seconds": round(columns_seconds, 4),
        "sort_seconds": round(sort_seconds, 4),
        "ratio": round(clear_seconds / sort_seconds, 3),
        "ratio_clear_limits": round(columns_seconds / sort_seconds, 3),
        "accepted_ids_seconds": round(ids_seconds, 4),
        "cleared": result.cleared,
        "unit_price": result.unit_price,
        "accepted_count": result.accepted_count,
        "accepted_quantity": result.accepted_quantity,
        "peak_memory_mb": round(peak_mb, 1),
        "clear_peak_alloc_mb": round(clear_peak / 2**20, 3),
        "python": platform.python_version(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
