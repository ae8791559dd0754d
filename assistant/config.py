"""The assistant's configuration: typed dataclasses loaded from one TOML file, checked field by field.

Lookup order: `--config FILE`, then `$ASSISTANT_CONFIG`, then /etc/assistant/assistant.toml, then
~/.config/assistant/assistant.toml, then the built-in defaults. Environment variables override single fields:
`ASSISTANT__SECTION__KEY=value` (the value in TOML syntax, or a bare string), and `ASSISTANT_MODELS_DIR` sets
`models.dir`. Every setting is declared once, below, with its documentation; the commented example file is
generated from these declarations (`assistant config example`), so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant import paths
from assistant.errors import ConfigurationError

# --------------------------------------------------------------------------------------------- declarations


def setting(
    default: Any,
    doc: str,
    *,
    min: float | None = None,
    max: float | None = None,
    check: typing.Callable[[Any], str | None] | None = None,
) -> Any:
    """A config field with its documentation and allowed range (checked on load, shown in errors); `check` says
    what else is wrong with a value, or None."""
    metadata = {"doc": doc, "min": min, "max": max, "check": check}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def section(cls: type) -> Any:
    return field(default_factory=cls)


EngineChoice = Literal["auto"]


def _latitude_longitude(value: list[float]) -> str | None:
    if not value:
        return None
    if len(value) != 2:
        return "is not [latitude, longitude] (e.g. [51.48, -0.01]), nor [] for the time zone's city"
    if not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
        return "is off the Earth: latitude -90 to 90, longitude -180 to 180 (e.g. [51.48, -0.01])"
    return None


@dataclass(frozen=True)
class GeneralConfig:
    """General behaviour of the process."""

    log_level: Literal["debug", "info", "warning", "error"] = setting(
        "info", "How much goes to the log (the journal, under systemd)."
    )
    state_dir: str = setting(
        "",
        "Folder for conversation memory and other small state. Empty: $STATE_DIRECTORY (systemd), "
        "/var/lib/assistant when writable, else ~/.local/state/assistant.",
    )
    onnx_threads: int = setting(
        1, "ONNX Runtime intra-op threads per model session (VAD, wake word).", min=1, max=16
    )
    location: list[float] = setting(
        [],
        "Where the device is, [latitude, longitude] in degrees (south and west negative), e.g. [51.48, -0.01]: for "
        "sunrise and sunset. Empty: the main city of the system's time zone, named in the answer.",
        check=_latitude_longitude,
    )


@dataclass(frozen=True)
class ModelsConfig:
    """Where models live and which board's default set to use."""

    dir: str = setting(
        "",
        "Models folder. Empty: $ASSISTANT_MODELS_DIR, else /var/lib/assistant/models if it exists, "
        "else ~/.local/share/assistant/models.",
    )
    profile: Literal["auto", "pi4", "pi5", "jetson"] = setting(
        "auto", "Which board's default models to use; auto detects the board."
    )
    manifest: str = setting("", "Model manifest file. Empty: the one shipped with the package.")


@dataclass(frozen=True)
class AudioConfig:
    """Microphone and speaker (PortAudio over ALSA)."""

    backend: Literal["sounddevice", "pyaudio"] = setting(
        "sounddevice", "PortAudio binding used for the sound card."
    )
    input_device: str = setting(
        "",
        "Microphone: ALSA name (hw:1,0, plughw:CARD=seeed2micvoicec), part of a PortAudio name (USB) "
        "or an index from `assistant devices`. Empty: the system default.",
    )
    output_device: str = setting("", "Speaker, in the same forms as input_device. Empty: the system default.")
    input_rate: int = setting(
        0,
        "Microphone sample rate in Hz. 0: the device's default. Converted to 16 kHz inside.",
        min=0,
        max=192000,
    )
    output_rate: int = setting(
        0, "Speaker sample rate in Hz. 0: the device's default. Speech is converted to it.", min=0, max=192000
    )
    input_channels: int = setting(
        0,
        "Channels to open on the microphone (1, 2, 4, 6 for arrays). 0: all of a hardware device's (up to 8), "
        "2 of a software device such as default or pulse.",
        min=0,
        max=32,
    )
    input_channel: int = setting(
        -1, "Which microphone channel to use (0-based); -1 mixes all channels.", min=-1, max=31
    )
    block_ms: Literal[10, 20] = setting(10, "Audio block length in milliseconds (the front-end's frame).")
    latency_ms: float = setting(
        0.0, "Requested device latency in ms. 0: PortAudio's low-latency default.", min=0.0, max=1000.0
    )
    ring_seconds: float = setting(
        2.0, "Capacity of the capture and playback rings in seconds.", min=0.1, max=60.0
    )


