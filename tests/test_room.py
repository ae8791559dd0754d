"""The simulated room: recordings on a sample clock, the echo, the noise, replies watched, ground truth."""

from __future__ import annotations

import math
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
import soundfile

from assistant.audio.io import DuplexBlock
from assistant.audio.resample import resample
from assistant.audio.room import RoomSetup, SimulatedRoom, Utterance, load_rir, speech_bounds
from assistant.audio_files import read_audio
from assistant.errors import ConfigurationError
from assistant.speech.vad import SileroVad

RATE = 16000


@pytest.fixture(scope="module")
def commands(shared_audio: Path) -> Path:
    return shared_audio / "commands" / "speech_to_phrase" / "en"


def _read(room: SimulatedRoom, seconds: float) -> list[DuplexBlock]:
    blocks = []
    for _ in range(round(seconds * RATE / room.block_samples)):
        block = room.read(timeout=1.0)
        assert block is not None
        blocks.append(block)
    return blocks


def _mic(blocks: list[DuplexBlock]) -> np.ndarray:
    return np.concatenate([b.mic for b in blocks])


def _tone(seconds: float, frequency: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def test_recordings_reach_the_microphone_sample_exact_at_their_times(commands: Path) -> None:
    first, second = commands / "what_time_is_it.wav", commands / "cancel_timer.wav"
    room = SimulatedRoom([Utterance(first, at=0.5), Utterance(second, at=3.0)])
    room.start()
    blocks = _read(room, 6.0)
    expected = np.zeros(6 * RATE, np.int64)
    for path, at in ((first, 0.5), (second, 3.0)):
        samples = read_audio(path)
        expected[int(at * RATE) : int(at * RATE) + len(samples)] += samples
    assert [b.index for b in blocks] == list(range(600))
    assert (_mic(blocks) == np.clip(expected, -32768, 32767)).all()
    assert not np.concatenate([b.ref for b in blocks]).any()
    starts = [e.sample for e in room.events() if e.kind == "utterance_start"]
    assert starts == [8000, 48000]
    speech = [e for e in room.events() if e.kind == "speech_start"]
    assert len(speech) == 2 and 8000 <= speech[0].sample < 8000 + len(read_audio(first))


def test_a_recording_of_any_rate_and_channel_count_is_converted(commands: Path, tmp_path: Path) -> None:
    voice = read_audio(commands / "cancel_timer.wav").astype(np.float64)
    stereo = np.stack([resample(voice, RATE, 44100)] * 2, axis=1) / 32768
    soundfile.write(tmp_path / "stereo-44k.wav", stereo, 44100, subtype="FLOAT")
    room = SimulatedRoom([Utterance(tmp_path / "stereo-44k.wav", at=0.0)])
    room.start()
    mic = _mic(_read(room, 3.0)).astype(np.float64)
    error = mic[: len(voice)] - voice  # there and back at 44.1 kHz: only the top of the band differs
    assert 10 * math.log10(np.mean(voice**2) / np.mean(error**2)) > 30
    assert not mic[len(voice) + 1 :].any()


def test_the_speaker_echoes_through_the_room_impulse_response(shared_audio: Path) -> None:
    rir_path = shared_audio / "echo" / "rir" / "speechbrain_rir4.wav"
    room = SimulatedRoom([], RoomSetup(rir=rir_path, echo_gain_db=-6.0, echo_delay_ms=20.0))
    room.start()
    burst = (np.random.default_rng(5).standard_normal(RATE // 2) * 3000).astype(np.int16)
    _read(room, 0.2)
    room.play(burst, RATE)
    blocks = _read(room, 1.5)
    played = np.concatenate([b.ref for b in blocks]).astype(np.float64)
    assert (played[: len(burst)] == burst).all()  # the reference is exactly what the speaker played
    echo = np.convolve(played, load_rir(rir_path) * 10 ** (-6 / 20))[: len(played)]
    echo = np.concatenate([np.zeros(320), echo])[: len(played)]  # 20 ms
    assert np.abs(_mic(blocks) - np.rint(echo)).max() <= 1


def test_noise_loops_at_the_snr_asked_for(shared_audio: Path, commands: Path) -> None:
    noise_path = shared_audio / "noise" / "speechbrain_misc" / "noise2.wav"  # 5 s
    looped = SimulatedRoom([], RoomSetup(noise=noise_path))  # no speech: the noise at its recorded level
    looped.start()
    mic = _mic(_read(looped, 7.0))
    noise = read_audio(noise_path)
    assert (mic[: len(noise)] == noise).all() and (mic[len(noise) :] == noise[: len(mic) - len(noise)]).all()

    voice = commands / "what_time_is_it.wav"
    white = shared_audio / "noise" / "speech_commands_bg" / "white_noise.wav"  # steady, so one second tells
    room = SimulatedRoom([Utterance(voice, at=1.0)], RoomSetup(noise=white, snr_db=10.0))
    room.start()
    mic = _mic(_read(room, 4.0)).astype(np.float64)
    samples = read_audio(voice).astype(np.float64)
    first, last = speech_bounds(read_audio(voice))
    speech_power = np.mean(samples[first : last + 1] ** 2)
    noise_power = np.mean(mic[: RATE - 1] ** 2)  # the second before the utterance
    assert 10 * math.log10(speech_power / noise_power) == pytest.approx(10.0, abs=1.0)


def test_replies_are_watched_and_the_next_utterances_follow_them(commands: Path) -> None:
    room = SimulatedRoom(
        [
            Utterance(commands / "cancel_timer.wav", at=0.2),
            Utterance(commands / "pause.wav", after_reply_end=0.5),
            Utterance(commands / "what_time_is_it.wav", after_reply_start=0.3),  # a barge-in
        ],
        reply_wait_s=5.0,
        tail_s=0.2,
    )
    room.start()
    replies = [_tone(1.0), _tone(2.0), _tone(1.0)]  # the assistant's answers, 0.2 s after each utterance
    answered, cut = 0, None
    while not room.done() and room.clock < 60 * RATE:
        room.read(timeout=1.0)
        events = room.events()
        ended = [e.sample for e in events if e.kind == "utterance_end"]
        if len(ended) > answered and room.clock > ended[-1] + 3200:
            assert room.play(replies[answered], RATE) == room.clock + len(replies[answered])
            answered += 1
        if cut is None and len([e for e in events if e.kind == "utterance_start"]) == 3:
            cut = room.flush_playback()  # the pipeline noticed the barge-in
    assert room.done() and answered == 3
    events = room.events()
    starts = [e.sample for e in events if e.kind == "utterance_start"]
    reply_starts = [e.sample for e in events if e.kind == "reply_start"]
    reply_ends = [e.sample for e in events if e.kind == "reply_end"]
    assert len(reply_starts) == len(reply_ends) == 3
    assert reply_ends[0] - reply_starts[0] == pytest.approx(RATE, abs=40)  # the tone's first/last audible sample
    assert starts[1] == reply_ends[0] + RATE // 2  # after_reply_end = 0.5
    assert starts[2] == reply_starts[1] + int(0.3 * RATE)  # after_reply_start = 0.3
    assert any(e.kind == "flush" and e.sample == cut for e in events)
    assert reply_ends[1] < cut < reply_starts[1] + 2 * RATE  # the second reply was cut short
    assert room.clock >= reply_ends[2] + room.reply_gap + room.tail  # done once the last reply ended


def test_a_reply_that_pauses_and_goes_on_keeps_the_room_open_until_its_last_stretch_ends(commands: Path) -> None:
    # A reply ducked for longer than the reply gap comes back as a second stretch: the schedule is over only
    # once that one has ended too (a run stopped at the first stretch's end lost the rest of the reply's trace).
    room = SimulatedRoom([Utterance(commands / "cancel_timer.wav", at=0.1)], reply_wait_s=5.0, tail_s=0.2)
    room.start()
    answered = resumed = False
    while not room.done() and room.clock < 30 * RATE:
        room.read(timeout=1.0)
        ended = [e.sample for e in room.events() if e.kind == "utterance_end"]
        if ended and not answered and room.clock > ended[0] + 3200:
            room.play(_tone(1.0), RATE)
            answered = True
        reply_ends = [e.sample for e in room.events() if e.kind == "reply_end"]
        if reply_ends and not resumed and room.clock > reply_ends[0] + room.reply_gap + room.tail // 2:
            room.play(_tone(2.0), RATE)  # the duck is over: the reply goes on
            resumed = True
    assert room.done() and resumed
    events = room.events()
    starts = [e.sample for e in events if e.kind == "reply_start"]
    ends = [e.sample for e in events if e.kind == "reply_end"]
    assert len(starts) == len(ends) == 2 and ends[1] - starts[1] == pytest.approx(2 * RATE, abs=40)
    assert room.clock >= ends[1] + room.reply_gap + room.tail


def test_an_utterance_waiting_for_a_reply_that_never_comes_is_played_anyway(commands: Path) -> None:
    first = commands / "cancel_timer.wav"
    room = SimulatedRoom(
        [Utterance(first, at=0.1), Utterance(commands / "pause.wav", after_reply_end=0.5)], reply_wait_s=1.0, tail_s=0
    )
    room.start()
    while not room.done() and room.clock < 30 * RATE:
        room.read(timeout=1.0)
    events = room.events()
    first_end = int(0.1 * RATE) + len(read_audio(first))
    missing = [e for e in events if e.kind == "reply_missing"]
    assert len(missing) == 1 and missing[0].sample == pytest.approx(first_end + RATE, abs=room.block_samples)
    assert [e.sample for e in events if e.kind == "utterance_start"][1] == missing[0].sample
    assert room.done()


def test_ducking_scales_the_reference_and_flushing_silences_it_at_once() -> None:
    room = SimulatedRoom([])
    room.start()
    end = room.play(np.full(RATE, 10000, np.int16), RATE)
    assert end == RATE
    full = _read(room, 0.1)
    room.set_output_gain(0.5)
    ducked = _read(room, 0.1)
    assert (full[-1].ref == 10000).all() and (ducked[-1].ref == 5000).all()
    assert ducked[0].ref[0] > 9900 and ducked[0].ref[-1] == 5000  # ramped over one block: no click
    assert room.flush_playback() == room.clock == room.playback_position()
    assert not np.concatenate([b.ref for b in _read(room, 0.1)]).any()


def test_a_fixed_duration_ends_the_room() -> None:
    room = SimulatedRoom([], duration=0.5, block_ms=20)
    room.start()
    assert [b.index for b in _read(room, 0.5)] == list(range(25))
    assert room.read(timeout=0.01) is None and room.done()


def test_in_real_time_the_room_keeps_to_the_wall_clock() -> None:
    room = SimulatedRoom([], realtime=True)
    room.start()
    started = time.monotonic()
    _read(room, 0.3)
    assert 0.28 < time.monotonic() - started < 0.6
    assert room.read(timeout=0.001) is None  # the next block is not due yet


def test_in_real_time_a_reader_that_stalls_is_recorded_as_late() -> None:
    room = SimulatedRoom([], realtime=True)
    room.start()
    _read(room, 0.1)
    assert room.lag_max_s < 0.05
    time.sleep(0.2)  # a thread held the GIL: the blocks due meanwhile come in a burst
    _read(room, 0.1)
    assert 0.15 < room.lag_max_s < 0.5


def test_what_the_speaker_played_is_written_to_a_wav(tmp_path: Path) -> None:
    room = SimulatedRoom([], speaker_wav=tmp_path / "speaker.wav")
    room.start()
    room.play(_tone(0.25), RATE)
    refs = np.concatenate([b.ref for b in _read(room, 0.5)])
    room.stop()
    written, rate = soundfile.read(tmp_path / "speaker.wav", dtype="int16")
    assert rate == RATE and (written == refs).all() and written[:100].any()


def test_speech_bounds_of_silero_and_energy_agree_on_a_clean_recording(shared_audio: Path, shared_models: Path) -> None:
    samples = read_audio(shared_audio / "asr" / "en" / "cmu_arctic_aew_a0001.wav")
    vad = SileroVad.load(shared_models / "vad" / "silero_vad.onnx")
    silero = speech_bounds(samples, vad)
    energy = speech_bounds(samples)
    assert silero is not None and energy is not None
    assert abs(silero[0] - energy[0]) < 0.15 * RATE and abs(silero[1] - energy[1]) < 0.15 * RATE
    assert 0 < silero[0] < silero[1] < len(samples)
    assert speech_bounds(np.zeros(RATE, np.int16), vad) is None
    room = SimulatedRoom([Utterance(shared_audio / "asr" / "en" / "cmu_arctic_aew_a0001.wav", at=1.0)],
                         vad_model=shared_models / "vad" / "silero_vad.onnx")
    room.start()
    _read(room, 5.0)
    assert [e.sample for e in room.events() if e.kind == "speech_start"] == [RATE + silero[0]]


def test_a_room_is_built_from_a_scenario_file(shared_scenarios: Path) -> None:
    path = shared_scenarios / "bargein.toml"
    scenario = tomllib.loads(path.read_text())
    setup = RoomSetup.from_table(scenario["room"], base=path.parent, origin=str(path))
    utterances = [
        Utterance.from_table(table, base=path.parent, origin=str(path), index=i)
        for i, table in enumerate(scenario["utterance"])
    ]
    assert setup.rir is not None and setup.echo_gain_db == -6.0
    assert [u.after_reply_start for u in utterances] == [None, 0.8, None]
    room = SimulatedRoom(utterances, setup)
    room.start()
    _read(room, 1.5)
    assert [e.sample for e in room.events() if e.kind == "utterance_start"] == [RATE]


def test_a_bad_scenario_table_names_the_field_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(ConfigurationError, match=r"s.toml: utterance\[2\]: give exactly one of at"):
        Utterance.from_table(
            {"audio": "a.wav", "at": 1.0, "after_reply_end": 1.0}, base=tmp_path, origin="s.toml", index=2
        )
    with pytest.raises(ConfigurationError, match=r"utterance\[0\].audio: .*nope.wav: no such file"):
        Utterance.from_table({"audio": "nope.wav", "at": 1.0}, base=tmp_path, origin="s.toml")
    with pytest.raises(ConfigurationError, match=r"room: unknown key\(s\) snr \(allowed: .*snr_db"):
        RoomSetup.from_table({"snr": 3}, base=tmp_path, origin="s.toml")
    with pytest.raises(ConfigurationError, match="echo_gain_db: 'loud' is not a number"):
        RoomSetup.from_table({"echo_gain_db": "loud"}, base=tmp_path, origin="s.toml")


def test_a_long_run_at_full_speed_loses_and_duplicates_nothing(shared_audio: Path, commands: Path) -> None:
    """Two minutes of room time: every block in order, every sample the sum of its sources."""
    noise_path = shared_audio / "noise" / "speechbrain_misc" / "noise3.wav"
    voices = sorted(commands.glob("*.wav"))[:6]
    utterances = [Utterance(v, at=5.0 + 20 * i) for i, v in enumerate(voices)]
    room = SimulatedRoom(utterances, RoomSetup(noise=noise_path), block_ms=10)
    room.start()
    seconds = 120
    started = time.monotonic()
    blocks = []
    for i in range(seconds * 100):
        if i % 700 == 350:
            room.play(_tone(2.0, 300, 0.1), RATE)  # the speaker is busy too, without an echo path
        block = room.read(timeout=1.0)
        assert block is not None
        blocks.append(block)
    elapsed = time.monotonic() - started
    noise = read_audio(noise_path).astype(np.int64)
    expected = np.resize(noise, seconds * RATE)
    for u in utterances:
        samples = read_audio(u.audio)
        at = int(u.at * RATE)
        expected[at : at + len(samples)] += samples
    assert [b.index for b in blocks] == list(range(seconds * 100))
    assert (_mic(blocks) == np.clip(expected, -32768, 32767)).all()
    assert elapsed < seconds / 10, f"{seconds} s of room took {elapsed:.1f} s"
