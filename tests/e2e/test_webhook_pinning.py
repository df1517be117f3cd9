"""A webhook attempt connects to the addresses its URL check approved, never to a second lookup
of the name (DNS rebinding); the Host header, TLS server name and certificate check stay the
host name's. Receivers run on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import base64
import ipaddress
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from app.webhooks.pinning import PinnedTransport, pin
from app.webhooks.sender import message, new_client, send
from tests.e2e.webhook_helpers import Receiver

REBOUND = "rebind.example"
PUBLIC_IP = "93.184.215.14"
SECRETS = ("whsec_" + base64.b64encode(b"k" * 32).decode(),)
LOCALHOST = [ipaddress.ip_address("127.0.0.1")]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.close()


def a_message() -> Any:
    return message(7, "group.created", datetime.now(UTC), {"group_id": "g"})


async def post(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.post(url, content=b"{}", headers={"webhook-id": "evt_7"})


async def test_a_name_re_pointed_after_the_check_does_not_reach_a_private_address(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """The name answers a public address to the check and 127.0.0.1 to any later lookup."""
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host: str | bytes | None, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name != REBOUND:
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(name)
        address = PUBLIC_IP if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    real_connect = httpcore.AnyIOBackend.connect_tcp
    connected: list[str] = []

    async def connect_tcp(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        connected.append(host)
        if host == PUBLIC_IP:  # where the check said to go; refused here to stay off the network
            raise httpcore.ConnectError("unreachable in this test")
        return await real_connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)
    port = receiver.url.split(":")[2].split("/")[0]
    async with new_client() as http:
        outcome = await send(
            http,
            f"https://{REBOUND}:{port}/hooks",
            SECRETS,
            a_message(),
            time_limit=2,
            allow_private=False,
        )

    assert receiver.connections == 0, "the rebound name reached the private receiver"
    assert lookups == [REBOUND]  # one lookup: the checked one
    assert connected == [PUBLIC_IP]
    assert outcome.status_code is None
    assert outcome.error == "ConnectError: unreachable in this test"


async def test_every_checked_address_is_tried_in_turn(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    real_connect = httpcore.AnyIOBackend.connect_tcp
    connected: list[str] = []

    async def connect_tcp(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        connected.append(host)
        if host != "127.0.0.1":
            raise httpcore.ConnectError("unreachable in this test")
        return await real_connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_tcp)
    addresses = [ipaddress.ip_address(a) for a in ("192.0.2.1", "192.0.2.1", "127.0.0.1")]
    async with new_client() as http:
        url = receiver.url.replace("127.0.0.1", "hooks.test")
        with pin(url, addresses):
            response = await post(http, url)
    assert response.status_code == 200
    assert connected == ["192.0.2.1", "127.0.0.1"]  # each address once, in the order given
    assert receiver.requests[0].headers["host"] == url.split("/")[2]  # the name, not the address


async def test_private_addresses_allowed_still_reach_a_local_receiver(receiver: Receiver) -> None:
    async with new_client() as http:
        outcome = await send(
            http, receiver.url, SECRETS, a_message(), time_limit=5, allow_private=True
        )
    assert (outcome.status_code, outcome.error) == (200, None)
    assert receiver.arrivals == ["evt_7"]


async def test_the_client_connects_nowhere_outside_a_pinned_attempt(receiver: Receiver) -> None:
    async with new_client() as http:
        with pytest.raises(httpx.ConnectError, match="no checked address"):
            await post(http, receiver.url)
        with pin("https://elsewhere.test/x", LOCALHOST), pytest.raises(httpx.ConnectError):
            await post(http, receiver.url)  # pinned for another host
    assert receiver.connections == 0


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA and a certificate of ``hooks.test`` it signed (made by the openssl command)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    # keyUsage on the CA: a strict verifier (Python 3.13's default) wants it.
    run("req", "-x509", *key, "-days", "1", "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=Pool test", "-addext", "keyUsage=critical,keyCertSign")  # fmt: skip
    run("req", *key, "-keyout", "hooks.key", "-out", "hooks.csr", "-subj", "/CN=hooks.test")
    (folder / "hooks.ext").write_text(
        "subjectAltName=DNS:hooks.test\nbasicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\n"
    )
    run("x509", "-req", "-in", "hooks.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "hooks.pem", "-days", "1", "-extfile", "hooks.ext")  # fmt: skip
    return folder


async def test_tls_names_the_host_and_verifies_its_certificate(certificates: Path) -> None:
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(certificates / "hooks.pem", certificates / "hooks.key")
    names: list[str | None] = []
    server_tls.sni_callback = lambda _socket, name, _context: names.append(name)
    receiver = Receiver()
    await receiver.start(server_tls)
    trusting = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    limits = httpx.Limits(max_connections=4)
    try:
        async with httpx.AsyncClient(transport=PinnedTransport(limits, trusting)) as http:
            url = receiver.url.replace("127.0.0.1", "hooks.test")
            with pin(url, LOCALHOST):
                response = await post(http, url)
            assert response.status_code == 200
            assert names == ["hooks.test"]  # SNI: the name, though the connection went to an IP
            assert receiver.requests[0].headers["host"] == url.split("/")[2]

            other = receiver.url.replace("127.0.0.1", "other.test")  # not on the certificate
            with pin(other, LOCALHOST), pytest.raises(httpx.ConnectError, match="mismatch"):
                await post(http, other)
            assert len(receiver.requests) == 1
    finally:
        await receiver.close()
