#!/usr/bin/env python3
"""One-command tasks for postmortem-kb: `serve`, `test`, `build`, `bench`.

Needs only Python 3.11+. Each task creates `.venv/` on first use, installs the project and its
dependencies into it (again only when pyproject.toml changes), then runs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
CHROMIUM = "/usr/bin/chromium"


def run(*cmd: str | Path, **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, **kwargs)  # type: ignore[call-overload]
    if result.returncode:
        sys.exit(result.returncode)


def ensure_venv(extras: str = "") -> None:
    """Create .venv and install the project (with `extras`) unless already up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs before any venv exists
        sys.exit(f"postmortem-kb needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed{'-' + extras if extras else ''}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]" if extras else ".")
    stamp.write_text(digest)


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when missing and we are allowed to."""
    if Path(CHROMIUM).exists():
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(apt, "update", "-qq", env=env)
        run(apt, "install", "-y", "-qq", "chromium", "fonts-liberation", env=env)
    else:
        print("chromium not found and cannot be installed here: browser tests will be skipped")


def serve(args: list[str]) -> None:
    ensure_venv()
    address = args[0] if args and not args[0].startswith("-") else "127.0.0.1:8000"
    options = [arg for arg in args if arg.startswith("-")]  # e.g. --dirty
    print(f"serving the example site on http://{address}/", flush=True)
    run(BIN / "mkdocs", "serve", "--dev-addr", address, *options)


def build(args: list[str]) -> None:
    ensure_venv()
    run(BIN / "mkdocs", "build", "--strict", *args)


def test(args: list[str]) -> None:
    ensure_venv("dev")
    ensure_chromium()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy")
    run(PY, "-m", "pytest", "-n", "auto", *args)


def bench(args: list[str]) -> None:
    ensure_venv("dev")
    run(PY, "bench/run.py", *args)


TASKS = {"serve": serve, "build": build, "test": test, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 dev.py {{{','.join(TASKS)}}} [args...]")
    TASKS[sys.argv[1]](sys.argv[2:])
