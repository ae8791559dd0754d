"""The ctypes binding of libspeexdsp: frames are checked before C sees them, states are freed, the C does its job."""

from __future__ import annotations

import ctypes
import gc
import re
from pathlib import Path

import numpy as np
import pytest

from assistant.audio import speex
from assistant.audio.speex import EchoState, PreprocessState
from assistant.errors import ConfigurationError

FRAME = 160
TAIL = 3200


def _bad_frames() -> list[object]:
    good = np.zeros(FRAME, dtype=np.int16)
    return [
        np.zeros(FRAME - 1, dtype=np.int16),  # too short: C would read past the end
        np.zeros(FRAME + 1, dtype=np.int16),
        np.zeros(FRAME, dtype=np.float32),
        np.zeros(FRAME, dtype=np.int32),
        np.zeros((1, FRAME), dtype=np.int16),
        np.zeros(2 * FRAME, dtype=np.int16)[::2],  # right length, not contiguous
        good.tolist(),
        b"\x00" * (2 * FRAME),
    ]


@pytest.mark.parametrize("bad", _bad_frames(), ids=lambda b: type(b).__name__)
def test_echo_cancel_rejects_a_frame_of_the_wrong_size_type_or_layout(bad: object) -> None:
    good = np.zeros(FRAME, dtype=np.int16)
    with EchoState(FRAME, TAIL) as echo:
        with pytest.raises(ValueError, match="int16"):
            echo.cancel(bad, good)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="int16"):
            echo.cancel(good, bad)  # type: ignore[arg-type]
        assert echo.cancel(good, good).shape == (FRAME,)  # still usable


@pytest.mark.parametrize("bad", _bad_frames(), ids=lambda b: type(b).__name__)
def test_preprocess_rejects_a_frame_of_the_wrong_size_type_or_layout(bad: object) -> None:
    with PreprocessState(FRAME) as pre, pytest.raises(ValueError, match="int16"):
        pre.run(bad)  # type: ignore[arg-type]


def test_preprocess_rejects_a_read_only_frame_it_would_write_into() -> None:
    frame = np.zeros(FRAME, dtype=np.int16)
    frame.flags.writeable = False
    with PreprocessState(FRAME) as pre, pytest.raises(ValueError, match="writable"):
        pre.run(frame)


def test_a_closed_state_raises_instead_of_touching_freed_memory() -> None:
    frame = np.zeros(FRAME, dtype=np.int16)
    echo = EchoState(FRAME, TAIL)
    pre = PreprocessState(FRAME)
    pre.link_echo(echo)
    echo.close()
    echo.close()  # idempotent
    assert echo.closed
    with pytest.raises(RuntimeError, match="closed"):
        echo.cancel(frame, frame)
    with pytest.raises(RuntimeError, match="linked EchoState was closed"):
        pre.run(frame)
    pre.link_echo(None)
    pre.run(frame)
    with pre:
        pass
    assert pre.closed
    with pytest.raises(RuntimeError, match="closed"):
        pre.run(frame)


def test_nonsense_sizes_are_refused_before_reaching_c() -> None:
    with pytest.raises(ValueError, match="positive"):
        EchoState(0, TAIL)
    with pytest.raises(ValueError, match="positive"):
        PreprocessState(FRAME, sample_rate=0)


def _malloc_in_use() -> int:
    """Bytes currently allocated through the C heap (glibc's mallinfo2)."""

    class MallInfo2(ctypes.Structure):
        names = ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
        _fields_ = [(name, ctypes.c_size_t) for name in (*names, "keepcost")]

    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("the C library has no mallinfo2 (glibc >= 2.33) to count heap bytes with")
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


