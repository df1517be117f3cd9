"""What the contract tests do to a generated case before sending it, so that it gets somewhere.

Invalid parts are never touched: they must be refused as they are. Valid bodies of the creates
are mostly made to pass the business rules, and valid path parameters of the examples and
coverage phases name real objects. Every choice depends only on what schemathesis generated,
never on ids from the database (they differ from run to run), so every run is the same.
"""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase

from tests.contract.world import CURRENCY, HOOK_HOST, World, in_days


def operation_id(case: schemathesis.Case) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def fingerprint(case: schemathesis.Case) -> int:
    """A number that depends only on what schemathesis generated for this case."""
    return zlib.crc32(repr((case.query, case.headers, case.body)).encode())


def _is_invalid(case: schemathesis.Case, location: ParameterLocation) -> bool:
    component = case.meta.components.get(location) if case.meta else None
    return component is not None and component.mode.is_negative


def ordered_tiers(given: Any) -> list[dict[str, Any]]:
    """The generated tiers as a valid ladder (increasing quantities, non-increasing prices)."""
    if isinstance(given, list) and given and all(_is_tier(tier) for tier in given):
        quantities = sorted({tier["min_quantity"] for tier in given})
        prices = sorted((tier["unit_price"] for tier in given), reverse=True)
        return [
            {"min_quantity": quantity, "unit_price": price}
            for quantity, price in zip(quantities, prices, strict=False)
        ]
    return [{"min_quantity": 1, "unit_price": 100}]


def _is_tier(tier: Any) -> bool:
    return (
        isinstance(tier, dict)
        and type(tier.get("min_quantity")) is int
        and type(tier.get("unit_price")) is int
    )


def plausible_body(operation: str, role: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body with what the business rules check made right; the rest as generated."""
    if operation == "create_group":  # one currency, so that bids match; no caps, so joins fit
        body = {**body, "deadline": in_days(7), "currency": CURRENCY}
        body.pop("max_quantity", None)
        body.pop("max_per_intent", None)
        if role == "consumer":  # a request
            body.pop("offer", None)
        else:  # a campaign
            given = body.get("offer")
            tiers = ordered_tiers(given.get("tiers") if isinstance(given, dict) else None)
            body["offer"] = {"currency": CURRENCY, "tiers": tiers}
    elif operation == "create_offer":
        body = {**body, "currency": CURRENCY, "tiers": ordered_tiers(body.get("tiers"))}
    elif operation == "create_webhook_endpoint":  # the one host the tests' resolver knows
        body = {**body, "url": f"https://{HOOK_HOST}/{zlib.crc32(repr(body).encode())}"}
    return body


def make_plausible(case: schemathesis.Case, role: str) -> None:
    """Two valid bodies in three are made plausible (see ``plausible_body``), so that the values
    schemathesis chose get past the business rules into the database; the third is sent as
    generated, to meet the rules' refusals."""
    if not isinstance(case.body, dict) or _is_invalid(case, ParameterLocation.BODY):
        return
    if fingerprint(case) % 3:
        case.body = plausible_body(operation_id(case), role, case.body)


def with_real_ids(case: schemathesis.Case, world: World) -> None:
    """The examples and coverage phases name no real object (their ids are like "0") and take no
    generation hooks: their valid path parameters are made to name real objects, so that their
    boundary values and missing fields get past the 404 into validation and the use case."""
    early = (TestPhase.EXAMPLES, TestPhase.COVERAGE)
    if case.meta is None or case.meta.phase.name not in early or not case.path_parameters:
        return
    if _is_invalid(case, ParameterLocation.PATH):
        return
    known = world.ids_for(operation_id(case))
    pick = fingerprint(case)
    case.path_parameters = {
        name: known[name][pick % len(known[name])] if known.get(name) else value
        for name, value in case.path_parameters.items()
    }
