"""A small ctypes binding of Debian's libspeexdsp.so.1: the echo canceller and the preprocessor.

The PyPI `speexdsp` package wraps only the canceller; the preprocessor (noise suppression, residual echo
suppression linked to the canceller, AGC) is what makes the canceller's output usable, so both are bound
here directly. No compiler is needed: the runtime library is enough.

Every C call reads or writes exactly `frame_size` int16 samples through raw pointers, so each array is
checked (type, dtype, shape, contiguity, writability) before the call: a wrong frame raises ValueError
instead of letting C read or write out of bounds. Speex's own VAD is a stub and is deliberately not bound.

The C states are freed by `close()` (or leaving a `with` block); `__del__` is only the fallback.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Self

import numpy as np

from assistant.errors import ConfigurationError

LIBRARY = "libspeexdsp.so.1"

# From /usr/include/speex/speex_echo.h and speex_preprocess.h (libspeexdsp 1.2).
SPEEX_ECHO_GET_FRAME_SIZE = 3
SPEEX_ECHO_SET_SAMPLING_RATE = 24
SPEEX_ECHO_GET_SAMPLING_RATE = 25
SPEEX_PREPROCESS_SET_DENOISE = 0
SPEEX_PREPROCESS_SET_AGC = 2
SPEEX_PREPROCESS_SET_AGC_LEVEL = 6
SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18
SPEEX_PREPROCESS_GET_NOISE_SUPPRESS = 19
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22
SPEEX_PREPROCESS_SET_ECHO_STATE = 24

_void_p = ctypes.c_void_p
_int = ctypes.c_int


@functools.cache
def load_library(name: str = LIBRARY) -> ctypes.CDLL:
    """libspeexdsp with the prototypes of the functions used here (loaded once per name; dlopen is shared)."""
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise ConfigurationError(
            f"the Speex front-end needs the shared library {name}, which could not be loaded ({exc}); "
            "install the Debian package libspeexdsp1 (sudo apt-get install libspeexdsp1, which scripts/install.sh "
            "does), or switch the front-end off in the config: [frontend] aec = false, noise_suppression = false"
        ) from exc
    prototypes: dict[str, tuple[type | None, list[type]]] = {
        "speex_echo_state_init": (_void_p, [_int, _int]),
        "speex_echo_state_destroy": (None, [_void_p]),
        "speex_echo_state_reset": (None, [_void_p]),
        "speex_echo_cancellation": (None, [_void_p, _void_p, _void_p, _void_p]),
        "speex_echo_ctl": (_int, [_void_p, _int, _void_p]),
        "speex_preprocess_state_init": (_void_p, [_int, _int]),
        "speex_preprocess_state_destroy": (None, [_void_p]),
        "speex_preprocess_run": (_int, [_void_p, _void_p]),
        "speex_preprocess_ctl": (_int, [_void_p, _int, _void_p]),
    }
    for function, (restype, argtypes) in prototypes.items():
        fn = getattr(lib, function)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def check_frame(frame: object, frame_size: int, what: str, *, writable: bool = False) -> np.ndarray:
    """`frame` if C may touch exactly `frame_size` int16 samples through its pointer, else ValueError."""
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"{what} must be a numpy int16 array of {frame_size} samples, not {type(frame).__name__}")
    if frame.dtype != np.int16 or frame.shape != (frame_size,) or not frame.flags.c_contiguous:
        raise ValueError(
            f"{what} must be a C-contiguous 1-D int16 array of {frame_size} samples "
            f"(got dtype {frame.dtype}, shape {frame.shape}, contiguous {frame.flags.c_contiguous}); "
            "convert with np.ascontiguousarray(x, dtype=np.int16) and cut the audio into frames of that size"
        )
    if writable and not frame.flags.writeable:
        raise ValueError(f"{what} must be writable: it is processed in place")
    return frame


class _State:
    """An owned C state pointer, freed exactly once."""

    _destroy_name = ""

    def __init__(self, lib: ctypes.CDLL, pointer: int | None, what: str) -> None:
        if not pointer:
            raise MemoryError(f"libspeexdsp could not create the {what} state")
        self._lib = lib
        self._state: int | None = pointer

    @property
    def closed(self) -> bool:
        return self._state is None

    def _pointer(self) -> int:
        if self._state is None:
            raise RuntimeError(f"{type(self).__name__} is closed")
        return self._state

    def close(self) -> None:
        """Free the C state (idempotent)."""
        state, self._state = self._state, None
        if state is not None:
            getattr(self._lib, self._destroy_name)(state)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Fallback only: interpreter shutdown may already have torn down attributes.
        if getattr(self, "_state", None) is not None:
            self.close()


class EchoState(_State):
    """Speex MDF acoustic echo canceller on int16 mono frames.

    `frame_size` samples per call (10 or 20 ms recommended); `filter_length` samples of echo tail modelled.
    """

    _destroy_name = "speex_echo_state_destroy"

    def __init__(self, frame_size: int, filter_length: int, sample_rate: int = 16000, *, library: str = LIBRARY):
        if frame_size <= 0 or filter_length <= 0 or sample_rate <= 0:
            raise ValueError(
                f"frame_size ({frame_size}), filter_length ({filter_length}) and sample_rate ({sample_rate}) "
                "must be positive"
            )
        lib = load_library(library)
        super().__init__(lib, lib.speex_echo_state_init(frame_size, filter_length), "echo canceller")
        self.frame_size = frame_size
        self.filter_length = filter_length
        self.sample_rate = sample_rate
        rate = ctypes.c_int(sample_rate)
        lib.speex_echo_ctl(self._state, SPEEX_ECHO_SET_SAMPLING_RATE, ctypes.byref(rate))
        self._out = np.zeros(frame_size, dtype=np.int16)
        self._out_ptr = self._out.ctypes.data
        self._cancel = lib.speex_echo_cancellation

    def cancel(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """The mic frame with the echo of `reference` removed.

        Returns an internal buffer that the next call overwrites: copy it to keep it.
        """
        n = self.frame_size
        state = self._pointer()
        check_frame(mic, n, "microphone frame")
        check_frame(reference, n, "reference frame")
        self._cancel(state, mic.ctypes.data, reference.ctypes.data, self._out_ptr)
        return self._out

    def reset(self) -> None:
        """Forget the adapted echo path (after the playback-to-capture delay changed)."""
        self._lib.speex_echo_state_reset(self._pointer())

    def ctl_int(self, request: int) -> int:
        """An integer `speex_echo_ctl` GET request (e.g. SPEEX_ECHO_GET_SAMPLING_RATE)."""
        value = ctypes.c_int(0)
        self._lib.speex_echo_ctl(self._pointer(), request, ctypes.byref(value))
        return value.value


class PreprocessState(_State):
    """Speex preprocessor: noise suppression, residual echo suppression (when linked to a canceller), AGC.

    `run` processes a frame in place; its output lags its input by one frame (overlap-add synthesis).
    """

    _destroy_name = "speex_preprocess_state_destroy"

    def __init__(self, frame_size: int, sample_rate: int = 16000, *, library: str = LIBRARY) -> None:
        if frame_size <= 0 or sample_rate <= 0:
            raise ValueError(f"frame_size ({frame_size}) and sample_rate ({sample_rate}) must be positive")
        lib = load_library(library)
        super().__init__(lib, lib.speex_preprocess_state_init(frame_size, sample_rate), "preprocessor")
        self.frame_size = frame_size
        self.sample_rate = sample_rate
        self._echo: EchoState | None = None
        self._run = lib.speex_preprocess_run

    def _ctl(self, request: int, value: ctypes._SimpleCData) -> None:
        self._lib.speex_preprocess_ctl(self._pointer(), request, ctypes.byref(value))

    def set_denoise(self, enabled: bool) -> None:
        # Speex applies no gain at all when denoise is off, residual echo suppression included.
        self._ctl(SPEEX_PREPROCESS_SET_DENOISE, ctypes.c_int(int(enabled)))

    def set_noise_suppress(self, db: int) -> None:
        self._ctl(SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, ctypes.c_int(db))

    def noise_suppress(self) -> int:
        value = ctypes.c_int(0)
        self._ctl(SPEEX_PREPROCESS_GET_NOISE_SUPPRESS, value)
        return value.value

    def set_echo_suppress(self, db: int, active_db: int) -> None:
        """Residual echo attenuation: `db` while only the far end talks, `active_db` during double talk."""
        self._ctl(SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, ctypes.c_int(db))
        self._ctl(SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, ctypes.c_int(active_db))

    def set_agc(self, enabled: bool, level: float = 8000.0) -> None:
        self._ctl(SPEEX_PREPROCESS_SET_AGC, ctypes.c_int(int(enabled)))
        # The AGC level is a float* in the C API, unlike the other settings.
        self._ctl(SPEEX_PREPROCESS_SET_AGC_LEVEL, ctypes.c_float(level))

    def link_echo(self, echo: EchoState | None) -> None:
        """Use `echo`'s residual echo estimate (None unlinks); the canceller must stay open while linked."""
        pointer = echo._pointer() if echo is not None else None
        # SET_ECHO_STATE takes the state pointer itself, not a pointer to it.
        self._lib.speex_preprocess_ctl(self._pointer(), SPEEX_PREPROCESS_SET_ECHO_STATE, pointer)
        self._echo = echo

    def run(self, frame: np.ndarray) -> None:
        """Process `frame` in place."""
        state = self._pointer()
        if self._echo is not None and self._echo.closed:
            # The C side would read the freed canceller.
            raise RuntimeError("the linked EchoState was closed; unlink it (link_echo(None)) first")
        check_frame(frame, self.frame_size, "frame", writable=True)
        self._run(state, frame.ctypes.data)
