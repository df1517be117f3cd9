"""No API key or webhook secret the suite was handed ever appears in what it logged.

Runs last (see conftest): every key and secret in a response of the session, through whatever
client it came (conftest's ``_collect_secrets``), and the admin key, is looked for in every log
line of the session, tracebacks included. In a run of the whole suite it checks that it collected
every kind the suite makes, so that a collector which stopped seeing them fails here instead of
checking nothing.
"""

import io
import json
import logging
import uuid
from typing import Any

import httpx
import pytest
import requests
import requests.adapters

from app.accounts.keys import PREFIXES
from tests.conftest import CAPTURE
from tests.helpers import ADMIN_KEY, SECRETS

KINDS = {f"{role.value} key": prefix for role, prefix in PREFIXES.items()}
KINDS["webhook secret"] = "whsec_"


def test_no_secret_reaches_the_logs(request: pytest.FixtureRequest) -> None:
    if all(item.path == request.node.path for item in request.session.items):
        pytest.skip("it checks what the other tests of the session logged: run it with them")
    canary = "pool_con_canary-9f3b"  # proves the capture works: this one is logged on purpose
    logging.getLogger("pool.test").warning("canary %s", canary)
    assert any(canary in line for line in CAPTURE.lines)

    handed = SECRETS - {ADMIN_KEY}  # the admin key is there from the start, not collected
    missing = [
        kind for kind, prefix in KINDS.items() if not any(s.startswith(prefix) for s in handed)
    ]
    session = request.session
    whole_suite = (
        request.config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and len(session.items) == session.testscollected  # nothing deselected
    )
    assert not (whole_suite and missing), (
        f"collected no {', '.join(missing)}: is every response collected, and did the tests "
        "that make them run in this session?"
    )

    leaked = sorted(
        {secret[:12] + "…" for secret in SECRETS for line in CAPTURE.lines if secret in line}
    )
    assert not leaked, f"secrets found in the logs: {leaked}"


class _Answer(requests.adapters.BaseAdapter):
    """A ``requests`` transport that answers every request with ``body`` as JSON."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        response = requests.Response()
        response.status_code, response.request, response.url = 200, request, str(request.url)
        response.headers["content-type"] = "application/json"
        response.raw = io.BytesIO(self.body)
        return response

    def close(self) -> None:
        pass


async def test_a_secret_answered_to_any_async_client_is_collected() -> None:
    """Not only through the ``client`` fixture: apps and servers a test runs itself answer
    through clients of their own."""
    probe = f"probe-{uuid.uuid4()}"
    answer = httpx.MockTransport(lambda _: httpx.Response(200, json={"secret": probe}))
    try:
        async with httpx.AsyncClient(transport=answer, base_url="http://pool.test") as http:
            await http.get("/")
        assert probe in SECRETS
    finally:
        SECRETS.discard(probe)


def test_a_secret_answered_to_a_blocking_client_is_collected() -> None:
    """The generated client and ``pool demo --simulate`` speak blocking httpx; the contract tests
    speak ``requests``."""
    probes = [f"probe-{uuid.uuid4()}" for _ in range(2)]
    answer = httpx.MockTransport(lambda _: httpx.Response(200, json={"api_key": probes[0]}))
    try:
        with httpx.Client(transport=answer, base_url="http://pool.test") as http:
            http.get("/")
        with requests.Session() as session:
            body = json.dumps({"data": [{"secret": probes[1]}]}).encode()
            session.mount("http://", _Answer(body))
            session.get("http://pool.test/")
        assert set(probes) <= SECRETS
    finally:
        SECRETS.difference_update(probes)
