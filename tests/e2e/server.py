"""A real ``pool serve`` (or ``pool worker``) subprocess for end-to-end tests: started on a free
port with the given environment, ready once ``/healthz`` answers, stopped or killed on demand."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
POOL = str(Path(sys.executable).with_name("pool"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def child_env(env: dict[str, str]) -> dict[str, str]:
    """The test's environment without its own ``POOL_*`` settings, plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("POOL_")}
    return {**base, **env}


@dataclass
class Process:
    """A ``pool`` subprocess whose stdout and stderr go to ``log``."""

    process: asyncio.subprocess.Process
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self, grace: float = 15) -> int:
        """SIGTERM, then wait for the exit (SIGKILL if it does not come); the exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                await self.kill()
        return self.process.returncode if self.process.returncode is not None else -1

    async def kill(self) -> None:
        """``kill -9``: no cleanup of any kind."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        await self.process.wait()


@dataclass
class Server(Process):
    base_url: str = ""


async def spawn(command: str, env: dict[str, str], log: Path) -> Process:
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            POOL, command, env=child_env(env), cwd=ROOT, stdout=sink, stderr=sink
        )
    return Process(process, log)


async def start_server(env: dict[str, str], log: Path, within: float = 30) -> Server:
    """``pool serve`` on a free port with ``env`` (POOL_* settings); returns once /healthz says
    ok. Fails with the server's output if it exits or does not answer ``within`` seconds."""
    port = free_port()
    started = await spawn("serve", {**env, "POOL_HOST": "127.0.0.1", "POOL_PORT": str(port)}, log)
    server = Server(started.process, log, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=server.base_url, timeout=1) as client:
        while time.monotonic() < deadline:
            if server.process.returncode is not None:
                raise AssertionError(f"pool serve exited early:\n{server.output()}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return server
            await asyncio.sleep(0.05)
    await server.kill()
    raise AssertionError(f"pool serve did not answer in {within} s:\n{server.output()}")
