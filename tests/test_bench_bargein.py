"""`assistant bench bargein`: reading a run's trace, and the bench itself on one room (lockstep, real engines)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.audio_files import read_audio
from assistant.bench.bargein import (
    NOISE_RMS,
    NOISE_SOURCES,
    OPENER_AT_S,
    Case,
    Outcome,
    RecordedVoice,
    _case_rows,
    _rows,
    cases,
    ducked_ms,
    noise_onset,
    outcome,
    percentile_ms,
    summarize,
)
from assistant.cli import main
from assistant.errors import EXIT_OK, AssistantError


def _event(t: float, turn: int | None, event: str, **fields: Any) -> dict[str, Any]:
    return {"t": t, "turn": turn, "event": event, **fields}


# A barge-in as a lockstep run traces it (taken from one): the second reply is interrupted 4 s in, the
# interrupting turn is answered at once when it closes (a speculative reply held until then).
INTERRUPTED = [
    _event(35.416, 2, "user_speech_start", utterance=1),
    _event(36.216, 2, "user_speech_end", utterance=1),
    _event(36.576, 2, "turn_end"),
    _event(36.580, 2, "audible_start", reply=2),
    _event(41.188, 3, "user_speech_start", utterance=2),
    _event(41.250, 2, "duck"),
    _event(41.260, 2, "audible_end", reply=2),
    _event(41.440, 2, "barge_in", by_turn=3),
    _event(48.548, 3, "user_speech_end", utterance=2),
    _event(48.700, 3, "turn_end"),
    _event(48.701, 3, "audible_start", reply=3),
    _event(55.382, 3, "audible_end", reply=3),
]


def test_the_reaction_ends_with_the_interrupted_reply_not_with_the_answer() -> None:
    # The answer becomes audible 0.15 s after the speech ended (by the room's ground truth): it is the answer
    # all the same, since the listener had closed the interrupting turn.
    assert outcome(INTERRUPTED, 2) == Outcome(reaction_s=pytest.approx(0.072), barge_ins=1, false_barge_ins=0)


def test_a_reply_that_plays_on_is_a_missed_barge_in_and_counts_until_it_ends() -> None:
    missed = [e for e in INTERRUPTED if e["event"] not in ("duck", "barge_in") and e.get("reply") != 2]
    missed += [_event(36.580, 2, "audible_start", reply=2), _event(45.0, 2, "audible_end", reply=2)]
    result = outcome(missed, 2)
    assert result.barge_ins == 0 and result.reaction_s == pytest.approx(45.0 - 41.188)


def test_a_reply_that_comes_back_after_ducking_under_the_voice_counts_until_it_ends() -> None:
    """The voice ducks the reply but never makes a barge-in (no turn): the reply resumes after the speech ended
    (as traced: seminar room, +0 dB, what_time_is_it.wav 4.5 s into the second reply). It played on."""
    ducked = [e for e in INTERRUPTED if e["event"] != "barge_in" and e.get("turn") != 3]
    ducked += [_event(41.188, None, "user_speech_start", utterance=2), _event(41.988, None, "user_speech_end",
               utterance=2), _event(42.345, 2, "audible_start", reply=3), _event(49.8, 2, "audible_end", reply=3)]
    result = outcome(ducked, 2)
    assert result.barge_ins == 0 and result.reaction_s == pytest.approx(49.8 - 41.188)


def test_a_reply_still_audible_when_the_run_ended_played_to_the_end() -> None:
    missed = [e for e in INTERRUPTED if e["event"] not in ("duck", "barge_in") and e.get("reply") != 2]
    missed.append(_event(36.580, 2, "audible_start", reply=2))  # and no audible_end
    result = outcome(missed, 2)
    assert result.barge_ins == 0 and result.reaction_s == math.inf
    case = Case(Path("room.wav"), 0.0, 4.0, True, Path("voice.wav"))
    summary = summarize([(case, result)] + [(case, outcome(INTERRUPTED, 2))] * 9)
    assert summary["missed_barge_ins"] == 1
    assert summary["reaction_all_p50_ms"] == pytest.approx(72.0) and summary["reaction_all_p90_ms"] == math.inf
    assert _rows([(case, result)])[0]["at_4s_ms"] == "played to the end"
    assert _case_rows([(case, result)], failed_only=True)[0]["reaction_ms"] == "played to the end"


def test_the_time_a_reply_was_held_down_counts_the_ducks_it_came_back_from() -> None:
    events = [_event(10.0, 2, "duck"), _event(10.45, 2, "unduck", checking=True), _event(20.0, 2, "duck"),
              _event(20.3, 2, "unduck", checking=True), _event(30.0, 2, "duck"), _event(30.2, 2, "barge_in", by_turn=3)]
    assert ducked_ms(events) == 750  # the last duck ended in a barge-in: the reply never came back
    assert ducked_ms(INTERRUPTED) == 0


def test_percentiles_match_numpys_and_an_endless_reply_counts_as_the_longest() -> None:
    values = [0.3, 0.1, 0.25, 0.05, 0.2]
    assert percentile_ms(values, 50) == pytest.approx(float(np.percentile(values, 50)) * 1000)
    assert percentile_ms(values, 90) == pytest.approx(float(np.percentile(values, 90)) * 1000)
    assert percentile_ms([*values, math.inf], 50) == pytest.approx(225.0)  # the median is still finite
    assert percentile_ms([*values, math.inf], 90) == math.inf
    assert percentile_ms([], 50) is None


def test_a_barge_in_with_nobody_speaking_is_false() -> None:
    events = [*INTERRUPTED, _event(30.0, 1, "barge_in", by_turn=2)]
    result = outcome(events, 2)
    assert result.false_barge_ins == 1
    assert result.false_at_s == (-11.19,)  # seconds from the interrupting speech's start, to 10 ms


def test_a_reply_ended_by_a_stop_phrase_is_counted_as_such() -> None:
    """A one-word "stop" ducks the reply and the recognizer's verdict ends it: a barge-in, and said to be one."""
    events = [e for e in INTERRUPTED if e["event"] != "barge_in"] + [_event(41.9, 2, "barge_in", stop_phrase="stop")]
    result = outcome(events, 2)
    assert result.barge_ins == 1 and result.by_stop_phrase == 1 and result.false_barge_ins == 0
    assert outcome(INTERRUPTED, 2).by_stop_phrase == 0