@dataclass(frozen=True)
class FrontendConfig:
    """Speex echo cancellation and preprocessor, between the microphone and the listener."""

    aec: bool = setting(True, "Cancel the assistant's own voice from the microphone (Speex AEC).")
    aec_tail_ms: int = setting(
        200, "Echo tail the canceller models, in ms (room reverberation length); half as long again for the "
        "canceller playback_delay_ms = \"auto\" trains at start-up on the greeting.", min=20, max=1000
    )
    playback_delay_ms: float | Literal["auto"] = setting(
        "auto",
        "Fixed delay from the speaker block to its echo at the microphone, in ms. The reference is delayed by "
        "this less a quarter of aec_tail_ms (kept for early echo and jitter) before the canceller. auto: "
        "measured on the greeting once it is over, or on the first 3 s of playback (`assistant bench aec` prints it "
        "for a recording).",
        min=0.0, max=2000.0,
    )
    noise_suppression: bool = setting(True, "Speex noise suppression.")
    noise_suppress_db: int = setting(-30, "Maximum noise attenuation in dB.", min=-90, max=0)
    echo_suppress_db: int = setting(
        -40, "Maximum residual echo attenuation in dB (preprocessor linked to the canceller).", min=-90, max=0
    )
    echo_suppress_active_db: int = setting(
        -15, "Residual echo attenuation in dB while the user is also talking.", min=-90, max=0
    )
    agc: bool = setting(False, "Automatic gain control (helps quiet far-field microphones).")
    agc_level: int = setting(8000, "AGC target level (16-bit sample scale).", min=1000, max=32000)
    remove_dc: bool = setting(
        True, "Remove a DC offset from the microphone (the echo canceller always does; this covers aec = false)."
    )


@dataclass(frozen=True)
class VadConfig:
    """Voice activity detection (Silero VAD on ONNX Runtime)."""

    engine: Literal["auto", "silero"] = setting("auto", "VAD engine.")
    model: str = setting("silero-vad-v6", "Manifest model name or path to a Silero VAD .onnx file.")
    threshold: float = setting(0.5, "Speech probability above which a window is speech.", min=0.0, max=1.0)
    min_speech_ms: int = setting(
        250, "Speech shorter than this does not start a turn (coughs, clicks).", min=0, max=5000
    )
    hangover_ms: int = setting(
        700, "Silence that ends a turn (adjusted by the transcript, see [conversation]).", min=50, max=5000
    )
    pre_roll_ms: int = setting(
        300, "Audio kept from before speech started, so the first syllable is not lost.", min=0, max=2000
    )


@dataclass(frozen=True)
class WakeWordConfig:
    """One wake word."""

    model: str = setting("oww-hey-jarvis", "Manifest model name or path to an openWakeWord classifier .onnx.")
    threshold: float = setting(
        0.35, "Score at or above which an 80 ms chunk counts towards a detection (see patience).", min=0.0, max=1.0
    )
    patience: int = setting(
        3,
        "Consecutive 80 ms chunks at or above the threshold needed for a detection (openWakeWord's patience): "
        "a lone peak from a click or a confusable word does not wake it. 3 with threshold 0.35 is what meets "
        "the target (<= 5 % false rejects, 0 false accepts) for alexa on the shared recordings (bench wake).",
        min=1,
        max=25,
    )


@dataclass(frozen=True)
class WakeConfig:
    """Wake word detection (openWakeWord's ONNX models)."""

    engine: Literal["auto", "openwakeword", "none"] = setting(
        "auto",
        "auto: openWakeWord when a wake-word model is installed, otherwise none. "
        "none: any speech starts a turn.",
    )
    words: list[WakeWordConfig] = setting(
        [WakeWordConfig()], "Wake words, each a [[wake.words]] table; several may be active at once."
    )
    refractory_s: float = setting(
        2.0, "After a detection, the same word is ignored for this long.", min=0.0, max=30.0
    )
    vad_check: bool = setting(
        True, "Require Silero VAD speech at the detection, so noise alone cannot wake it."
    )
    vad_speech_s: float = setting(
        0.25,
        "With vad_check: at least this much speech (VAD windows at or above vad.threshold) in the second before "
        "a detection, so a click cannot pass the check; 0: one window is enough. Spoken wake words give 0.5 s "
        "or more.",
        min=0.0,
        max=1.0,
    )


