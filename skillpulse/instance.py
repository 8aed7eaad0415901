"""The running-instance marker of a data directory: a lock file (url + pid) and an API token.

Embedded chDB lets one process open a data directory. ``skillpulse up`` is that process; it writes
``skillpulse.lock`` (JSON: url, pid) and ``api-token`` (mode 0600) into the data directory, so other
commands find it, talk to its HTTP API instead of opening chDB, and only a local user who can read
the data can query it. A lock whose pid is dead is stale and ignored.
"""
from __future__ import annotations

import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

LOCK_FILE = "skillpulse.lock"
TOKEN_FILE = "api-token"


class InstanceRunning(RuntimeError):
    """Another process serves this data directory; the message says how to reach it."""


@dataclass(frozen=True)
class Instance:
    """What the lock file says about a running ``skillpulse up``."""

    url: str
    pid: int
    data_dir: Path

    def token(self) -> str:
        """The API token (readable only by the user who owns the data directory)."""
        return read_token(self.data_dir)


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists (signal 0 probes without touching it)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def running_instance(data_dir: Path) -> Instance | None:
    """The live instance serving ``data_dir`` (None when there is none or its lock is stale)."""
    path = Path(data_dir) / LOCK_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not pid_alive(pid):
        return None
    return Instance(url=url, pid=pid, data_dir=Path(data_dir))


def refuse_if_running(data_dir: Path, what: str = "this command") -> None:
    """Raise ``InstanceRunning`` when another process serves ``data_dir`` (our own process passes)."""
    inst = running_instance(data_dir)
    if inst is not None and inst.pid != os.getpid():
        raise InstanceRunning(
            f"`skillpulse up` (pid {inst.pid}) owns the data directory {Path(data_dir).resolve()} and serves it at"
            f" {inst.url}; {what} cannot open it too (embedded chDB: one process per directory). Talk to the"
            f" running instance instead: `skillpulse db query \"SELECT count() FROM postings\"` (it finds the"
            f" instance by itself), POST {inst.url}/api/batch to run the weekly batch, or stop it first.")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def write_token(data_dir: Path, token: str) -> Path:
    """Write ``token`` to ``data_dir/api-token`` with mode 0600 (created so from the start)."""
    path = Path(data_dir) / TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, token.encode("ascii"))
    finally:
        os.close(fd)
    return path


def read_token(data_dir: Path) -> str:
    return (Path(data_dir) / TOKEN_FILE).read_text(encoding="ascii").strip()


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison (no early exit that would time out the token byte by byte)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


class InstanceLock:
    """Held by ``skillpulse up`` for its lifetime: claims the data directory, publishes url and token."""

    def __init__(self, data_dir: Path, url: str):
        self.data_dir = Path(data_dir)
        self.url = url
        self.token = new_token()
        self._held = False

    def acquire(self) -> "InstanceLock":
        """Claim the directory; raises ``InstanceRunning`` if a live instance holds it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        refuse_if_running(self.data_dir, "a second `skillpulse up`")
        path = self.data_dir / LOCK_FILE
        body = json.dumps({"url": self.url, "pid": os.getpid(), "started": time.time()})
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, path)  # atomic: readers see the old or the new lock, never half of one
        write_token(self.data_dir, self.token)
        self._held = True
        return self

    def release(self) -> None:
        """Remove the lock and the token (only if the lock is still ours)."""
        if not self._held:
            return
        self._held = False
        inst = running_instance(self.data_dir)
        if inst is None or inst.pid == os.getpid():
            for name in (LOCK_FILE, TOKEN_FILE):
                try:
                    (self.data_dir / name).unlink()
                except FileNotFoundError:
                    pass

    def __enter__(self) -> "InstanceLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
