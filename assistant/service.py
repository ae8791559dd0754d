"""Running under systemd: the sd_notify protocol (READY, STATUS, STOPPING) and a watchdog fed by worker heartbeats.

systemd's `Type=notify` waits for READY=1 (models loaded, audio open). With `WatchdogSec`, the watchdog thread
sends WATCHDOG=1 only while every registered worker has beaten recently: a hung stage stops the pings, and
systemd restarts the service. The socket is a local AF_UNIX datagram socket named by $NOTIFY_SOCKET; nothing here
touches the network.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages; does nothing when not started by systemd (no $NOTIFY_SOCKET)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET", "")
        # A leading '@' names a socket in the abstract namespace (a NUL byte on the wire).
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def notify(self, *assignments: str) -> bool:
        """Send e.g. notify("READY=1", "STATUS=listening"); False if it could not be sent."""
        if not self._address:
            return False
        message = "\n".join(assignments).encode()
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._socket.sendto(message, self._address)
                return True
            except OSError as exc:
                log.warning("sd_notify to %s failed: %s", self._address.lstrip("\0"), exc)
                return False

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """The watchdog timeout in seconds that systemd asks for, or None when there is none for this process."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1e6
    except ValueError:
        return None


class Heartbeats:
    """Each worker thread beats after every unit of work (or while idle); stale() names the ones that stopped."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def register(self, name: str) -> None:
        self.beat(name)

    def unregister(self, name: str) -> None:
        with self._lock:
            self._last.pop(name, None)

    def beat(self, name: str) -> None:
        now = self._clock()
        with self._lock:
            self._last[name] = now

    def stale(self, max_age: float) -> list[str]:
        now = self._clock()
        with self._lock:
            return sorted(name for name, last in self._last.items() if now - last > max_age)


class Watchdog:
    """Pings systemd's watchdog at half its timeout while all workers are alive; stops pinging when one hangs."""

    def __init__(
        self,
        notifier: Notifier,
        heartbeats: Heartbeats,
        timeout: float,
        *,
        worker_timeout: float | None = None,
    ) -> None:
        self.notifier = notifier
        self.heartbeats = heartbeats
        self.period = timeout / 2
        # A worker counts as hung when silent for longer than this (default: the watchdog timeout itself).
        self.worker_timeout = worker_timeout or timeout
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._reported: set[str] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def check(self) -> bool:
        """One round: ping if every worker is alive. Returns whether a ping was sent."""
        hung = self.heartbeats.stale(self.worker_timeout)
        new = set(hung) - self._reported
        if new:
            log.error(
                "worker(s) not responding: %s; withholding the watchdog ping so systemd restarts us",
                ", ".join(sorted(new)),
            )
        self._reported = set(hung)
        if hung:
            self.notifier.notify(f"STATUS=hung: {', '.join(hung)}")
            return False
        return self.notifier.notify("WATCHDOG=1")

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.check()