@dataclass(frozen=True)
class SttConfig:
    """Speech-to-text: streaming partials while the user speaks, and the final transcript."""

    engine: Literal["auto", "whisper", "vosk", "sphinx"] = setting(
        "auto",
        "Engine for final transcripts. auto: whisper, then vosk, then pocketsphinx, by installed model.",
    )
    partials: Literal["auto", "vosk", "none"] = setting(
        "auto", "Engine for streaming partial transcripts. auto: vosk when its model is installed."
    )
    language: str = setting("en", "Spoken language (ISO 639-1), or auto to let whisper detect it.")
    whisper_model: str = setting(
        "", "Manifest name or path of a whisper.cpp ggml model. Empty: the profile's default, if installed."
    )
    vosk_model: str = setting(
        "", "Manifest name or path of a Vosk model folder. Empty: the profile's default, if installed."
    )
    sphinx_model: str = setting("", "Path to a pocketsphinx model folder. Empty: the English model it ships.")
    threads: int = setting(2, "CPU threads for whisper.cpp.", min=1, max=64)


@dataclass(frozen=True)
class LlmConfig:
    """The language model (llama.cpp through llama-cpp-python, any GGUF)."""

    engine: Literal["auto", "llama"] = setting("auto", "LLM engine.")
    model: str = setting(
        "", "Manifest name or path of a GGUF file. Empty: the profile's default, if installed."
    )
    n_ctx: int = setting(2048, "Context window in tokens.", min=128, max=131072)
    n_threads: int = setting(0, "CPU threads. 0: one per core.", min=0, max=256)
    n_gpu_layers: int = setting(0, "Layers offloaded to the GPU (Jetson); -1: all.", min=-1, max=1000)
    max_tokens: int = setting(200, "Longest reply in tokens.", min=1, max=8192)
    temperature: float = setting(0.7, "Sampling temperature.", min=0.0, max=2.0)
    top_p: float = setting(0.9, "Nucleus sampling.", min=0.0, max=1.0)
    chat_format: str = setting(
        "auto",
        "Chat template. auto: the GGUF's own; without one, ChatML when the vocab has <|im_start|>, else a plain "
        "User:/Assistant: prompt. plain: that prompt. Or a llama.cpp built-in name (chatml, llama3, gemma, phi3).",
    )
    system_prompt: str = setting(
        "You are a helpful voice assistant running offline on a small computer. "
        "Answer in one or two short spoken sentences, without lists or markup.",
        "The system prompt (kept in llama.cpp's cache between turns).",
    )
    date_in_prompt: bool = setting(
        True,
        "End the system prompt with today's date (\"Today is Thursday, November 26, 2026.\"): a model does not "
        "know it, and guesses the year its training ended. It changes once a day, so the prompt cache holds.",
    )


@dataclass(frozen=True)
class TtsConfig:
    """Text-to-speech: Piper voices, or espeak-ng with no model at all."""

    engine: Literal["auto", "piper", "espeak"] = setting(
        "auto", "auto: Piper when a voice is installed, otherwise espeak-ng."
    )
    voice: str = setting(
        "", "Manifest name or path of a Piper voice .onnx (its .onnx.json beside it). Empty: profile default."
    )
    speaker_id: int = setting(0, "Speaker of a multi-speaker Piper voice.", min=0, max=10000)
    length_scale: float = setting(
        0.0, "Piper speaking pace: above 1 slower, below 1 faster. 0: the voice's own.", min=0.0, max=5.0
    )
    noise_scale: float = setting(0.667, "Piper voice variability.", min=0.0, max=2.0)
    noise_w: float = setting(0.8, "Piper phoneme length variability.", min=0.0, max=2.0)
    espeak_voice: str = setting("en-us", "espeak-ng voice (`espeak-ng --voices` lists them).")
    espeak_rate: int = setting(175, "espeak-ng speed in words per minute.", min=80, max=450)
    volume: float = setting(1.0, "Output gain applied to synthesized speech.", min=0.0, max=4.0)
    sentence_pause_ms: int = setting(
        300,
        "Longest silence after a sentence: the voice's own longer pauses are cut to this (and its silence "
        "before the first word dropped), so that a reply does not fall quiet as if finished.",
        min=0,
        max=3000,
    )
    threads: int = setting(
        0, "ONNX Runtime intra-op threads for the Piper voice. 0: general.onnx_threads.", min=0, max=16
    )


