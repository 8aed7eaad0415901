"""Supervised parts of ``skillpulse up``: each runs in its own thread, restarts with backoff, reports.

A part is a function ``run(stop: threading.Event) -> None`` that works until ``stop`` is set. If it
raises, or returns while nobody asked it to stop, the supervisor records the error and starts it
again after a backoff that doubles up to a cap (reset once a run lasted a while), so one failing
part never takes the others down. ``kill(name)`` makes a part fail on purpose (operators and tests).
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class PartStatus:
    """What ``/api/status`` and the dashboard's status line show of one part."""

    name: str
    state: str = "starting"  # starting | running | restarting | stopped | failed
    restarts: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    started_at: float | None = None
    next_start_at: float | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Part:
    name: str
    run: Callable[[threading.Event], None]
    # Longest wait between restarts; a run that lasted ``healthy_after_s`` resets the backoff.
    max_backoff_s: float = 60.0
    first_backoff_s: float = 1.0
    healthy_after_s: float = 60.0
    stop_timeout_s: float = 60.0  # how long a stop waits for the part (a weekly batch cannot be interrupted)
    status: PartStatus = field(init=False)

    def __post_init__(self) -> None:
        self.status = PartStatus(self.name)


class Supervisor:
    """Starts parts in threads, restarts failed ones, stops them all in a given order."""

    def __init__(self, scrub: Callable[[str], str] = lambda s: s):
        self.parts: dict[str, Part] = {}
        self.stopping = threading.Event()
        self._run_stop: dict[str, threading.Event] = {}  # the current run's stop signal, per part
        self._killed: set[str] = set()
        self._threads: dict[str, threading.Thread] = {}
        self._scrub = scrub

    def add(self, part: Part) -> None:
        self.parts[part.name] = part

    def start(self) -> None:
        for part in self.parts.values():
            thread = threading.Thread(target=self._loop, args=(part,), name=f"up-{part.name}", daemon=True)
            self._threads[part.name] = thread
            thread.start()

    def _loop(self, part: Part) -> None:
        backoff = part.first_backoff_s
        status = part.status
        while not self.stopping.is_set():
            run_stop = threading.Event()
            self._run_stop[part.name] = run_stop
            status.state, status.started_at, status.next_start_at = "running", time.time(), None
            began = time.monotonic()
            error: str | None = None
            try:
                part.run(run_stop)
                if part.name in self._killed:
                    error = "killed on request"
                elif not run_stop.is_set():
                    error = "stopped by itself"
            except Exception as exc:  # noqa: BLE001 - any failure of one part must not end the others
                error = f"{type(exc).__name__}: {exc}"
                log.debug("part %s failed:\n%s", part.name, traceback.format_exc())
            self._killed.discard(part.name)
            if self.stopping.is_set() or error is None:
                break
            if time.monotonic() - began > part.healthy_after_s:
                backoff = part.first_backoff_s
            status.restarts += 1
            status.last_error = self._scrub(error)[:500]
            status.last_error_at = time.time()
            status.state = "restarting"
            status.next_start_at = time.time() + backoff
            log.warning("[up] %s failed (%s); restarting in %.0fs (restart %d)", part.name,
                        status.last_error.splitlines()[0] if status.last_error else "", backoff, status.restarts)
            if self.stopping.wait(backoff):
                break
            backoff = min(backoff * 2, part.max_backoff_s)
        status.state = "stopped"

    def kill(self, name: str) -> bool:
        """Make part ``name`` fail now: its run is stopped, recorded as failed, and restarted with backoff."""
        part = self.parts.get(name)
        run_stop = self._run_stop.get(name)
        if part is None or run_stop is None or part.status.state != "running":
            return False
        self._killed.add(name)
        run_stop.set()
        return True

    def stop(self, order: list[str] | None = None) -> list[str]:
        """Stop every part (``order`` first, then the rest in reverse start order) and wait for each.

        Returns the parts still running after their ``stop_timeout_s``.
        """
        self.stopping.set()
        first = list(order or [])
        names = first + [n for n in reversed(list(self.parts)) if n not in first]
        left: list[str] = []
        for name in names:
            run_stop = self._run_stop.get(name)
            if run_stop is not None:
                run_stop.set()
            thread = self._threads.get(name)
            if thread is not None:
                timeout = self.parts[name].stop_timeout_s
                thread.join(timeout)
                if thread.is_alive():
                    log.warning("[up] %s did not stop within %.0fs; leaving it behind", name, timeout)
                    left.append(name)
        return left

    def statuses(self) -> list[dict]:
        return [p.status.as_dict() for p in self.parts.values()]

    def line(self) -> str:
        """One line for the dashboard: every part's state, the failing ones with their error."""
        bits = []
        for part in self.parts.values():
            s = part.status
            recent = s.last_error and s.last_error_at and time.time() - s.last_error_at < 600
            if s.state == "running":
                bits.append(f"{s.name} ✓" + (f" (restarted {s.restarts}×; last error: {s.last_error})" if recent else ""))
            else:
                bits.append(f"{s.name} {s.state}" + (f": {s.last_error}" if s.last_error else ""))
        return " · ".join(bits)
