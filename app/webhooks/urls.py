"""Which webhook URLs the service will call.

A webhook makes the service send requests wherever a client says, so an endpoint must be HTTPS
and every address its host resolves to must be public: otherwise any manufacturer could make the
service probe its own network (SSRF). ``POOL_WEBHOOK_ALLOW_PRIVATE`` lifts both rules for local
development and tests. The check runs when an endpoint is created and again before every attempt,
because a name can be re-pointed at a private address after it was accepted; and an attempt then
connects only to the addresses this check returned (``pinning``), never to a fresh lookup, so a
name re-pointed between the check and the connection (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from app.errors import InvalidRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookUrlNotAllowed(InvalidRequest):
    code = "webhook_url_not_allowed"
    title = "The webhook URL must be HTTPS and reach a public address"


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (getaddrinfo blocks, so it runs in a thread)."""
    infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    # A scoped IPv6 address comes back as "fe80::1%eth0"; the scope does not change its class.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check_url(url: str, *, allow_private: bool) -> list[IPAddress] | None:
    """Raise ``WebhookUrlNotAllowed`` unless the service may call ``url``; else the addresses its
    host resolved to, all public, which are the ones to connect to (None when private addresses
    are allowed: then no lookup is made here)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise WebhookUrlNotAllowed(f"{url!r} is not a URL.") from None
    allowed_schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed_schemes:
        raise WebhookUrlNotAllowed("The URL must start with https://.")
    if not host:
        raise WebhookUrlNotAllowed("The URL has no host.")
    if allow_private:
        return None
    try:
        addresses = await resolve(host, port or 443)
    except (OSError, UnicodeError, ValueError):
        raise WebhookUrlNotAllowed(f"The host {host} does not resolve.") from None
    refused = sorted({str(a) for a in addresses if not is_public(a)})
    if not addresses or refused:
        raise WebhookUrlNotAllowed(
            f"The host {host} resolves to a non-public address ({', '.join(refused)})."
        )
    return addresses