def test_a_barge_in_on_the_breath_just_before_the_voice_is_the_users() -> None:
    start = next(e["t"] for e in INTERRUPTED if e["event"] == "user_speech_start" and e["utterance"] == 2)
    events = [e for e in INTERRUPTED if e["event"] != "barge_in"]
    early = outcome([*events, _event(start - 0.2, 1, "barge_in", by_turn=2)], 2)
    assert early.false_barge_ins == 0 and early.barge_ins == 1
    assert outcome([*events, _event(start - 1.0, 1, "barge_in", by_turn=2)], 2).false_barge_ins == 1


def test_a_barge_in_on_the_recordings_own_sounds_before_its_speech_is_early_not_false() -> None:
    """The room labels speech from Silero's first window >= 0.5: a click at the recording's start, or a soft first
    word ("turn off" in turn_off_lights_in_the_Office.wav, 0.6 s before "lights"), comes before it."""
    start = next(e["t"] for e in INTERRUPTED if e["event"] == "user_speech_start" and e["utterance"] == 2)
    events = [e for e in INTERRUPTED if e["event"] != "barge_in"] + [_event(start - 1.2, 3, "user_audio_start",
                                                                            utterance=2)]
    early = outcome([*events, _event(start - 1.0, 2, "barge_in", by_turn=3)], 2)
    assert early.barge_ins == 1 and early.false_barge_ins == 0 and early.early_at_s == (-1.0,)
    assert outcome(INTERRUPTED, 2).early_at_s == ()  # within the onset slack: an ordinary barge-in
    before = outcome([*events, _event(start - 1.5, 2, "barge_in", by_turn=3)], 2)  # before the recording plays
    assert before.false_barge_ins == 1 and before.barge_ins == 0 and before.early_at_s == ()


def test_the_voices_are_taken_in_turn_and_a_missing_one_is_named(tmp_path: Path) -> None:
    for name in ("a.wav", "b.wav"):
        (tmp_path / name).write_bytes(b"")
    rooms = [tmp_path / "room.wav"]
    voices = [c.voice.name for c in cases(tmp_path, rooms, [-6.0, 0.0], [1.0], ["a.wav", "b.wav"])]
    assert voices == ["a.wav", "b.wav", "a.wav", "b.wav"]  # -6 dB first, later; 0 dB first, later
    with pytest.raises(AssistantError, match=r"pause\.wav: no such recording"):
        cases(tmp_path, rooms, [0.0], [1.0], ["a.wav", "pause.wav"])
    late = cases(tmp_path, rooms, [0.0], [1.0], ["a.wav"], delay_ms=150.0)[0]
    assert "echo_delay_ms = 150.0" in late.scenario(tmp_path)  # --echo-delay-ms: the room's echo path


