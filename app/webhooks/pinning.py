"""Connect to the addresses that were checked, not to a second lookup of the name.

``check_url`` resolves a webhook's host and refuses it unless every address is public. Were the
HTTP client to resolve the name again to connect, a name re-pointed in between (DNS rebinding)
would reach a private address. So the worker's client connects through ``PinnedBackend``: during
an attempt (``pin``) a connection to the webhook's host goes to the checked addresses only.

Only the TCP connection is pinned: the URL, its Host header, the TLS server name (SNI) and the
certificate check all stay those of the host name, exactly as without pinning. httpcore pools
connections by host name, so a kept-alive connection (made to a checked address) is reused only
for that name, never for another name that happens to share its address.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpcore
import httpx

from app.webhooks.urls import IPAddress


@dataclass(frozen=True, slots=True)
class Route:
    """Where a connection to ``host`` may go: the checked ``addresses``, or (None) wherever the
    name resolves, when private addresses are allowed and nothing was checked."""

    host: str
    addresses: tuple[IPAddress, ...] | None


# Per task: each attempt runs in a task of its own and connects from that task (httpcore opens
# a pooled connection in the task of the request that needs it).
_ROUTE: ContextVar[Route | None] = ContextVar("pool_webhook_route", default=None)


def host_of(url: str) -> str:
    """The host name as httpcore hands it to ``connect_tcp`` (IDNA-encoded, IPv6 unbracketed)."""
    return httpx.URL(url).raw_host.decode("ascii")


@contextmanager
def pin(url: str, addresses: Sequence[IPAddress] | None) -> Iterator[None]:
    """Within this block, connections to ``url``'s host go to ``addresses`` only, in order
    (None: to whatever the name resolves to). A connection to any other host is refused."""
    pinned = None if addresses is None else tuple(dict.fromkeys(addresses))
    token = _ROUTE.set(Route(host_of(url), pinned))
    try:
        yield
    finally:
        _ROUTE.reset(token)


class PinnedBackend(httpcore.AnyIOBackend):
    """httpcore's network backend, connecting to the pinned addresses of the host asked for.

    Fails closed: a connection outside ``pin``, or to another host than the pinned one (there are
    no redirects or proxies to lead there), is refused."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        route = _ROUTE.get()
        if route is None or route.host != host:
            raise httpcore.ConnectError(f"no checked address to connect to {host}")
        if route.addresses is None:
            return await super().connect_tcp(host, port, timeout, local_address, socket_options)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in route.addresses:
            try:
                return await super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address may answer
        raise failure or httpcore.ConnectError(f"no checked address to connect to {host}")


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over ``PinnedBackend``. No proxy: a proxy would resolve the name itself."""

    def __init__(self, limits: httpx.Limits, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(limits=limits)
        # httpx 0.28 takes no network backend, so its pool is replaced by one that has ours;
        # tests/e2e/test_webhook_pinning.py fails if the backend is not the one connecting.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(),
        )