@dataclass(frozen=True)
class ConversationConfig:
    """Turn-taking, barge-in and memory."""

    greeting: str = setting("Hello, I'm listening.", "Said once at start. Empty: say nothing.")
    earcon: bool = setting(True, "A short tone confirms the wake word.")
    follow_up_s: float = setting(
        6.0,
        "After a reply, the user may speak again without the wake word for this long.",
        min=0.0,
        max=120.0,
    )
    max_utterance_s: float = setting(15.0, "Longest user turn before it is closed.", min=1.0, max=120.0)
    hangover_complete_ms: int = setting(
        350, "Silence that ends a turn whose transcript already looks complete.", min=50, max=5000
    )
    hangover_incomplete_ms: int = setting(
        1200, "Silence that ends a turn ending mid-phrase (and, the, um).", min=50, max=10000
    )
    speculate_ms: int = setting(
        150,
        "After this much silence speech-to-text finishes early and the reply starts, held until the turn ends "
        "(taken back if the user goes on); 0: only when the turn ends.",
        min=0,
        max=5000,
    )
    barge_in: bool = setting(True, "The user may interrupt the assistant by speaking.")
    min_barge_in_ms: int = setting(
        200,
        "Speech needed before an interruption ends the reply (shorter sounds only duck it).",
        min=0,
        max=3000,
    )
    duck_db: float = setting(
        -60.0,
        "Reply level in dB while a possible interruption is checked (-60: silent at once); it comes back "
        "if the sound was not speech.",
        min=-60.0,
        max=0.0,
    )
    stop_phrases: list[str] = setting(
        ["stop", "pause", "wait", "cancel", "enough", "quiet", "hold on", "never mind", "shut up", "be quiet",
         "that's enough", "mute", "silence", "hush"],
        "Said over a reply, one of these ends it even when too short to interrupt it otherwise: speech-to-text "
        "checks each sound that ducked the reply for them (the reply stays ducked up to 1 s meanwhile). A turn "
        "that says only one of them gets no answer. Empty: none.",
    )
    min_output_db: float = setting(
        -18.0,
        "Lowest level (dB) the assistant turns its own voice down to when the echo of it clips the microphone "
        "(a clipped echo cannot be cancelled, and a user talking over it is not heard); it comes back up by "
        "1 dB after each reply that had room to spare. 0: never turn down.",
        min=-40.0,
        max=0.0,
    )
    barge_in_evidence_db: float = setting(
        12.0,
        "While the assistant speaks, how far (dB, added up over consecutive 32 ms windows) the microphone must "
        "rise above the expected level of the assistant's own echo before the reply ducks. Lower: the reply "
        "stops sooner when interrupted, but dips more often for its own echo.",
        min=4.0,
        max=40.0,
    )
    confirm_barge_in: bool = setting(
        True,
        "A sound over the reply interrupts it only if a second voice detector, started afresh at the sound, "
        "also hears speech in it (the main one, primed by the reply's voice, takes a running tap for speech). "
        "Off: a tap or a dishwasher starting during a reply may end it.",
    )
    history_tokens: int = setting(
        1024, "Token budget for remembered turns; the oldest are dropped beyond it.", min=0, max=131072
    )
    memory: bool = setting(
        True,
        "Keep the conversation, the timers, alarms and reminders, the lists, the notes, the volume and the speed "
        "across restarts (files in the state folder).",
    )
    apology: str = setting("Sorry, something went wrong.", "Said when a stage fails.")
    skills: list[Literal["time", "date", "timers", "alarms", "reminders", "lists", "notes", "volume", "speed",
                         "repeat", "math", "units", "random", "spelling", "limits"]] = setting(
        ["time", "date", "timers", "alarms", "reminders", "lists", "notes", "volume", "speed", "repeat", "math",
         "units", "random", "spelling", "limits"],
        "Answered on the device, at once and right, before the language model sees them (it cannot know the "
        "time): the time (\"what time is it in Tokyo\" too); the date and the day (\"how many days until "
        "Christmas\"); timers (\"set a pasta timer for eight minutes\", \"how much time is left\", \"cancel all "
        "timers\"); alarms (\"wake me up at seven AM\", \"every weekday at 7\", \"snooze\"); reminders (\"remind "
        "me to call mom at 5 PM\"); lists (\"add apples to my shopping list\", \"what's on my to-do list\"); notes "
        "(\"remember that I parked on level 3\", \"where did I park\"); the "
        "volume (\"louder\", \"set the volume to four\"); the speed of the voice (\"speak slower\", \"normal "
        "speed\"); \"say that again\" (the last reply, whole); sums "
        "(\"what's 15 times 23\", \"20 percent of 85\"); units (\"how many ounces in a pound\", \"350 Fahrenheit "
        "in Celsius\"); chance (\"flip a coin\", \"roll two dice\", \"pick a number between 1 and 10\"); spelling "
        "(\"how do you spell necessary\"); limits (the weather, the news, lights: said plainly that the device "
        "cannot). Empty: the language model answers everything.",
    )
    ring_volume: int = setting(
        6,
        "The least volume (1 to 10) a timer, alarm or reminder rings at, whatever the volume is set to: turned down "
        "for the evening, the morning's alarm must still wake. 1: the volume as set.",
        min=1,
        max=10,
    )
    timer_ring_s: float = setting(
        60.0,
        "How long a timer, alarm or reminder that ran out rings (a chime and \"your pasta timer is done\", again "
        "every few seconds) unless the user speaks.",
        min=5.0,
        max=3600.0,
    )
    stage_timeout_s: float = setting(
        20.0,
        "A stage (speech-to-text, LLM, voice) that makes no progress for this long is restarted. Not below 3 s: "
        "a slow board can take a second or more over one block of speech without reporting progress.",
        min=3.0,
        max=600.0,
    )


