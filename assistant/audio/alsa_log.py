"""alsa-lib's own messages, caught instead of printed.

alsa-lib writes its errors straight to stderr ("ALSA lib pcm.c:8570:(snd_pcm_recover) underrun occurred"), past
Python's logging: under systemd every playback gap of a weeks-long run becomes a journal line, and PortAudio's
probing of the devices prints a dozen lines at every start on a Raspberry Pi ("Unknown PCM cards.pcm.rear").
The handler installed here only records them; the audio code logs each distinct one once and counts the rest
(`CardIO`, `AudioStats.alsa_messages`).

alsa-lib has one handler per process, so there is one collector per process: `alsa_messages()` installs it on
first use, which must come before PortAudio starts (importing sounddevice starts it). Two handler forms exist:
alsa-lib 1.2.15 and later pass the message's arguments as a `va_list`, formatted here with vsnprintf; older
releases call a variadic handler, whose leading arguments sit where a function's next parameters would on the
ABIs we run on (x86-64, AArch64, 32-bit ARM), so a handler declared with three more pointer-sized parameters
reads them, trusting only as many as the format says are there (strings and plain integers).

The handler runs on whichever thread alsa-lib reports from, the audio threads included, but only when something
already went wrong (an xrun, a device that would not open), never per block.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import itertools
import logging
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

log = logging.getLogger(__name__)

KEPT = 256  # messages kept for readers; the count goes on beyond
TEXT_BYTES = 512
LEGACY_ARGS = 3  # variadic arguments the pre-1.2.15 handler can read

_LOG_HANDLER = ctypes.CFUNCTYPE(
    None, ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
    ctypes.c_char_p, ctypes.c_void_p,
)
_ERROR_HANDLER = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
    *[ctypes.c_void_p] * LEGACY_ARGS,
)


@dataclass(frozen=True)
class AlsaMessage:
    seq: int  # 0, 1, ... in the order alsa-lib reported them
    text: str  # as alsa-lib would have printed it, after "ALSA lib file:line:"
    where: str  # "pcm.c:8570"


class AlsaMessages:
    """Every message alsa-lib reported since the handler went in: the last `KEPT`, and how many in all."""

    def __init__(self, library: ctypes.CDLL | None) -> None:
        self._library = library
        self._counter = itertools.count()  # next() is atomic: several audio threads may report at once
        self._recent: deque[AlsaMessage] = deque(maxlen=KEPT)
        self._handler: object = None  # the ctypes callback; alsa-lib holds only its address
        self.installed = False
        if library is not None:
            self._install(library)

    # ------------------------------------------------------------------------------------------ readers

    def mark(self) -> int:
        """A point to read from later with `since`."""
        recent = self._recent
        return recent[-1].seq + 1 if recent else 0

    def since(self, mark: int) -> tuple[int, list[AlsaMessage], int]:
        """The messages after `mark`, a mark for the next read, and how many came but are no longer kept."""
        if self.mark() <= mark:  # the usual answer to a reader polling ten times a second: no copy of the rest
            return mark, [], 0
        recent = list(self._recent)  # one copy under the GIL: the handler may append meanwhile
        new = [message for message in recent if message.seq >= mark]
        if not new:
            return mark, [], 0
        return new[-1].seq + 1, new, new[0].seq - mark

    @contextmanager
    def quiet(self, doing: str) -> Iterator[None]:
        """Log at debug level what alsa-lib reports while `doing` (probing devices is noisy by nature)."""
        mark = self.mark()
        try:
            yield
        finally:
            _, messages, _ = self.since(mark)
            for message in messages:
                log.debug("ALSA while %s: %s (%s)", doing, message.text, message.where)

    # ----------------------------------------------------------------------------------------- handlers

    def _install(self, library: ctypes.CDLL) -> None:
        library.snd_strerror.restype = ctypes.c_char_p
        set_log_handler = getattr(library, "snd_lib_log_set_handler", None)
        if set_log_handler is not None:
            handler: object = _LOG_HANDLER(self._on_log)
            set_log_handler.argtypes = [_LOG_HANDLER]
            set_log_handler.restype = ctypes.c_void_p
            restore = functools.partial(set_log_handler, _LOG_HANDLER())
            self._filter = library.snd_lib_log_filter
            self._filter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
            _vsnprintf()  # found now: find_library runs ldconfig, not a thing for an audio thread to wait on
        else:
            handler = _ERROR_HANDLER(self._on_error)
            set_log_handler = library.snd_lib_error_set_handler
            set_log_handler.argtypes = [_ERROR_HANDLER]
            restore = functools.partial(set_log_handler, _ERROR_HANDLER())
        set_log_handler(handler)
        self._handler = handler
        self.installed = True
        # Back to alsa-lib's own printing before the interpreter goes: a late message (PortAudio's exit
        # handler closing a stream) must not call into a finalized Python.
        atexit.register(restore)

    def _on_log(self, prio: int, interface: int, file: bytes | None, line: int, function: bytes | None,
                errcode: int, fmt: bytes | None, args: int | None) -> None:
        """alsa-lib 1.2.15+: `args` is the message's va_list."""
        with suppress(Exception):  # an exception cannot cross back into C: the message is lost, nothing else
            if not self._filter(prio, interface, None):  # LIBASOUND_DEBUG, errors only by default
                return
            self._record(file, line, function, errcode, format_va_list(fmt or b"", args))

    def _on_error(self, file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None,
                  *args: int | None) -> None:
        """alsa-lib before 1.2.15: `args` are the first variadic arguments, as far as `fmt` says there are any."""
        with suppress(Exception):
            self._record(file, line, function, err, format_leading(fmt or b"", args))

    def _record(self, file: bytes | None, line: int, function: bytes | None, err: int, text: bytes) -> None:
        message = text.decode("utf-8", "replace")
        if err:
            message += f": {self._strerror(err)}"
        if function:
            message = f"({function.decode('utf-8', 'replace')}) {message}"
        where = f"{(file or b'?').decode('utf-8', 'replace')}:{line}"
        self._recent.append(AlsaMessage(next(self._counter), message, where))

    def _strerror(self, err: int) -> str:
        text = self._library.snd_strerror(err) if self._library is not None else None
        return text.decode("utf-8", "replace") if text else f"error {err}"


