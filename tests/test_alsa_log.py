"""alsa-lib's messages are caught, not printed: the real libasound reports through our handler.

The messages are provoked in alsa-lib itself: opening a PCM that the configuration does not define ("Unknown
PCM ...", as PortAudio's probing does on every Raspberry Pi), and recovering an xrun on the `null` PCM
("underrun occurred", as a stream does whenever the machine falls behind).
"""

from __future__ import annotations

import ctypes
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from test_alsa_io import FakeCard, FakeStream, _card_io, _read_for

from assistant.audio.alsa_log import AlsaMessages, alsa_messages, format_leading, format_va_list
from assistant.audio.devices import AudioDeviceError
from assistant.audio.portaudio import Duplexer, StreamPlan

EPIPE = 32


@pytest.fixture(scope="module")
def libasound() -> ctypes.CDLL:
    try:
        return ctypes.CDLL("libasound.so.2")
    except OSError:
        pytest.skip("alsa-lib is not installed (Debian: libasound2)")


def _unknown_pcm(libasound: ctypes.CDLL, name: bytes) -> None:
    pcm = ctypes.c_void_p()
    assert libasound.snd_pcm_open(ctypes.byref(pcm), name, 0, 0) < 0


def _underrun(libasound: ctypes.CDLL) -> None:
    pcm = ctypes.c_void_p()
    assert libasound.snd_pcm_open(ctypes.byref(pcm), b"null", 0, 0) == 0  # 0: playback
    try:
        libasound.snd_pcm_recover(pcm, -EPIPE, 0)  # 0: not silent, as PortAudio calls it
    finally:
        libasound.snd_pcm_close(pcm)


def test_alsa_lib_reports_to_the_collector_not_to_stderr(
    libasound: ctypes.CDLL, capfd: pytest.CaptureFixture[str]
) -> None:
    messages = alsa_messages()
    assert messages.installed and alsa_messages() is messages  # one per process, as alsa-lib's handler
    mark = messages.mark()
    _unknown_pcm(libasound, b"no_such_pcm")
    _underrun(libasound)
    mark, got, missed = messages.since(mark)
    texts = [message.text for message in got]
    assert texts[0] == "(snd_pcm_open_noupdate) Unknown PCM no_such_pcm"
    assert "(snd_pcm_recover) underrun occurred" in texts  # the first variadic argument, a string
    assert got[0].where.startswith("pcm.c:") and missed == 0
    # Two strings read from the variadic arguments, then the error code as alsa-lib appends it:
    assert any(text.startswith("(snd_pcm_recover) cannot recovery from underrun, prepare failed: ") for text in texts)
    assert "ALSA lib" not in capfd.readouterr().err
    assert messages.since(mark) == (mark, [], 0)


def test_more_messages_than_kept_are_still_counted(libasound: ctypes.CDLL) -> None:
    messages = AlsaMessages(None)  # not installed: fed by hand through the handler alsa-lib would call
    for n in range(300):
        messages._on_error(b"pcm.c", 1, b"f", 0, b"message %d", n)
    mark, got, missed = messages.since(0)
    assert mark == 300 and len(got) == 256 and missed == 44 and got[-1].text == "(f) message 299"


def test_a_format_is_filled_only_as_far_as_its_arguments_are_plain() -> None:
    name = ctypes.create_string_buffer(b"hw:1")
    address = ctypes.addressof(name)
    assert format_leading(b"cannot open %s (%d%%)", (address, 2**32 - 5)) == b"cannot open hw:1 (-5%)"
    assert format_leading(b"%u %x %c %i", (7, 255, ord("A"), -1)) == b"7 ff A -1"
    assert format_leading(b"%s and %s", (None, address)) == b"(null) and hw:1"
    # A width, a long, a double: their slot is not known, the rest of the format stays as it is.
    assert format_leading(b"rate %d, period %lu, %s", (48000, 1, address)) == b"rate 48000, period %lu, %s"
    assert format_leading(b"%5d %s", (1, address)) == b"%5d %s"
    assert format_leading(b"%s %s %s %s", (address,) * 3) == b"hw:1 hw:1 hw:1 %s"  # only three are read


def test_a_va_list_is_formatted_as_alsa_lib_1_2_15_passes_it(tmp_path: Path) -> None:
    """alsa-lib 1.2.15+ hands its log handler a va_list; a C caller makes a real one here."""
    compiler = shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (Debian: build-essential)")
    source = tmp_path / "caller.c"
    source.write_text(
        "#include <stdarg.h>\n"
        "typedef void (*handler_t)(const char *fmt, va_list arg);\n"
        "void call(handler_t handler, const char *fmt, ...) {\n"
        "    va_list arg; va_start(arg, fmt); handler(fmt, arg); va_end(arg);\n"
        "}\n"
    )
    library = tmp_path / "libcaller.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    caller = ctypes.CDLL(str(library))
    got: list[bytes] = []
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_void_p)
    handler = handler_type(lambda fmt, arg: got.append(format_va_list(fmt, arg)))
    caller.call(handler, b"%s occurred after %d ms (%.1f%%, %lld)", b"underrun", ctypes.c_int(12),
                ctypes.c_double(2.5), ctypes.c_longlong(1 << 40))
    assert got == [b"underrun occurred after 12 ms (2.5%, 1099511627776)"]


def test_the_running_stream_logs_each_message_once_and_counts_them(
    libasound: ctypes.CDLL, caplog: pytest.LogCaptureFixture
) -> None:
    card = FakeCard()
    audio = _card_io(card, input_channel=0)
    with caplog.at_level(logging.WARNING, logger="assistant.audio.portaudio"):
        audio.start()
        try:
            for _ in range(3):
                _underrun(libasound)
            _read_for(audio, 0.3)  # the supervisor looks every 0.1 s
        finally:
            audio.stop()
    underruns = [r for r in caplog.records if "underrun occurred" in r.getMessage()]
    assert len(underruns) == 1 and "repeats are counted" in underruns[0].getMessage()
    assert audio.stats().alsa_messages == 9  # a recovery on `null` reports three (prepare fails there)


class _RefusingCard(FakeCard):
    """Opening fails after alsa-lib said why, as PortAudio's ALSA host does."""

    def __init__(self, libasound: ctypes.CDLL) -> None:
        super().__init__()
        self.libasound = libasound

    def open(self, plan: StreamPlan, duplexer: Duplexer) -> FakeStream:
        _unknown_pcm(self.libasound, b"plughw_gone")
        raise RuntimeError("Error opening Stream: Invalid device [PaErrorCode -9996]")


def test_a_device_that_will_not_open_is_explained_in_alsa_lib_words_too(libasound: ctypes.CDLL) -> None:
    audio = _card_io(_RefusingCard(libasound))
    with pytest.raises(AudioDeviceError) as error:
        audio.start()
    assert "Invalid device" in str(error.value) and "ALSA: (snd_pcm_open_noupdate) Unknown PCM plughw_gone" in str(
        error.value
    )
    assert audio.stats().alsa_messages == 0  # the opening's, not the running stream's
