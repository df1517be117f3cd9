"""No API key or webhook secret the suite was handed ever appears in what it logged.

Runs last (see conftest): every key and secret returned by the API through the ``client``
fixture, and the admin key, is looked for in every log line of the session, tracebacks included.
"""

import logging

from tests.conftest import CAPTURE
from tests.helpers import SECRETS


def test_no_secret_reaches_the_logs() -> None:
    canary = "pool_con_canary-9f3b"  # proves the capture works: this one is logged on purpose
    logging.getLogger("pool.test").warning("canary %s", canary)
    assert any(canary in line for line in CAPTURE.lines)

    assert len(SECRETS) >= 1
    leaked = sorted(
        {secret[:12] + "…" for secret in SECRETS for line in CAPTURE.lines if secret in line}
    )
    assert not leaked, f"secrets found in the logs: {leaked}"