@dataclass(frozen=True)
class Config:
    """The whole configuration. Every section and field has a default."""

    general: GeneralConfig = section(GeneralConfig)
    models: ModelsConfig = section(ModelsConfig)
    audio: AudioConfig = section(AudioConfig)
    frontend: FrontendConfig = section(FrontendConfig)
    vad: VadConfig = section(VadConfig)
    wake: WakeConfig = section(WakeConfig)
    stt: SttConfig = section(SttConfig)
    llm: LlmConfig = section(LlmConfig)
    tts: TtsConfig = section(TtsConfig)
    conversation: ConversationConfig = section(ConversationConfig)


# ------------------------------------------------------------------------------------------------ problems


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration, said so that the user can fix it."""

    origin: str  # the file, or the environment variable
    key: str  # dotted path, e.g. vad.threshold or wake.words[1].model
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.key}: {self.message}" if self.key else f"{self.origin}: {self.message}"


class ConfigError(ConfigurationError):
    """The configuration has one or more problems; the message lists every one of them."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"invalid configuration ({count}):\n" + "\n".join(f"  {p}" for p in problems))


# ----------------------------------------------------------------------------------------------- checking

_MISSING = object()


def _show(value: Any) -> str:
    """A value as the user wrote it in TOML (strings quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(_show(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp)
        inner = "tables" if dataclasses.is_dataclass(item) else _type_name(item) + "s"
        return f"a list of {inner}"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(tp, str(tp))


class _Checker:
    """Turns raw TOML values into the typed dataclasses, collecting every problem instead of stopping."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[ConfigProblem] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(ConfigProblem(self.origin, key, message))

    def build(self, cls: type, raw: Mapping[str, Any], prefix: str, base: Any = None) -> Any:
        """An instance of `cls` from `raw`, starting from `base` (or the defaults) for absent keys."""
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for key in raw:
            if key not in fields:
                self._unknown(prefix, key, list(fields))
        values: dict[str, Any] = {}
        for name, fld in fields.items():
            if name not in raw:
                continue
            key = f"{prefix}{name}"
            current = getattr(base, name) if base is not None else None
            value = self.value(hints[name], raw[name], key, fld.metadata, current)
            if value is not _MISSING:
                values[name] = value
        start = base if base is not None else cls()
        return dataclasses.replace(start, **values)

    def _unknown(self, prefix: str, key: str, known: list[str]) -> None:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean '{prefix}{close[0]}'? " if close else ""
        where = f"[{prefix.rstrip('.')}]" if prefix else "the top level"
        self.problem(f"{prefix}{key}", f"unknown key ({hint}allowed in {where}: {', '.join(known)})")

    def value(self, tp: Any, raw: Any, key: str, meta: Mapping[str, Any], current: Any = None) -> Any:
        checked = self._typed(tp, raw, key, current)
        if checked is _MISSING:
            return _MISSING
        low, high = meta.get("min"), meta.get("max")
        is_number = isinstance(checked, int | float) and not isinstance(checked, bool)
        if is_number and ((low is not None and checked < low) or (high is not None and checked > high)):
            self.problem(key, f"{_show(raw)} is out of range (allowed: {low} to {high})")
            return _MISSING
        wrong = meta["check"](checked) if meta.get("check") else None
        if wrong:
            self.problem(key, f"{_show(raw)} {wrong}")
            return _MISSING
        return checked

    def _typed(self, tp: Any, raw: Any, key: str, current: Any) -> Any:
        ok = self._convert(tp, raw)
        if ok is not _MISSING:
            return ok
        if dataclasses.is_dataclass(tp) and isinstance(raw, dict):
            return self.build(tp, raw, key + ".", current)
        if typing.get_origin(tp) is list and isinstance(raw, list):
            (item,) = typing.get_args(tp)
            items = [self._typed(item, element, f"{key}[{i}]", None) for i, element in enumerate(raw)]
            return _MISSING if any(i is _MISSING for i in items) else items
        self.problem(key, f"{_show(raw)} is not allowed (allowed: {_type_name(tp)})")
        return _MISSING

    @staticmethod
    def _convert(tp: Any, raw: Any) -> Any:
        """`raw` as a value of the scalar type `tp`, or _MISSING if it is not one."""
        origin = typing.get_origin(tp)
        if origin is Literal:
            return raw if any(raw == a and type(raw) is type(a) for a in typing.get_args(tp)) else _MISSING
        if origin in (types.UnionType, typing.Union):
            for option in typing.get_args(tp):
                converted = _Checker._convert(option, raw)
                if converted is not _MISSING:
                    return converted
            return _MISSING
        if tp is bool:
            return raw if isinstance(raw, bool) else _MISSING
        if tp is int:
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else _MISSING
        if tp is float:
            return float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else _MISSING
        if tp is str:
            return raw if isinstance(raw, str) else _MISSING
        return _MISSING


