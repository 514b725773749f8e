#!/usr/bin/env python3
"""One-command tasks for postmortem-kb: `serve`, `test`, `build`, `bench`, `lock`.

Needs only Python 3.11+. Each task creates `.venv/` on first use and installs the exact versions
pinned in `requirements/*.lock` into it (again only when a lock file or pyproject.toml changes),
then the project itself, then runs.

    python3 dev.py test            # the suite against the locked versions (what CI runs)
    python3 dev.py test --latest   # ... against the newest versions pyproject.toml allows
    python3 dev.py test --lowest   # ... against the lowest versions pyproject.toml allows
    python3 dev.py lock            # re-resolve the lock files (after changing dependencies)
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
LOCKS = ROOT / "requirements"
SITE_LOCK = LOCKS / "site.lock"
"""What building and serving the site needs."""
DEV_LOCK = LOCKS / "dev.lock"
"""Everything the tests, linters and the benchmark need (a superset of site.lock)."""
CHROMIUM = "/usr/bin/chromium"
LOCK_PYTHON = "3.11"
"""The oldest Python the project supports; the locks are resolved for it."""


class Env:
    """A virtual environment in `ROOT/name` and the commands inside it."""

    def __init__(self, name: str) -> None:
        self.path = ROOT / name
        self.bin = self.path / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / "python"

    def create(self) -> None:
        if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs before any venv exists
            sys.exit(f"postmortem-kb needs Python 3.11 or newer; this is {sys.version.split()[0]}")
        if not self.python.exists():
            print(f"creating virtual environment in {self.path}", flush=True)
            venv.create(self.path, with_pip=True)

    def pip(self, *args: str) -> None:
        run(self.python, "-m", "pip", "install", "--quiet", *args)


VENV = Env(".venv")


def run(*cmd: str | Path, **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, **kwargs)  # type: ignore[call-overload]
    if result.returncode:
        sys.exit(result.returncode)


def ensure_venv(lock: Path = SITE_LOCK) -> Env:
    """Create .venv with exactly the versions of `lock` and the project, unless up to date."""
    VENV.create()
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + lock.read_bytes()).hexdigest()
    stamp = VENV.path / f".installed-{lock.stem}"
    if stamp.exists() and stamp.read_text() == digest:
        return VENV
    # --require-hashes (implied by the hashes in the lock): every file is the one resolved;
    # --no-deps on the project: nothing beyond the lock is pulled in.
    VENV.pip("--require-hashes", "-r", str(lock))
    VENV.pip("--no-deps", "-e", ".")
    for other in VENV.path.glob(".installed-*"):
        other.unlink()  # the other lock's packages may have been replaced
    stamp.write_text(digest)
    return VENV


def ensure_chromium() -> None:
    """Install Debian's chromium (and npm, for axe-core) for the browser tests when missing and
    we are allowed to."""
    missing = [] if Path(CHROMIUM).exists() else ["chromium", "fonts-liberation"]
    missing += [] if shutil.which("npm") else ["npm"]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(apt, "update", "-qq", env=env)
        run(apt, "install", "-y", "-qq", *missing, env=env)
    else:
        print(f"{', '.join(missing)} not found and cannot be installed here: browser tests skip")


BROWSER_TESTS = ROOT / "tests" / "browser"
"""Holds package.json + package-lock.json: axe-core for the accessibility tests."""


def ensure_axe() -> None:
    """Install the locked npm packages of the browser tests (`npm ci`) unless up to date."""
    lock = BROWSER_TESTS / "package-lock.json"
    stamp = BROWSER_TESTS / "node_modules" / ".installed"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the accessibility (axe) browser tests will be skipped (fail in CI)")
        return
    run(npm, "ci", "--no-audit", "--no-fund", "--prefix", BROWSER_TESTS)
    stamp.write_text(digest)


def unlocked_env(resolution: str) -> Env:
    """A fresh venv with the newest (`highest`) or lowest (`lowest-direct`) allowed versions."""
    uv = ensure_venv(DEV_LOCK).bin / "uv"
    env = Env(f".venv-{resolution}")
    if env.path.exists():
        shutil.rmtree(env.path)
    env.create()
    run(uv, "pip", "install", "--quiet", "--python", env.python, "--resolution", resolution,
        "-e", ".[dev,import]")  # fmt: skip
    return env


def serve(args: list[str]) -> None:
    env = ensure_venv()
    address = args[0] if args and not args[0].startswith("-") else "127.0.0.1:8000"
    options = [arg for arg in args if arg.startswith("-")]  # e.g. --strict
    # A preview rebuilds only the pages an edit changes (--dirty); --full rebuilds every page
    # (e.g. after changing the nav, which --dirty leaves stale on unchanged pages).
    if "--full" in options:
        options.remove("--full")
    elif "--dirty" not in options:
        options.append("--dirty")
    print(f"serving the example site on http://{address}/", flush=True)
    run(env.bin / "mkdocs", "serve", "--dev-addr", address, *options)


def build(args: list[str]) -> None:
    env = ensure_venv()
    run(env.bin / "mkdocs", "build", "--strict", *args)


def test(args: list[str]) -> None:
    unlocked = "--latest" in args or "--lowest" in args
    if unlocked:
        env = unlocked_env("highest" if "--latest" in args else "lowest-direct")
        args = [arg for arg in args if arg not in ("--latest", "--lowest")]
    else:
        env = ensure_venv(DEV_LOCK)
    ensure_chromium()
    ensure_axe()
    if not unlocked:  # the linters' versions are the lock's; other ones format differently
        run(env.bin / "ruff", "check", ".")
        run(env.bin / "ruff", "format", "--check", ".")
        run(env.bin / "mypy")
    run(env.python, "-m", "pytest", "-n", "auto", *args)


def bench(args: list[str]) -> None:
    env = ensure_venv(DEV_LOCK)
    run(env.python, "bench/run.py", *args)


def lock(args: list[str]) -> None:
    """Resolve requirements/site.lock and dev.lock anew from pyproject.toml (newest versions)."""
    uv = ensure_venv(DEV_LOCK).bin / "uv"
    common = ["pip", "compile", "pyproject.toml", "--quiet", "--generate-hashes", "--upgrade",
              "--python-version", LOCK_PYTHON, "--no-header", *args]  # fmt: skip
    run(uv, *common, "-o", SITE_LOCK)
    run(uv, *common, "--extra", "dev", "--extra", "import", "-o", DEV_LOCK)


TASKS = {"serve": serve, "build": build, "test": test, "bench": bench, "lock": lock}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 dev.py {{{','.join(TASKS)}}} [args...]")
    TASKS[sys.argv[1]](sys.argv[2:])