@pytest.mark.parametrize("how", ["close", "with", "garbage collection"])
def test_c_states_are_freed(how: str) -> None:
    rounds = 40  # each pair holds about 125 kB of C memory: a leak shows as 5 MB
    # Garbage of earlier tests (other libraries' objects) must not be freed inside the measured window.
    gc.collect()
    before = _malloc_in_use()
    for _ in range(rounds):
        if how == "with":
            with EchoState(FRAME, TAIL) as echo, PreprocessState(FRAME) as pre:
                pre.link_echo(echo)
        else:
            echo, pre = EchoState(FRAME, TAIL), PreprocessState(FRAME)
            pre.link_echo(echo)
            if how == "close":
                pre.close()
                echo.close()
            del echo, pre
    gc.collect()
    kept = [EchoState(FRAME, TAIL) for _ in range(4)]  # the measure does see live states
    held = _malloc_in_use() - before
    assert 4 * 80_000 < held < 4 * 80_000 + 1_000_000, f"{held} bytes still allocated"
    for state in kept:
        state.close()


def test_a_missing_library_names_the_debian_package_and_the_install_script() -> None:
    with pytest.raises(ConfigurationError) as error:
        speex.load_library("libspeexdsp-not-installed.so.1")
    message = str(error.value)
    assert "libspeexdsp1" in message and "scripts/install.sh" in message and "[frontend]" in message


def test_request_numbers_match_the_installed_headers() -> None:
    headers = [Path("/usr/include/speex/speex_echo.h"), Path("/usr/include/speex/speex_preprocess.h")]
    if not all(h.is_file() for h in headers):
        pytest.skip("libspeexdsp-dev headers are not installed")
    defined = {
        name: int(value)
        for header in headers
        for name, value in re.findall(r"#define (SPEEX_\w+) (\d+)", header.read_text())
    }
    ours = {name: value for name, value in vars(speex).items() if name.startswith("SPEEX_")}
    assert ours, "no request constants found"
    assert {name: defined.get(name) for name in ours} == ours


def test_the_sampling_rate_reaches_the_canceller() -> None:
    with EchoState(FRAME, TAIL, sample_rate=8000) as echo:
        assert echo.ctl_int(speex.SPEEX_ECHO_GET_SAMPLING_RATE) == 8000
        assert echo.ctl_int(speex.SPEEX_ECHO_GET_FRAME_SIZE) == FRAME


def _energy(x: np.ndarray) -> float:
    return float(np.sum(x.astype(np.float64) ** 2))


def test_the_canceller_removes_a_synthetic_echo() -> None:
    rng = np.random.default_rng(1)
    n = 16000 * 5
    far = (rng.standard_normal(n) * 3000).astype(np.int16)
    path = np.zeros(800)
    path[40] = 0.6  # direct sound after 2.5 ms, then a decaying reverberant tail
    path[41:] = rng.standard_normal(759) * 0.05 * np.exp(-np.arange(759) / 120)
    mic = np.round(np.convolve(far.astype(np.float64), path)[:n]).astype(np.int16)
    out = np.zeros(n, dtype=np.int16)
    with EchoState(FRAME, TAIL) as echo:
        for start in range(0, n, FRAME):
            out[start : start + FRAME] = echo.cancel(mic[start : start + FRAME], far[start : start + FRAME])
    settled = slice(3 * 16000, None)
    erle = 10 * np.log10(_energy(mic[settled]) / _energy(out[settled]))
    assert erle > 30, f"ERLE {erle:.1f} dB"  # measured 38.5 dB


def test_the_preprocessor_suppresses_stationary_noise_by_the_set_depth() -> None:
    rng = np.random.default_rng(2)
    noise = (rng.standard_normal(16000 * 4) * 300).astype(np.int16)
    results = {}
    for depth in (-30, 0):
        out = noise.copy()
        with PreprocessState(FRAME) as pre:
            pre.set_denoise(True)
            pre.set_noise_suppress(depth)
            assert pre.noise_suppress() == depth
            for start in range(0, out.size, FRAME):
                pre.run(out[start : start + FRAME])
        settled = slice(2 * 16000, None)
        results[depth] = 10 * np.log10(_energy(out[settled]) / _energy(noise[settled]))
    assert results[-30] < -15, results  # measured -23 dB
    assert abs(results[0]) < 1.5, results
