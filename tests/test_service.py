"""sd_notify on a real datagram socket: READY, WATCHDOG while healthy, none once a worker hangs."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.service import Heartbeats, Notifier, Watchdog, watchdog_interval


@pytest.fixture()
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A listening AF_UNIX datagram socket, like the one systemd passes in $NOTIFY_SOCKET."""
    path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2.0)
    yield server, path
    server.close()


def received(server: socket.socket, timeout: float = 0.05) -> list[str]:
    server.settimeout(timeout)
    messages = []
    try:
        while True:
            messages.append(server.recv(4096).decode())
    except (TimeoutError, BlockingIOError):
        return messages


def test_ready_and_status_reach_the_socket(notify_socket: tuple[socket.socket, str]) -> None:
    server, path = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.notify("READY=1", "STATUS=listening")
    assert server.recv(4096).decode() == "READY=1\nSTATUS=listening"
    notifier.close()


def test_abstract_namespace_socket() -> None:
    name = f"assistant-test-{os.getpid()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind("\0" + name)
    server.settimeout(2.0)
    try:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).notify("READY=1")
        assert server.recv(4096) == b"READY=1"
    finally:
        server.close()


def test_without_systemd_nothing_is_sent() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert not notifier.notify("READY=1")


def test_a_vanished_socket_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    assert not Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}).notify("READY=1")


def test_watchdog_interval_from_environment() -> None:
    pid = str(os.getpid())
    assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": pid}) == 20.0
    assert watchdog_interval({"WATCHDOG_USEC": "20000000"}) == 20.0
    assert watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}) is None  # meant for another process
    assert watchdog_interval({}) is None


def test_pings_while_healthy_and_none_once_a_worker_hangs(notify_socket: tuple[socket.socket, str]) -> None:
    server, path = notify_socket
    heartbeats = Heartbeats()
    heartbeats.register("listener")
    heartbeats.register("brain")
    watchdog = Watchdog(Notifier({"NOTIFY_SOCKET": path}), heartbeats, timeout=0.4, worker_timeout=0.3)
    stop_beating_brain = threading.Event()

    def workers() -> None:
        while not stop_beating_brain.is_set():
            heartbeats.beat("listener")
            heartbeats.beat("brain")
            time.sleep(0.02)
        while watchdog_running.is_set():  # the listener goes on; the brain hangs
            heartbeats.beat("listener")
            time.sleep(0.02)

    watchdog_running = threading.Event()
    watchdog_running.set()
    thread = threading.Thread(target=workers)
    thread.start()
    watchdog.start()
    try:
        time.sleep(0.7)
        healthy = received(server)
        assert healthy.count("WATCHDOG=1") >= 2
        stop_beating_brain.set()
        time.sleep(0.5)  # longer than worker_timeout: the brain is now stale
        received(server)  # drop what was sent during the transition
        time.sleep(0.6)
        hung = received(server)
        assert "WATCHDOG=1" not in hung
        assert any(m.startswith("STATUS=hung: brain") for m in hung)
    finally:
        watchdog.stop()
        watchdog_running.clear()
        thread.join()


def test_heartbeats_name_stale_workers() -> None:
    now = [0.0]
    beats = Heartbeats(clock=lambda: now[0])
    beats.register("stt")
    beats.register("tts")
    now[0] = 5.0
    beats.beat("tts")
    assert beats.stale(max_age=3.0) == ["stt"]
    beats.unregister("stt")
    assert beats.stale(max_age=3.0) == []
