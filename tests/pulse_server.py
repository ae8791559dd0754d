"""A private PulseAudio server for real-time audio tests, and the `pulse_server` pytest fixture.

The server has two null sinks: "mic", whose monitor is the default source (what is played into it is what
the microphone hears), and "speaker", the default sink (what the assistant plays, recorded from its
monitor). PortAudio reaches it through ALSA's default device (libasound2-plugins' pulse plugin routes
"default" to a running server), so the code under test uses the ordinary ALSA path. Nothing touches the
user's own sound server: the socket, runtime and config folders are private and client autospawn is off.

Clients must get `server.env` (PortAudio reads it at initialisation: run the code under test in a
subprocess). Use from a test module with `from pulse_server import pulse_server  # noqa: F401`, or as a
context manager: `with PulseServer() as server: ...`. Works as root (no --system needed) and as a user.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

STARTUP_S = 10.0


class PulseServer:
    """One private server (see the module docstring); `start` waits until it answers."""

    def __init__(self, *, rate: int = 48000, channels: int = 2, extra_args: tuple[str, ...] = ()) -> None:
        self.extra_args = extra_args  # more pulseaudio options, e.g. ("-vvvv",) for a verbose server.log
        self.rate = rate
        self.channels = channels
        # A short path: a unix socket's path must stay under 108 bytes, pytest's tmp_path may not.
        self.folder = Path(tempfile.mkdtemp(prefix="pulse-test-"))
        self.socket = self.folder / "native"
        self.log = self.folder / "server.log"
        self._process: subprocess.Popen[bytes] | None = None
        client_conf = self.folder / "client.conf"
        client_conf.write_text("autospawn = no\n")
        self.env = dict(os.environ)
        self.env.pop("ALSA_CONFIG_PATH", None)
        self.env.update(
            PULSE_SERVER=f"unix:{self.socket}",
            PULSE_CLIENTCONFIG=str(client_conf),
            PULSE_COOKIE=str(self.folder / "cookie"),
        )

    def __enter__(self) -> PulseServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def start(self) -> None:
        if shutil.which("pulseaudio") is None:
            raise RuntimeError("pulseaudio is not installed (Debian: pulseaudio pulseaudio-utils)")
        script = self.folder / "server.pa"
        spec = f"rate={self.rate} channels={self.channels}"
        script.write_text(
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={self.socket}\n"
            f"load-module module-null-sink sink_name=mic {spec}\n"
            f"load-module module-null-sink sink_name=speaker {spec}\n"
            "set-default-source mic.monitor\n"
            "set-default-sink speaker\n"
        )
        server_env = dict(self.env)
        for name in ("HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            server_env[name] = str(self.folder)  # keep the server's state out of the real home
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    "pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "-F", str(script),
                    "--use-pid-file=no", "--disable-shm=yes", "--log-target=stderr", *self.extra_args,
                ],
                env=server_env, stdout=log, stderr=log, start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"pulseaudio exited ({self._process.returncode}):\n{self.log.read_text()}")
            if self.pactl("info", check=False).returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pulseaudio did not answer within {STARTUP_S} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def kill(self) -> None:
        """End the server abruptly, as if the sound card vanished (then `start` brings it back)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True, check=check, timeout=10)

    def echo_speaker_into_mic(self, latency_ms: int) -> None:
        """Play what the speaker plays into the microphone too, `latency_ms` late: a room's echo path, with
        the delay and jitter of a real one (module-loopback resamples to hold its latency)."""
        self.pactl("load-module", "module-loopback", "source=speaker.monitor", "sink=mic",
                   f"latency_msec={latency_ms}")

    def play_into_mic(self, samples: np.ndarray, rate: int) -> subprocess.Popen[bytes]:
        """Start playing int16 mono `samples` into the microphone sink; returns the pacat process."""
        process = subprocess.Popen(
            ["pacat", "--playback", "--device=mic", "--raw", "--format=s16le", f"--rate={rate}", "--channels=1"],
            env=self.env, stdin=subprocess.PIPE,
        )
        data = np.asarray(samples, np.int16).tobytes()

        def feed() -> None:  # pacat takes the audio at playback speed: do not block the caller
            assert process.stdin is not None
            try:
                process.stdin.write(data)
                process.stdin.close()
            except (BrokenPipeError, ValueError):  # killed before the end
                pass

        threading.Thread(target=feed, daemon=True).start()
        return process

    def record_speaker(self, rate: int = 16000) -> SpeakerRecording:
        """Start recording what is played to the speaker sink (int16 mono at `rate`)."""
        return SpeakerRecording(self.env, rate)


class SpeakerRecording:
    """pacat recording the speaker sink's monitor; `stop` returns the samples."""

    def __init__(self, env: dict[str, str], rate: int) -> None:
        self.rate = rate
        self._process = subprocess.Popen(
            ["pacat", "--record", "--device=speaker.monitor", "--raw", "--format=s16le", f"--rate={rate}",
             "--channels=1", "--latency-msec=20"],
            env=env, stdout=subprocess.PIPE,
        )
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        while chunk := self._process.stdout.read(4096):
            self._chunks.append(chunk)

    def stop(self) -> np.ndarray:
        self._process.terminate()
        self._process.wait(timeout=5)
        self._reader.join(timeout=5)
        data = b"".join(self._chunks)
        return np.frombuffer(data[: len(data) // 2 * 2], np.int16)


@pytest.fixture()
def pulse_server() -> Iterator[PulseServer]:
    """A running private PulseAudio server; skips the test if PulseAudio is not installed."""
    if shutil.which("pulseaudio") is None or shutil.which("pacat") is None:
        pytest.skip("PulseAudio is not installed (Debian: pulseaudio pulseaudio-utils)")
    server = PulseServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