# ------------------------------------------------------------------------------------------------ loading

ENV_PREFIX = "ASSISTANT__"
MODELS_DIR_ENV = "ASSISTANT_MODELS_DIR"
CONFIG_ENV = "ASSISTANT_CONFIG"


@dataclass(frozen=True)
class LoadedConfig:
    """The effective configuration, where it came from, and where each value was set."""

    config: Config
    path: Path | None  # the file read, or None for built-in defaults
    path_reason: str  # why that file (or none) was used
    sources: dict[str, str]  # dotted key -> "file PATH" or "env NAME"; absent keys are defaults

    def source_of(self, key: str) -> str:
        return self.sources.get(key, "default")


def find_config_file(cli_path: str | Path | None, env: Mapping[str, str]) -> tuple[Path | None, str]:
    """The config file to read, following the documented lookup order, and why it was chosen."""
    if cli_path:
        return Path(cli_path).expanduser(), "given with --config"
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser(), f"${CONFIG_ENV}"
    for candidate, why in ((paths.SYSTEM_CONFIG, "system config"), (paths.user_config(env), "user config")):
        if candidate.is_file():
            return candidate, why
    return None, "no config file found; built-in defaults"


def _flatten(raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys of every leaf set in a raw TOML table (lists of tables count as one leaf)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _parse_env_value(text: str) -> Any:
    """An environment value in TOML syntax (4, true, [1, 2], "x"), or the bare text as a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _env_overrides(env: Mapping[str, str]) -> list[tuple[str, str, Any]]:
    """(environment variable, dotted key, value) for every override in the environment."""
    found = []
    for name in sorted(env):
        if name.startswith(ENV_PREFIX):
            parts = name[len(ENV_PREFIX) :].lower().split("__")
            found.append((name, ".".join(parts), _parse_env_value(env[name])))
    if env.get(MODELS_DIR_ENV):
        found.append((MODELS_DIR_ENV, "models.dir", env[MODELS_DIR_ENV]))
    return found


def _nest(key: str, value: Any) -> dict[str, Any]:
    head, _, rest = key.partition(".")
    return {head: _nest(rest, value) if rest else value}


def load_config(cli_path: str | Path | None = None, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """Read, check and merge the configuration. Raises ConfigError listing every problem found."""
    env = os.environ if env is None else env
    path, reason = find_config_file(cli_path, env)
    problems: list[ConfigProblem] = []
    config = Config()
    sources: dict[str, str] = {}
    if path is not None:
        raw = _read_toml(path, reason, problems)
        if raw is not None:
            checker = _Checker(str(path))
            config = checker.build(Config, raw, "")
            problems += checker.problems
            sources.update({k: f"file {path}" for k in _flatten(raw)})
    for name, key, value in _env_overrides(env):
        checker = _Checker(f"environment variable {name}")
        config = checker.build(Config, _nest(key, value), "", config)
        problems += checker.problems
        sources[key] = f"env {name}"
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(config, path, reason, sources)


def _read_toml(path: Path, reason: str, problems: list[ConfigProblem]) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        fix = "create it (`assistant config example > FILE`) or point --config elsewhere"
        problems.append(ConfigProblem(str(path), "", f"file not found ({reason}); {fix}"))
    except PermissionError:
        problems.append(ConfigProblem(str(path), "", "cannot be read: permission denied"))
    except IsADirectoryError:
        problems.append(ConfigProblem(str(path), "", "is a folder, not a TOML file"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(ConfigProblem(str(path), "", f"not valid TOML: {exc}"))
    except UnicodeDecodeError:
        problems.append(ConfigProblem(str(path), "", "not valid TOML: the file is not UTF-8 text"))
    return None


# --------------------------------------------------------------------------------------------- rendering


def toml_value(value: Any) -> str:
    """A Python value in TOML syntax (the subset the config uses)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _wrap_comment(text: str, width: int = 110) -> list[str]:
    import textwrap

    return [f"# {line}" for line in textwrap.wrap(text, width - 2)]


def render(
    config: Config,
    *,
    comments: bool = True,
    source_of: typing.Callable[[str], str] | None = None,
) -> str:
    """The configuration as TOML: documented (for the example file) and/or annotated with value sources."""
    lines: list[str] = []
    for sec in dataclasses.fields(Config):
        sec_value = getattr(config, sec.name)
        if comments:
            lines += _wrap_comment((type(sec_value).__doc__ or "").strip())
        lines.append(f"[{sec.name}]")
        tables: list[tuple[str, list[Any], str]] = []
        for fld in dataclasses.fields(sec_value):
            key = f"{sec.name}.{fld.name}"
            value = getattr(sec_value, fld.name)
            if isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
                tables.append((key, value, fld.metadata.get("doc", "")))
                continue
            if comments:
                lines += _wrap_comment(fld.metadata.get("doc", ""))
            line = f"{fld.name} = {toml_value(value)}"
            if source_of is not None:
                line += f"  # {source_of(key)}"
            lines.append(line)
        for key, items, doc in tables:
            if comments:
                lines += _wrap_comment(doc)
            for item in items:
                lines.append(f"[[{key}]]")
                for sub in dataclasses.fields(item):
                    if comments:
                        lines += _wrap_comment(sub.metadata.get("doc", ""))
                    line = f"{sub.name} = {toml_value(getattr(item, sub.name))}"
                    if source_of is not None:
                        line += f"  # {source_of(key)}"
                    lines.append(line)
        lines.append("")
    return "\n".join(lines)


def example_toml() -> str:
    """The commented example configuration: every setting, at its default, with its documentation."""
    header = [
        "# Configuration of the offline voice assistant. Every setting is shown at its default.",
        "# Looked up in this order: --config FILE, $ASSISTANT_CONFIG, /etc/assistant/assistant.toml,",
        "# ~/.config/assistant/assistant.toml. A single setting can be overridden from the environment:",
        "# ASSISTANT__SECTION__KEY=value (e.g. ASSISTANT__LLM__N_THREADS=4). Check a file with",
        "# `assistant config check FILE`; see the effective values with `assistant config show`.",
        "# Generated by `assistant config example` from assistant/config.py.",
        "",
    ]
    return "\n".join(header) + "\n" + render(Config())


def all_keys(config: Config | None = None) -> list[str]:
    """Every dotted key of the configuration (list-of-table fields as one key)."""
    config = config or Config()
    return [
        f"{s.name}.{f.name}"
        for s in dataclasses.fields(config)
        for f in dataclasses.fields(getattr(config, s.name))
    ]