def format_leading(fmt: bytes, args: tuple[int | None, ...]) -> bytes:
    """`fmt` with its first conversions filled from `args` while they are plain strings or integers.

    A pointer-sized slot holds a string's address or an int in its low 32 bits on every ABI we run on; anything
    else (a double, a long long, a width) may sit elsewhere, so the format is kept as it is from there on.
    """
    out = bytearray()
    used = i = 0
    while i < len(fmt):
        char = fmt[i]
        if char != ord("%"):
            out.append(char)
            i += 1
            continue
        conversion = fmt[i + 1 : i + 2]
        if conversion == b"%":
            out += b"%"
        elif conversion in (b"s", b"d", b"i", b"u", b"x", b"c") and used < len(args):
            value = args[used] or 0
            used += 1
            if conversion == b"s":
                out += ctypes.string_at(value)[:TEXT_BYTES] if value else b"(null)"
            else:
                low = value & 0xFFFFFFFF
                signed = low - (1 << 32) if low >= 1 << 31 else low
                out += {b"d": str(signed), b"i": str(signed), b"u": str(low), b"x": f"{low:x}",
                        b"c": chr(low & 0xFF)}[conversion].encode()
        else:
            return bytes(out + fmt[i:])
        i += 2
    return bytes(out)


def format_va_list(fmt: bytes, args: int | None) -> bytes:
    """`fmt` filled from a C `va_list` (as received by a callback: a pointer-sized value on our ABIs)."""
    text = ctypes.create_string_buffer(TEXT_BYTES)
    _vsnprintf()(text, TEXT_BYTES, fmt, args)
    return text.value


@functools.cache
def _vsnprintf() -> ctypes._CFuncPtr:
    # PyDLL: a call of microseconds needs no release and re-acquisition of the GIL.
    vsnprintf = ctypes.PyDLL(ctypes.util.find_library("c")).vsnprintf
    vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    vsnprintf.restype = ctypes.c_int
    return vsnprintf


_install_lock = threading.Lock()


@functools.cache
def _collector() -> AlsaMessages:
    try:
        library = ctypes.CDLL("libasound.so.2")
    except OSError:  # no alsa-lib (another OS): PortAudio does not use ALSA either
        return AlsaMessages(None)
    return AlsaMessages(library)


def alsa_messages() -> AlsaMessages:
    """The process's collector (alsa-lib's handler is the process's), installed on the first call."""
    with _install_lock:  # functools.cache alone could install twice from two threads
        return _collector()
