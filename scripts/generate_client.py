"""Regenerate the Python client in openapi/client/ (``make client``).

Writes openapi/openapi.json from the app (as ``make openapi`` does), then runs
``openapi-python-client`` (pinned in the dev dependencies) on it. ``--check`` instead generates
from the committed document into a temporary folder and fails if it differs from the committed
client, so CI notices a client that was not regenerated after an API change.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from export_openapi import TARGET as DOCUMENT
from export_openapi import render

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "openapi" / "client"
CONFIG = ROOT / "openapi" / "client-config.yaml"
IGNORED = {"__pycache__", ".ruff_cache", "pool_client.egg-info", "build"}


def generate(document: Path, output: Path) -> None:
    """Run the generator; its post-hooks format the code with the ruff next to this Python."""
    bin_dir = Path(sys.executable).parent
    tool = bin_dir / "openapi-python-client"
    command = [
        str(tool) if tool.exists() else "openapi-python-client",
        "generate",
        "--path",
        str(document),
        "--output-path",
        str(output),
        "--config",
        str(CONFIG),
        "--meta",
        "setup",
        "--overwrite",
        "--fail-on-warning",
    ]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        raise SystemExit(f"openapi-python-client failed (exit {done.returncode})")


def differences(left: Path, right: Path, under: str = "") -> list[str]:
    """Files that are missing on one side or differ, relative to the two folders."""
    found: list[str] = []
    compared = filecmp.dircmp(left, right, ignore=sorted(IGNORED))
    found += [f"{under}{name} (only in the committed client)" for name in compared.left_only]
    found += [f"{under}{name} (missing from the committed client)" for name in compared.right_only]
    _, mismatch, errors = filecmp.cmpfiles(left, right, compared.common_files, shallow=False)
    found += [f"{under}{name}" for name in mismatch + errors]
    for name in compared.common_dirs:
        found += differences(left / name, right / name, f"{under}{name}/")
    return found


def check() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "client"
        generate(DOCUMENT, fresh)
        stale = differences(CLIENT, fresh) if CLIENT.is_dir() else ["openapi/client/ is missing"]
    if stale:
        print("openapi/client/ does not match openapi/openapi.json: run `make client`:")
        print("\n".join(f"  {line}" for line in stale))
        raise SystemExit(1)
    print("openapi/client/ matches openapi/openapi.json")


def main() -> None:
    if "--check" in sys.argv:
        check()
        return
    DOCUMENT.write_text(render())
    print(f"wrote {DOCUMENT}")
    generate(DOCUMENT, CLIENT)
    for leftover in IGNORED:
        shutil.rmtree(CLIENT / leftover, ignore_errors=True)
    print(f"wrote {CLIENT}")


if __name__ == "__main__":
    main()
