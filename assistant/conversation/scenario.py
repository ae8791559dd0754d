"""A scenario: what happens in the simulated room, read from a TOML file (see shared/scenarios/README.md).

```
config = "assistant.toml"    # optional: the assistant config to use
wake = false                 # optional: take any speech without a wake word (default: as configured)
duration = 60.0              # optional: room time to run (needed when nothing is said)
[room]                       # optional: rir, echo_gain_db, echo_delay_ms, noise, snr_db
[[utterance]]                # audio, one of at / after_reply_start / after_reply_end, gain_db
```

Paths are relative to the scenario file. Everything is checked when the file is loaded, so that a typo or a
missing recording stops the run before any model is loaded; each error names the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.audio.room import RoomSetup, SimulatedRoom, Utterance
from assistant.errors import ConfigurationError

KEYS = ("config", "wake", "duration", "room", "utterance")


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario. `setup` is the file's [room] table; `room()` builds the room itself."""

    path: Path
    config: Path | None  # the assistant config to use; None: the one the command line names
    wake: bool | None  # None: as the config says
    duration: float | None  # room seconds to run; None: until every utterance has been answered
    setup: RoomSetup
    utterances: tuple[Utterance, ...]

    @classmethod
    def load(cls, path: Path) -> Scenario:
        """Read and check a scenario file; raises ConfigurationError naming the file and the key."""
        path = Path(path).expanduser()
        raw = _read(path)
        origin = str(path)
        unknown = sorted(set(raw) - set(KEYS))
        if unknown:
            raise ConfigurationError(
                f"{origin}: unknown key(s) {', '.join(unknown)} (allowed at the top: {', '.join(KEYS)})"
            )
        base = path.parent
        room = _table(raw, "room", origin)
        tables = raw.get("utterance", [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise ConfigurationError(f"{origin}: utterance: write each utterance as an [[utterance]] table")
        setup = RoomSetup.from_table(room, base=base, origin=origin)
        utterances = tuple(
            Utterance.from_table(table, base=base, origin=origin, index=i) for i, table in enumerate(tables)
        )
        # Readable, not only present: a broken recording would otherwise surface after the models loaded.
        for key, audio in (("room.rir", setup.rir), ("room.noise", setup.noise)):
            _check_audio(audio, f"{origin}: {key}")
        for i, utterance in enumerate(utterances):
            _check_audio(utterance.audio, f"{origin}: utterance[{i}].audio")
        duration = _duration(raw, origin)
        if not utterances and duration is None:
            raise ConfigurationError(
                f"{origin}: no [[utterance]] and no duration: nothing would happen; add an utterance, "
                "or `duration = SECONDS` to run the room with nobody speaking"
            )
        return cls(
            path=path,
            config=_config_path(raw, base, origin),
            wake=_wake(raw, origin),
            duration=duration,
            setup=setup,
            utterances=utterances,
        )

    def room(
        self,
        *,
        realtime: bool,
        block_ms: int = 10,
        speaker_wav: Path | None = None,
        vad_model: Path | None = None,
    ) -> SimulatedRoom:
        """A fresh room playing this scenario (a room is used once: its clock only runs forward).

        `vad_model`: Silero VAD for the ground truth of where speech starts and ends (an energy threshold
        without it, rough in noise). `speaker_wav`: where to record what the speaker played.
        """
        return SimulatedRoom(
            self.utterances,
            self.setup,
            block_ms=block_ms,
            realtime=realtime,
            duration=self.duration,
            speaker_wav=speaker_wav,
            vad_model=vad_model,
        )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ConfigurationError(f"{path}: is a folder; give a scenario file (.toml)") from None
    except PermissionError:
        raise ConfigurationError(f"{path}: cannot be read: permission denied") from None
    except tomllib.TOMLDecodeError as exc:  # its message says the line and column
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: not valid TOML: the file is not UTF-8 text") from None


def _table(raw: Mapping[str, Any], key: str, origin: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigurationError(f"{origin}: {key}: {value!r} is not a table; write it as [{key}]")
    return value


def _config_path(raw: Mapping[str, Any], base: Path, origin: str) -> Path | None:
    value = raw.get("config")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{origin}: config: {value!r} is not a path (a string)")
    path = (base / value).expanduser()
    if not path.is_file():
        raise ConfigurationError(f"{origin}: config: {path}: no such file (paths are relative to {base})")
    return path


def _wake(raw: Mapping[str, Any], origin: str) -> bool | None:
    value = raw.get("wake")
    if value is not None and not isinstance(value, bool):
        raise ConfigurationError(f"{origin}: wake: {value!r} is not true or false")
    return value


def _duration(raw: Mapping[str, Any], origin: str) -> float | None:
    value = raw.get("duration")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"{origin}: duration: {value!r} is not a number of seconds")
    if value <= 0:
        raise ConfigurationError(f"{origin}: duration: must be more than 0 seconds, got {value}")
    return float(value)


def _check_audio(path: Path | None, where: str) -> None:
    if path is None:
        return
    import soundfile

    try:
        soundfile.info(str(path))
    except (RuntimeError, soundfile.SoundFileError) as exc:
        raise ConfigurationError(
            f"{where}: {path}: cannot read this audio file ({exc}); give a WAV, FLAC or OGG recording"
        ) from None