@pytest.mark.slow
def test_the_bench_on_one_room(
    clean_env: Path, test_set_config: Callable[..., Path], shared_audio: Path, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    config = test_set_config(llm={"max_tokens": 120})  # long replies: there must be one to interrupt
    args = ["--config", str(config), "bench", "bargein", "--audio", str(shared_audio), "--rir", "speechbrain_rir4",
            "--gains", "0", "--after", "2", "--echo-s", "8", "--skip", "cough", "noise", "--json",
            "--gate-log", str(tmp_path / "gate")]
    assert main(args) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["greeting"] == "Hello, I'm listening."  # the config's (the default): said before the first reply
    assert report["barge_in_runs"] == 2  # the first reply and a later one
    # Measured: 87 and 0 ms (the reply ducks at once and stops after 0.2 s of speech).
    assert report["missed_barge_ins"] == 0 and report["false_barge_ins"] == 0
    assert report["reaction_all_p90_ms"] <= 400
    # Each run, to reproduce one: the first case of each reply takes the first voice in turn.
    assert [(c["condition"], c["voice"]) for c in report["cases"]] == [
        ("speechbrain_rir4 +0 dB first", "cmu_arctic_aew_a0001.wav"),
        ("speechbrain_rir4 +0 dB later", "what_time_is_it.wav")]
    assert report["echo_only_turns"] == 0 and report["echo_only_barge_ins"] == 0
    assert report["people_echo_turns"] == 0 and report["people_echo_barge_ins"] == 0
    # The echo check twice: said by the configured voice, then by recordings of people (by default, 11 of them).
    echo, people = report["checks"]
    assert (echo["check"], people["check"]) == ("echo only", "people's echo")
    assert all(c["room"] == "speechbrain_rir4" and c["reply_went_on"] is True for c in (echo, people))
    assert len(report["echo_voice"].split()) == 11
    assert report["gate_us_per_window"] > 0
    for case in ("case0", "case1"):
        rows = _check_gate_log(tmp_path / "gate" / f"{case}.tsv")
        # The fresh stream's opinion is there where it was asked for one: on the interrupting voice.
        assert any(r["fresh_p"] != "" for r in rows if r["passed"] == "1" and float(r["voice_db"]) > 55.0)
    comment, header, *lines = (tmp_path / "gate" / "echo-speechbrain_rir4-+0dB.tsv").read_text().splitlines()
    assert comment == "# speechbrain_rir4 +0 dB, echo only" and len(lines) > 8 / 0.032
    # The question after the greeting, and nobody speaking over the reply to it.
    voice = [float(line.split("\t")[header.split("\t").index("voice_db")]) for line in lines]
    spoke = [n for n, db in enumerate(voice) if db > 0.0]
    assert spoke and OPENER_AT_S - 0.032 <= spoke[0] * 0.032 < spoke[-1] * 0.032 < OPENER_AT_S + 5.0
    assert (tmp_path / "gate" / "people-speechbrain_rir4-+0dB.tsv").read_text().startswith(
        "# speechbrain_rir4 +0 dB, people's echo")


def test_a_recorded_voice_says_each_sentence_of_the_reply_with_the_next_recording_at_the_voices_level() -> None:
    from assistant.speech.espeak_tts import EspeakSynthesizer

    rng = np.random.default_rng(2)
    first, second = rng.standard_normal(16000) * 100, rng.standard_normal(8000) * 9000
    espeak = EspeakSynthesizer()
    voice = RecordedVoice([first, second], rms=3000.0, reply="Once upon a time. There was a girl! Who lived",
                          others=espeak)
    chunks = list(voice.synthesize("Once upon a time. There was a girl! Who lived"))
    assert [c.text for c in chunks] == ["Once upon a time.", "There was a girl!", "Who lived"]
    assert [c.pcm.size for c in chunks] == [16000, 8000, 16000]  # in turn, round again
    for chunk in chunks:
        assert chunk.sample_rate == 16000 and chunk.pcm.dtype == np.int16
        assert np.sqrt(np.mean(chunk.pcm.astype(np.float64) ** 2)) == pytest.approx(3000.0, rel=0.02)
    assert list(voice.synthesize("  ")) == []
    # Anything but the reply (the greeting) is said by the configured voice, and takes no recording.
    greeting = [c.pcm for c in voice.synthesize("Hello, I'm listening.")]
    assert np.array_equal(np.concatenate(greeting), np.concatenate(
        [c.pcm for c in espeak.synthesize("Hello, I'm listening.")]))
    assert next(iter(voice.synthesize("Who lived"))).pcm.size == 8000


def test_the_echo_check_with_a_recorded_voice(
    clean_env: Path, test_set_config: Callable[..., Path], shared_audio: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    voice = "asr/en/ljspeech_LJ001-0001.wav"  # 9.7 s of one reader, as a Piper voice trained on her speaks
    args = ["--config", str(test_set_config()), "bench", "bargein", "--audio", str(shared_audio), "--rir",
            "speechbrain_rir2", "--gains", "-6", "--echo-s", "8", "--skip", "bargein", "echo", "cough", "noise",
            "--echo-voice", voice, "--json"]
    assert main(args) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["echo_voice"] == voice
    (echo,) = report["checks"]
    # The whole recording played (one sentence is enough for 8 s), and its echo was nobody's turn.
    assert echo["check"] == "people's echo" and echo["sound"] == "10 s reply" and echo["reply_went_on"] is True
    assert echo["extra_turns"] == 0 and echo["barge_ins"] == 0


@pytest.mark.slow
def test_a_long_rooms_late_echo_does_not_interrupt_a_reply_when_the_sound_stack_delays_it(
    clean_env: Path, test_set_config: Callable[..., Path], shared_audio: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """speechbrain_rir1 rings on past the canceller's reach, and with the echo 200 ms late (a sound server) the
    canceller that takes over is trained deep: the echo model's room part, learnt along with its leak, fell below
    the late echo of a loud syllable, and the first exchange's reply interrupted itself (28.6 s before the voice)."""
    args = ["--config", str(test_set_config(llm={"max_tokens": 120})), "bench", "bargein", "--audio",
            str(shared_audio), "--rir", "speechbrain_rir1", "--gains", "-6", "--echo-delay-ms", "200", "--after", "2",
            "--voices", "asr/en/cmu_arctic_aew_a0003.wav", "--skip", "echo", "people", "cough", "noise", "--json"]
    assert main(args) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["barge_in_runs"] == 2 and report["missed_barge_ins"] == 0
    assert report["false_barge_ins"] == 0, report["cases"]


@pytest.mark.slow
@pytest.mark.parametrize(("room", "after", "reply"), [("seminar_room_rir_clap", "2", "first"),
                                                      ("speechbrain_rir3", "4", "later")])
def test_a_voice_that_pauses_between_words_gets_its_quiet_when_the_sound_stack_delays_the_duck(
    clean_env: Path, test_set_config: Callable[..., Path], shared_audio: Path, capsys: pytest.CaptureFixture[str],
    room: str, after: str, reply: str,
) -> None:
    """"Skip ... on TV" over a reply at 0 dB, the echo 200 ms late: "skip" ducked the reply, and the pause after it
    ended the candidate while the microphone still heard the reply's echo (the duck reaches the room 200 ms after
    it is made). In the seminar room the duck's hold was over before "on TV" stood out of the quiet: the reply
    came back over it and went on for 695 ms; the hold counts from when the duck is heard (163 ms). In
    speechbrain_rir3 "on TV" stood only a little above our fading echo, and passed one window after that hold
    (775 ms): the duck is kept while the evidence for a voice is adding up (205 ms)."""
    args = ["--config", str(test_set_config(llm={"max_tokens": 120})), "bench", "bargein", "--audio",
            str(shared_audio), "--rir", room, "--gains", "0", "--echo-delay-ms", "200", "--after", after,
            "--voices", "commands/speech_to_phrase/en/skip_on_TV.wav", "--skip", "echo", "people", "cough", "noise",
            "--json"]
    assert main(args) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["missed_barge_ins"] == 0 and report["false_barge_ins"] == 0
    case = next(c for c in report["cases"] if c["condition"].endswith(reply))
    assert case["reaction_ms"] <= 250, case


@pytest.mark.slow
def test_a_persons_voice_does_not_interrupt_its_reply_in_a_long_room_when_the_sound_stack_delays_it(
    clean_env: Path, test_set_config: Callable[..., Path], shared_audio: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """In the seminar room, the echo 200 ms late, a person's voice (one reader, as a Piper voice trained on her speaks)
    left a late echo beyond the canceller's 200 ms after its loud vowels that stood 7-10 dB over the echo model's
    level-based guess for a quarter of a second (espeak-ng's steady speech does not), and the reply interrupted
    itself 16.6 s in. The canceller trained at the measured delay reaches 300 ms into the echo and removes it.
    No greeting: the canceller learns that delay on the reply itself, as it did then."""
    voices = [f"asr/en/ljspeech_LJ001-{n:04d}.wav" for n in (1, 3, 5, 7, 10)]
    args = ["--config", str(test_set_config(llm={"max_tokens": 120})), "bench", "bargein", "--audio",
            str(shared_audio), "--rir", "seminar_room_rir_clap", "--gains", "-6", "--echo-delay-ms", "200",
            "--skip", "bargein", "echo", "cough", "noise", "--echo-voice", *voices, "--greeting", "", "--json"]
    assert main(args) == EXIT_OK
    (echo,) = json.loads(capsys.readouterr().out)["checks"]
    assert echo["reply_went_on"] is True
    assert echo["extra_turns"] == 0 and echo["barge_ins"] == 0, echo


def _check_gate_log(path: Path) -> list[dict[str, str]]:
    """A run's gate log: every window, and the room's ground truth lined up with what the gate saw."""
    comment, header, *lines = path.read_text().splitlines()
    assert comment.startswith("# speechbrain_rir4 +0 dB") and header.split("\t")[:8] == [
        "t", "reference_db", "mic_db", "clean_db", "voice_db", "echo_db", "p", "fresh_p"]
    rows = [dict(zip(header.split("\t"), line.split("\t"), strict=True)) for line in lines]
    assert len(rows) > 20 / 0.032  # the run lasts more than 20 s of room time, all of it logged
    assert float(rows[1]["t"]) == pytest.approx(0.032)
    assert any(r["passed"] == "1" for r in rows if float(r["voice_db"]) > 55.0)  # the barge-in
    # Where our echo is far below the user's voice, the cleaned signal follows the voice window by window, and
    # best without a shift: window n of the log is room sample n * 512 on, for the gate and the ground truth.
    clean, voice, echo = (np.array([float(r[k]) for r in rows]) for k in ("clean_db", "voice_db", "echo_db"))
    alone = echo < voice - 20.0
    assert alone.sum() > 10

    def follows(lag: int) -> float:
        both = alone & np.roll(alone, lag)
        return float(np.corrcoef(clean[both], np.roll(voice, lag)[both])[0, 1])

    assert max(range(-2, 3), key=follows) == 0
    return rows


def test_the_noise_check_plays_the_start_of_a_recording_as_loud_as_a_talker(shared_audio: Path, tmp_path: Path) -> None:
    path = noise_onset(shared_audio / NOISE_SOURCES[0], 2.0, tmp_path / "tap.wav")
    noise = read_audio(path).astype(np.float64)
    assert noise.size == 32000
    assert np.sqrt(np.mean(noise**2)) == pytest.approx(NOISE_RMS, rel=0.02)
    assert abs(noise[0]) < 1.0 and abs(noise[-1]) < 1.0  # faded in and out: no click of its own


def _noise_check(config: Path, shared_audio: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    # No greeting: the reply meets a canceller that has heard nothing (after the greeting, even the primed
    # listener alone let no noise through here).
    args = ["--config", str(config), "bench", "bargein", "--audio", str(shared_audio), "--rir", "speechbrain_rir2",
            "--skip", "bargein", "echo", "people", "cough", "--greeting", "", "--json"]
    assert main(args) == EXIT_OK
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert [(c["check"], c["sound"]) for c in report["checks"]] == [
        ("noise", f"noise{i}-{Path(s).stem}") for i, s in enumerate(NOISE_SOURCES)]
    assert report["noise_barge_ins"] == sum(c["barge_ins"] for c in report["checks"])
    assert all(c["extra_turns"] == c["barge_ins"] for c in report["checks"])  # a barge-in is the noise's only turn
    assert not any(c["reply_went_on"] and c["barge_ins"] for c in report["checks"])  # an answer to it is no going on
    return report


@pytest.mark.slow
def test_the_noise_check_on_one_room(
    clean_env: Path, test_set_config: Callable[..., Path], shared_audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Measured in this room: with only the listener's VAD (primed by the reply) 3 of the 4 noises ended it ...
    primed = _noise_check(test_set_config(llm={"max_tokens": 120}, conversation={"confirm_barge_in": False}),
                          shared_audio, capsys)
    assert primed["noise_barge_ins"] >= 3
    # ... and none with the fresh stream's second opinion (one allowed: another llama.cpp build may word the
    # reply differently, and the noise then meets other words).
    report = _noise_check(test_set_config(llm={"max_tokens": 120}), shared_audio, capsys)
    assert report["noise_barge_ins"] <= 1
    assert all(c["reply_went_on"] for c in report["checks"] if not c["barge_ins"])
