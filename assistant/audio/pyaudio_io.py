"""PortAudio through the `pyaudio` package: the second binding behind `CardIO` (audio.backend = "pyaudio").

Differences from sounddevice that matter here: a duplex stream has one channel count for both directions
(the plan then opens the speaker with the microphone's count, or two streams), the callback receives bytes
and must return `bytes` (PyAudio refuses views, so each output block is one small copy: the only
allocation per block, a few hundred bytes), and the latency cannot be chosen (PortAudio's low-latency
default is used; audio.latency_ms is ignored).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from assistant.audio.alsa_log import alsa_messages
from assistant.audio.devices import DeviceInfo, Kind
from assistant.audio.portaudio import Duplexer, StreamHandle, StreamPlan
from assistant.errors import import_optional

log = logging.getLogger(__name__)


class PyAudioBinding:
    name = "pyaudio"
    needs_equal_channels = True

    def __init__(self) -> None:
        self.pyaudio = import_optional("pyaudio", engine="pyaudio audio backend", extra="pyaudio")
        with alsa_messages().quiet("PortAudio listed the devices"):
            self.pa = self.pyaudio.PyAudio()

    def devices(self) -> list[DeviceInfo]:
        pa = self.pa
        apis = [pa.get_host_api_info_by_index(i) for i in range(pa.get_host_api_count())]
        found = []
        for index in range(pa.get_device_count()):
            info = pa.get_device_info_by_index(index)
            api = apis[info["hostApi"]]
            found.append(
                DeviceInfo(
                    index=index,
                    name=info["name"],
                    hostapi=api["name"],
                    max_input_channels=int(info["maxInputChannels"]),
                    max_output_channels=int(info["maxOutputChannels"]),
                    default_samplerate=float(info["defaultSampleRate"]),
                    default_input=index == api["defaultInputDevice"] and info["hostApi"] == 0,
                    default_output=index == api["defaultOutputDevice"] and info["hostApi"] == 0,
                )
            )
        return found

    def supports(self, device: DeviceInfo, kind: Kind, rate: int, channels: int) -> bool:
        fmt = self.pyaudio.paInt16
        try:
            if kind == "input":
                return bool(self.pa.is_format_supported(rate, input_device=device.index, input_channels=channels,
                                                        input_format=fmt))
            return bool(self.pa.is_format_supported(rate, output_device=device.index, output_channels=channels,
                                                    output_format=fmt))
        except ValueError:
            return False

    def open(self, plan: StreamPlan, duplexer: Duplexer) -> StreamHandle:
        pyaudio = self.pyaudio
        go_on = pyaudio.paContinue
        overflow, underflow = pyaudio.paInputOverflow, pyaudio.paOutputUnderflow
        if plan.latency != "low":
            log.debug("pyaudio cannot set the latency; audio.latency_ms is ignored")
        in_shape = (plan.input_frames, plan.input_channels)
        out = np.zeros((plan.output_frames, plan.output_channels), np.int16)

        def duplex(in_data: bytes, frames: int, when: Any, status: int) -> tuple[Any, int]:
            if status:
                duplexer.device_flags(bool(status & overflow), bool(status & underflow))
            duplexer.on_duplex(np.frombuffer(in_data, np.int16).reshape(in_shape), out)
            return out.tobytes(), go_on

        def capture(in_data: bytes, frames: int, when: Any, status: int) -> tuple[Any, int]:
            if status:
                duplexer.device_flags(bool(status & overflow), False)
            duplexer.on_input(np.frombuffer(in_data, np.int16).reshape(in_shape))
            return None, go_on

        def playback(in_data: None, frames: int, when: Any, status: int) -> tuple[Any, int]:
            if status:
                duplexer.device_flags(False, bool(status & underflow))
            duplexer.on_output(out, when.get("output_buffer_dac_time", 0.0))
            return out.tobytes(), go_on

        common = {"format": pyaudio.paInt16, "start": False}
        if plan.duplex:
            streams = [
                self.pa.open(
                    rate=plan.input_rate, channels=plan.input_channels, input=True, output=True,
                    input_device_index=plan.input.index, output_device_index=plan.output.index,
                    frames_per_buffer=plan.input_frames, stream_callback=duplex, **common,
                )
            ]
        else:
            streams = [
                self.pa.open(
                    rate=plan.output_rate, channels=plan.output_channels, output=True,
                    output_device_index=plan.output.index, frames_per_buffer=plan.output_frames,
                    stream_callback=playback, **common,
                ),
                self.pa.open(
                    rate=plan.input_rate, channels=plan.input_channels, input=True,
                    input_device_index=plan.input.index, frames_per_buffer=plan.input_frames,
                    stream_callback=capture, **common,
                ),
            ]
        return _PyAudioStreams(streams, duplex=plan.duplex)

    def refresh(self) -> None:
        with alsa_messages().quiet("PortAudio listed the devices again"):
            self.pa.terminate()
            self.pa = self.pyaudio.PyAudio()


class _PyAudioStreams:
    def __init__(self, streams: list[Any], *, duplex: bool) -> None:
        self.streams = streams
        try:
            for stream in streams:
                stream.start_stream()
        except Exception:
            self.close()
            raise
        if duplex:
            self.latency = (streams[0].get_input_latency(), streams[0].get_output_latency())
        else:
            self.latency = (streams[1].get_input_latency(), streams[0].get_output_latency())

    def active(self) -> bool:
        # Not is_active(): ALSA's pulse plugin leaves that false until the first block. A stream whose thread
        # died of an error is not "stopped" either; the supervisor's stall check catches it.
        return not any(s.is_stopped() for s in self.streams)

    def close(self) -> None:
        for stream in self.streams:
            try:
                stream.stop_stream()
                stream.close()
            except Exception as exc:  # a vanished device may fail even to close
                log.debug("closing a pyaudio stream: %s", exc)
