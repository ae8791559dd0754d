"""Scenario files: the shared examples load, every mistake is named with its file and key before anything runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from assistant.audio.resample import resample
from assistant.audio_files import read_audio
from assistant.conversation.scenario import Scenario
from assistant.errors import ConfigurationError

RATE = 16000


@pytest.fixture()
def voice(shared_audio: Path) -> Path:
    return shared_audio / "commands" / "speech_to_phrase" / "en" / "what_time_is_it.wav"


def _write(folder: Path, text: str, name: str = "scenario.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _fails(path: Path, *fragments: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        Scenario.load(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    return message


def test_every_shared_scenario_loads_and_builds_its_room(shared_scenarios: Path) -> None:
    paths = sorted(shared_scenarios.glob("*.toml"))
    assert len(paths) >= 5
    for path in paths:
        scenario = Scenario.load(path)
        assert scenario.path == path
        assert scenario.wake is False
        assert scenario.utterances or scenario.duration
        for utterance in scenario.utterances:
            assert utterance.audio.is_file()
        room = scenario.room(realtime=False)
        assert room.utterances == list(scenario.utterances)
        assert room.realtime is False


def test_the_shared_barge_in_and_noise_only_scenarios_read_as_written(shared_scenarios: Path) -> None:
    bargein = Scenario.load(shared_scenarios / "bargein.toml")
    assert [u.at for u in bargein.utterances] == [1.0, None, None]
    assert bargein.utterances[1].after_reply_start == 0.8
    assert bargein.utterances[2].after_reply_end == 1.0
    assert bargein.setup.echo_gain_db == -6.0 and bargein.setup.rir is not None
    assert bargein.config is None and bargein.duration is None

    quiet = Scenario.load(shared_scenarios / "noise-only.toml")
    assert quiet.utterances == () and quiet.duration == 60.0
    assert quiet.setup.noise is not None and quiet.setup.snr_db == 0.0
    assert quiet.room(realtime=True, block_ms=20).duration == 60 * RATE


def test_paths_are_relative_to_the_scenario_file(tmp_path: Path, voice: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (tmp_path / "assistant.toml").write_text("", encoding="utf-8")
    (tmp_path / "speech.wav").write_bytes(voice.read_bytes())
    path = _write(folder, 'config = "../assistant.toml"\nwake = true\n[[utterance]]\naudio = "../speech.wav"\nat = 0\n')
    scenario = Scenario.load(path)
    assert scenario.config == folder / "../assistant.toml"
    assert scenario.wake is True
    assert scenario.utterances[0].audio == folder / "../speech.wav"


def test_a_recording_at_another_rate_and_in_stereo_plays_converted(tmp_path: Path, voice: Path) -> None:
    samples = read_audio(voice).astype(np.float64)
    stereo = np.stack([resample(samples, RATE, 44100)] * 2, axis=1) / 32768
    soundfile.write(tmp_path / "stereo-44k.wav", stereo, 44100, subtype="PCM_16")
    scenario = Scenario.load(_write(tmp_path, '[[utterance]]\naudio = "stereo-44k.wav"\nat = 0.5\n'))
    room = scenario.room(realtime=False)
    room.start()
    blocks = [room.read(timeout=1.0) for _ in range(round(1.0 * RATE / room.block_samples) + len(samples) // 160)]
    mic = np.concatenate([b.mic for b in blocks if b is not None])
    expected = read_audio(tmp_path / "stereo-44k.wav")  # mono 16 kHz: what the room is to play
    assert not mic[: RATE // 2].any()
    assert (mic[RATE // 2 : RATE // 2 + len(expected)] == expected).all()
    assert len(expected) == len(samples)
    # There and back at 44.1 kHz: the same speech (this recording has energy up to 8 kHz, which the
    # resamplers' anti-aliasing filters cut, so not sample for sample).
    assert np.corrcoef(expected, samples)[0, 1] > 0.95
    assert [e.kind for e in room.events()][:2] == ["utterance_start", "speech_start"]


def test_a_missing_or_malformed_file_is_named(tmp_path: Path) -> None:
    _fails(tmp_path / "nope.toml", "no such scenario file")
    _fails(tmp_path, "is a folder")
    _fails(_write(tmp_path, "wake = false\n[room\n"), "not valid TOML", "line 2")
    (tmp_path / "latin1.toml").write_bytes(b"# caf\xe9\n")
    _fails(tmp_path / "latin1.toml", "not UTF-8")


def test_an_unknown_key_is_named_with_the_allowed_ones(tmp_path: Path, voice: Path) -> None:
    _fails(_write(tmp_path, "duration = 5\nwakeword = false\n"), "wakeword", "allowed", "duration")
    _fails(_write(tmp_path, "duration = 5\n[room]\nsnr = 3\n"), "room", "snr", "snr_db")
    _fails(
        _write(tmp_path, f'[[utterance]]\naudio = "{voice}"\nat = 1\nwhen = 2\n'), "utterance[0]", "when"
    )


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('duration = 5\nwake = "no"\n', ("wake", "true or false")),
        ('duration = "a minute"\n', ("duration", "number of seconds")),
        ("duration = true\n", ("duration", "number of seconds")),
        ("duration = 0\n", ("duration", "more than 0")),
        ("duration = 5\nconfig = 3\n", ("config", "not a path")),
        ("duration = 5\nroom = 3\n", ("room", "[room]")),
        ('duration = 5\n[utterance]\naudio = "a.wav"\nat = 1\n', ("utterance", "[[utterance]]")),
        ('duration = 5\n[room]\necho_gain_db = "loud"\n', ("room.echo_gain_db", "not a number")),
    ],
)
def test_a_value_of_the_wrong_type_is_named(tmp_path: Path, text: str, fragments: tuple[str, ...]) -> None:
    _fails(_write(tmp_path, text), *fragments)


def test_missing_and_unreadable_files_are_found_before_anything_starts(tmp_path: Path, voice: Path) -> None:
    ok = f'[[utterance]]\naudio = "{voice}"\nat = 1\n'
    _fails(_write(tmp_path, '[[utterance]]\naudio = "gone.wav"\nat = 1\n'), "utterance[0].audio", "gone.wav")
    _fails(_write(tmp_path, f'{ok}[[utterance]]\nat = 2\n'), "utterance[1]", "audio is missing")
    _fails(_write(tmp_path, f'config = "gone.toml"\n{ok}'), "config", "gone.toml", "no such file")
    _fails(_write(tmp_path, f'{ok}[room]\nrir = "gone.wav"\n'), "room.rir", "no such file")
    (tmp_path / "text.wav").write_text("not audio", encoding="utf-8")
    _fails(_write(tmp_path, '[[utterance]]\naudio = "text.wav"\nat = 1\n'), "utterance[0].audio", "cannot read")
    _fails(_write(tmp_path, f'{ok}[room]\nnoise = "text.wav"\n'), "room.noise", "cannot read")


def test_a_scenario_in_which_nothing_would_happen_is_refused(tmp_path: Path) -> None:
    _fails(_write(tmp_path, "wake = false\n[room]\necho_gain_db = -6.0\n"), "nothing would happen", "duration")


def test_an_utterance_needs_exactly_one_timing(tmp_path: Path, voice: Path) -> None:
    _fails(_write(tmp_path, f'[[utterance]]\naudio = "{voice}"\n'), "utterance[0]", "exactly one of")
    _fails(
        _write(tmp_path, f'[[utterance]]\naudio = "{voice}"\nat = 1\nafter_reply_end = 1\n'),
        "utterance[0]", "exactly one of",
    )
