"""Contract fuzzing: schemathesis over the committed OpenAPI document, against the in-process app.

Every operation of ``openapi/openapi.json`` is fuzzed with the key of each role (admin, consumer,
manufacturer) and without a key, with valid and invalid inputs (the examples, coverage and
fuzzing phases). Path parameters often name real objects (``world.py``) and valid bodies are
mostly made plausible (``inputs.py``), so that the fuzzer gets past the 404s and the business
rules into the use cases and the database. A stateful run follows the document's own OpenAPI
links (create → get/join/bid/close/…, close → order, …), each step with the key of a role that
may take it. Every answer must be: no 5xx; a documented status and media type; a body and
headers that match the document (problem+json included); invalid input refused with a 4xx; a
405 for an undocumented method, with an ``Allow`` that lists the documented ones. In the stateful
run also: no 404 for what was just created, no 2xx for what was just deleted.

Seeded and deterministic, so every run sends the same requests; bounded so that CI stays within
its budget (about a minute per engine). For a deeper run raise the numbers (defaults in brackets):

    POOL_FUZZ_EXAMPLES      fuzzed examples per operation and role with a key       [25]
    POOL_FUZZ_ANONYMOUS     fuzzed examples per operation without a key             [5]
    POOL_FUZZ_SCENARIOS     stateful scenarios                                      [150]
    POOL_FUZZ_STEPS         most steps per scenario                                 [10]
    POOL_FUZZ_SEED          the seed                                                [20240617]

e.g. ``POOL_FUZZ_EXAMPLES=500 POOL_FUZZ_SCENARIOS=2000 make test ARGS="tests/contract -s"``
(``-s`` prints what was covered). Found problems are pinned by regular tests in ``tests/api``.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput

from app.main import LINKS
from app.web import stream
from app.webhooks import urls
from tests.conftest import empty_tables
from tests.contract.bridge import BASE_URL, loop_session
from tests.contract.inputs import make_plausible, operation_id, with_real_ids
from tests.contract.world import HOOK_HOST, KEYED_ROLES, World, build_world
from tests.helpers import collect_secrets

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
DOCUMENT: dict[str, Any] = json.loads(COMMITTED.read_text())
SEED = int(os.environ.get("POOL_FUZZ_SEED", "20240617"))
EXAMPLES = int(os.environ.get("POOL_FUZZ_EXAMPLES", "25"))
ANONYMOUS_EXAMPLES = int(os.environ.get("POOL_FUZZ_ANONYMOUS", "5"))
SCENARIOS = int(os.environ.get("POOL_FUZZ_SCENARIOS", "150"))
STEPS = int(os.environ.get("POOL_FUZZ_STEPS", "10"))
ANONYMOUS = "anonymous"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": {
            "mode": "all",  # valid and invalid inputs
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
            "with-security-parameters": False,  # the key is the role's, never a fuzzed one
        },
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},  # boundary values, missing parts, unexpected methods
            "fuzzing": {"enabled": True},
            # The links the document declares, none that schemathesis would infer.
            "stateful": {"inference": {"algorithms": []}},
        },
    }
)
SCHEMA = schemathesis.openapi.from_path(str(COMMITTED), config=CONFIG)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.missing_required_header,
    schemathesis.checks.unsupported_method,
    schemathesis.checks.allow_header_conformance,
]
STATEFUL_CHECKS = [
    *CHECKS,
    schemathesis.checks.use_after_free,
    schemathesis.checks.ensure_resource_availability,
]
# "POST /v1/groups JoinGroup": each link of the document, by its source operation.
DECLARED_LINKS = {
    f"{method.upper()} {path} {name}"
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    for response in operation["responses"].values()
    for name in response.get("links", {})
}
CREATE, CLOSE = "POST /v1/groups", "POST /v1/groups/{group_id}/close"
REQUIRED_LINKS = {f"{CREATE} GetGroup", f"{CREATE} JoinGroup", f"{CREATE} CloseGroup"}
ORDER_LINKS = {f"{CLOSE} GetOrder", f"{CLOSE} ListOrderLines", f"{CLOSE} AcknowledgeOrder"}
# (operation label, role) → how often each status was answered.
ANSWERS: dict[tuple[str, str], collections.Counter[int]] = collections.defaultdict(
    collections.Counter
)


class Current:
    """What the module-level generation hooks need from the running tests."""

    world: World | None = None


@SCHEMA.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[Any]:
    """Half the time, name real objects instead of random strings (the fuzzing phase and the
    stateful run's first steps; schemathesis leaves the ids a link supplies out of this)."""
    world = Current.world
    if world is None or not path_parameters or context.operation is None:
        return st.just(path_parameters)
    known = world.ids_for(str(context.operation.definition.raw.get("operationId", "")))
    real = {name: st.sampled_from(known[name]) for name in path_parameters if known.get(name)}
    if not real:
        return st.just(path_parameters)
    return st.one_of(
        st.just(path_parameters),
        st.fixed_dictionaries(real).map(lambda ids: {**path_parameters, **ids}),
    )


@SCHEMA.hook
def map_query(context: schemathesis.HookContext, query: Any) -> Any:
    """The feed's long poll would hold a request up to 30 s (its waiting is tested in tests/api)."""
    on_feed = context.operation is not None and context.operation.path == "/v1/events"
    if on_feed and isinstance(query, dict) and "wait" in query:
        query = {**query, "wait": 0}
    return query


def _note(case: schemathesis.Case, role: str, response: schemathesis.Response) -> None:
    """Count the answer; hand any key or secret in it to the suite's secrets-in-logs check."""
    ANSWERS[(case.operation.label, role)][response.status_code] += 1
    if response.headers.get("content-type", [""])[0].startswith("application/json"):
        collect_secrets(response.json())


def _call(http: requests.Session, world: World, case: schemathesis.Case, role: str) -> None:
    with_real_ids(case, world)
    make_plausible(case, role)
    transport: dict[str, Any] = {
        "session": http,
        "base_url": BASE_URL,
        "headers": world.headers(role),
    }
    response = case.call(**transport)
    _note(case, role, response)
    case.validate_response(response, checks=CHECKS, transport_kwargs=transport)


async def _resolve(host: str, port: int) -> list[urls.IPAddress]:
    """No DNS in tests: one public name; nothing else resolves."""
    if host == HOOK_HOST:
        return [ipaddress.ip_address("93.184.215.14")]
    raise OSError(f"{host} does not resolve (contract tests)")


@pytest.fixture(scope="module")
def _patched() -> Iterator[None]:
    """No DNS; and an event stream ends within half a second even if the bridge did not cut it
    after its first event (see ``bridge.py``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(urls, "resolve", _resolve)
        patch.setattr(stream, "MAX_STREAM_SECONDS", 0.5)
        yield


@pytest.fixture(scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


async def _collect(response: httpx.Response) -> None:
    if response.headers.get("content-type", "").startswith("application/json"):
        collect_secrets(json.loads(await response.aread()))


@pytest.fixture(scope="module")
async def world(app: Any, _patched: None) -> AsyncIterator[World]:
    """Built once for the module, deliberately not through the ``db`` fixture (which empties the
    tables after every test); emptied at the end."""
    transport = httpx.ASGITransport(app=app)
    hooks = {"response": [_collect]}
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, event_hooks=hooks
    ) as client:
        built = await build_world(client, app.state.db)
    Current.world = built
    yield built
    Current.world = None
    await empty_tables(app)


@pytest.fixture(scope="module")
def http(app: Any, session_loop: asyncio.AbstractEventLoop) -> Iterator[requests.Session]:
    with loop_session(session_loop, app) as session:
        yield session


def test_the_fuzzed_document_is_the_apps(app: Any) -> None:
    assert app.openapi() == DOCUMENT, "run `make openapi` and commit"


def test_the_document_declares_the_links() -> None:
    """Every link of ``app.main.LINKS`` is in the committed document, for the stateful run."""
    labels = {
        operation["operationId"]: f"{method.upper()} {path}"
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
    }
    assert {f"{labels[source]} {name}" for source, _, name, _, _ in LINKS} == DECLARED_LINKS
    assert len(DECLARED_LINKS) == len(LINKS)


@pytest.mark.parametrize("role", KEYED_ROLES)
@SCHEMA.parametrize()
def test_operation(
    case: schemathesis.Case, role: str, world: World, http: requests.Session
) -> None:
    _call(http, world, case, role)


@pytest.mark.parametrize("role", [ANONYMOUS])
@hypothesis.settings(max_examples=ANONYMOUS_EXAMPLES)
@SCHEMA.parametrize()
def test_operation_without_key(
    case: schemathesis.Case, role: str, world: World, http: requests.Session
) -> None:
    _call(http, world, case, role)


def test_the_fuzzing_got_past_the_front_door() -> None:
    """The runs above were not all 401s and 404s: every operation answered a success to some
    role, and every role got past authentication on every operation with its key."""
    operations = {
        result.ok().label for result in SCHEMA.get_all_operations() if isinstance(result, Ok)
    }
    expected = {(label, role) for label in operations for role in (*KEYED_ROLES, ANONYMOUS)}
    if not expected <= ANSWERS.keys():
        pytest.skip("needs the whole module's run")
    unsuccessful = sorted(
        label
        for label in operations
        if not any(200 <= status < 400 for role in KEYED_ROLES for status in ANSWERS[(label, role)])
    )
    assert not unsuccessful, f"never a success: {unsuccessful}"
    only_401 = sorted(key for key in expected if key[1] != ANONYMOUS and set(ANSWERS[key]) == {401})
    assert not only_401, only_401
    sent = {
        role: sum(sum(ANSWERS[label, role].values()) for label in operations)
        for role in (*KEYED_ROLES, ANONYMOUS)
    }
    print(f"\ncontract: {len(operations)} operations; requests per role: {sent}")


STEP_ROLES = {
    "create_intent": "consumer",
    "withdraw_intent": "consumer",
    "list_intents": "consumer",
    "create_offer": "manufacturer",
    "acknowledge_order": "manufacturer",
    "get_demand": "manufacturer",
}


def step_role(case: schemathesis.Case) -> str:
    """The role that may take this step, so that a scenario can get somewhere; admin (who may
    close, cancel and read anything) by default."""
    operation = operation_id(case)
    if operation == "create_group":
        offers = isinstance(case.body, dict) and case.body.get("offer") is not None
        return "manufacturer" if offers else "consumer"
    if "webhook" in operation:
        return "manufacturer"
    return STEP_ROLES.get(operation, "admin")


class Journey:
    """What the stateful run did: scenarios, steps, and the links it followed to a success."""

    def __init__(self) -> None:
        self.scenarios = 0
        self.steps = 0
        self.longest = 0
        self.restarts = 0
        self.followed: collections.Counter[str] = collections.Counter()
        self.failures: dict[str, str] = {}


def test_stateful_links(world: World, http: requests.Session) -> None:
    """Scenarios along the links. A failed check is collected, not raised, so that Hypothesis
    never replays a scenario: the database has moved on, a replay could not be the same. For the
    same reason Hypothesis may find its own choices inconsistent (``Flaky``) and stop early; the
    run then goes on with the next seed until the scenarios are done."""
    journey = Journey()

    class Links(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.length = 0

        def step(self, input: StepInput) -> StepOutput:
            make_plausible(input.case, step_role(input.case))
            if (input.case.headers or {}).get("Idempotency-Key"):
                # A key seen in an earlier scenario would replay that scenario's create, whose
                # object may be gone by now: that is how replays work (tests/api covers them),
                # but the availability check would take it for a lost object.
                input.case.headers = {
                    **(input.case.headers or {}),
                    "Idempotency-Key": f"stateful-{journey.steps}",
                }
            output = super().step(input)
            self.length += 1
            journey.steps += 1
            success = 200 <= output.response.status_code < 300
            if input.transition is not None and input.is_applied and success:
                # "POST /v1/groups -> [201] JoinGroup -> POST /v1/groups/{group_id}/intents"
                source, link, _ = input.transition.id.split(" -> ")
                journey.followed[f"{source} {link.split()[-1]}"] += 1
            return output

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            role = step_role(case)
            return {"session": http, "base_url": BASE_URL, "headers": world.headers(role)}

        def validate_response(
            self, response: schemathesis.Response, case: schemathesis.Case, **kwargs: Any
        ) -> None:
            _note(case, step_role(case), response)
            try:
                case.validate_response(
                    response,
                    checks=STATEFUL_CHECKS,
                    transport_kwargs=kwargs,
                    recorder=self.recorder,
                )
            except FailureGroup as group:
                for failure in group.exceptions:
                    key = f"{case.operation.label} [{step_role(case)}]: {failure.title}"
                    journey.failures.setdefault(key, str(group))

        def teardown(self) -> None:
            journey.scenarios += 1
            journey.longest = max(journey.longest, self.length)
            super().teardown()

    for attempt in range(5):
        settings = hypothesis.settings(
            max_examples=SCENARIOS - journey.scenarios,
            stateful_step_count=STEPS,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.generate],
        )
        try:
            run_state_machine_as_test(hypothesis.seed(SEED + attempt)(Links), settings=settings)
        except hypothesis.errors.Flaky:
            journey.restarts += 1
            if journey.scenarios < SCENARIOS:
                continue
        break
    assert not journey.failures, "\n\n".join(journey.failures.values())
    assert journey.scenarios >= SCENARIOS // 2, f"only {journey.scenarios} scenarios ran"
    # Not vacuous: scenarios went beyond their first step, along the document's own links, from
    # a create to its object (read, join, close) and from a close to its order.
    assert journey.longest >= 3, journey.longest
    missing = {link for link in REQUIRED_LINKS if not journey.followed[link]}
    assert not missing, f"links never followed to a success: {sorted(missing)}"
    assert ORDER_LINKS & journey.followed.keys(), journey.followed
    assert len(journey.followed) >= len(DECLARED_LINKS) // 2, journey.followed
    print(
        f"\nstateful: {journey.scenarios} scenarios, {journey.steps} steps (longest "
        f"{journey.longest}), {journey.restarts} restarts; {len(journey.followed)} of "
        f"{len(DECLARED_LINKS)} links followed to a success: {dict(journey.followed)}"
    )
