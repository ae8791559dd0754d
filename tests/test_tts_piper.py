"""Piper voices run through piper-tts's own code: stand-in voices, the real amy config, and bad voice files.

Stand-in voices (assistant.testing.standins) have Piper's exact signature with random weights, so their
sound is noise and tones, but sample rates, lengths, levels and load paths are those of a real voice. An
"echo" voice built here returns its own inputs as audio, which shows exactly what reached the network.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import ConfigurationError, ModelError
from assistant.speech.piper_tts import PiperSynthesizer
from assistant.speech.tts import synthesize_all
from assistant.testing import standins

onnx = pytest.importorskip("onnx", reason="the onnx package (test extra) builds the stand-in voices")

AMY_JSON = "piper/en_US-amy-low.onnx.json"
ECHO_GAIN = 0.01  # the echo voice outputs its inputs times this, to stay inside [-1, 1]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("standins")


@pytest.fixture(scope="module")
def voice(cache: Path, shared_models: Path) -> Path:
    return standins.piper_voice(cache_dir=cache, shared_models=shared_models)


def _echo_voice(folder: Path, shared_models: Path, num_speakers: int) -> Path:
    """A voice whose audio is [noise_scale, length_scale, noise_w, sid, number of ids] * ECHO_GAIN."""
    helper, tensor = onnx.helper, onnx.TensorProto
    inputs = [
        helper.make_tensor_value_info("input", tensor.INT64, [1, "phonemes"]),
        helper.make_tensor_value_info("input_lengths", tensor.INT64, [1]),
        helper.make_tensor_value_info("scales", tensor.FLOAT, [3]),
    ]
    sid = "sid"
    nodes = []
    if num_speakers > 1:
        inputs.append(helper.make_tensor_value_info("sid", tensor.INT64, [1]))
    else:
        nodes.append(helper.make_node("Constant", [], ["sid"], value=helper.make_tensor("s", tensor.INT64, [1], [-1])))
    nodes += [
        helper.make_node("Cast", [sid], ["sid_f"], to=tensor.FLOAT),
        helper.make_node("Cast", ["input_lengths"], ["len_f"], to=tensor.FLOAT),
        helper.make_node("Concat", ["scales", "sid_f", "len_f"], ["all"], axis=0),
        helper.make_node("Mul", ["all", "gain"], ["scaled"]),
        helper.make_node("Reshape", ["scaled", "shape"], ["output"]),
    ]
    initializers = [
        onnx.numpy_helper.from_array(np.array(ECHO_GAIN, np.float32), "gain"),
        onnx.numpy_helper.from_array(np.array([1, 1, 1, -1], np.int64), "shape"),
    ]
    outputs = [helper.make_tensor_value_info("output", tensor.FLOAT, [1, 1, 1, 5])]
    graph = helper.make_graph(nodes, "echo", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = folder / f"echo-{num_speakers}.onnx"
    onnx.save(model, path)
    config = json.loads((shared_models / AMY_JSON).read_text(encoding="utf-8"))
    config["num_speakers"] = num_speakers
    config["inference"]["length_scale"] = 1.25
    (folder / f"echo-{num_speakers}.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return path


def _echo(synthesizer: PiperSynthesizer, text: str = "Hi.") -> np.ndarray:
    (chunk,) = list(synthesizer.synthesize(text))
    return chunk.pcm / 32767 / ECHO_GAIN


# ---------------------------------------------------------------------------------------------- audio


def test_audio_is_int16_at_the_rate_in_the_voice_config(cache: Path, shared_models: Path) -> None:
    voice = standins.piper_voice(cache_dir=cache, sample_rate=22050, shared_models=shared_models)
    synthesizer = PiperSynthesizer(voice)
    chunks = list(synthesizer.synthesize("The kitchen light is on."))
    assert synthesizer.sample_rate == 22050
    assert [c.sample_rate for c in chunks] == [22050]
    assert chunks[0].pcm.dtype == np.int16
    # The stand-in makes 512 samples per phoneme id: about 2 s for this sentence, surely between 1 and 4 s.
    assert 1.0 < chunks[0].duration_s < 4.0


def test_one_chunk_per_sentence_each_with_its_text(voice: Path) -> None:
    chunks = list(PiperSynthesizer(voice).synthesize("Dr. Smith is here. Shall I **open** the door?"))
    assert [c.text for c in chunks] == ["Dr. Smith is here.", "Shall I open the door?"]
    assert all(len(c.pcm) > 0 for c in chunks)


def test_levels_are_not_normalized_and_volume_scales_them(voice: Path) -> None:
    text = "Hello. This is a much longer second sentence with many more words."
    plain = [c.pcm for c in PiperSynthesizer(voice).synthesize(text)]
    louder = [c.pcm for c in PiperSynthesizer(voice, volume=2.0).synthesize(text)]
    # Peak normalization would push every sentence to full scale; the stand-in's level is about 0.1-0.2.
    assert all(0 < np.abs(p).max() < 0.5 * 32767 for p in plain)
    for a, b in zip(plain, louder, strict=True):
        np.testing.assert_allclose(b, 2 * a.astype(np.int32), atol=2)


def test_length_scale_stretches_the_audio(voice: Path) -> None:
    text = "Turn on the lights."
    normal = len(synthesize_all(PiperSynthesizer(voice, length_scale=1.0), text))
    slow = len(synthesize_all(PiperSynthesizer(voice, length_scale=2.0), text))
    assert slow == 2 * normal


def test_scales_and_speaker_reach_the_network(tmp_path: Path, shared_models: Path) -> None:
    voice = _echo_voice(tmp_path, shared_models, num_speakers=4)
    echoed = _echo(PiperSynthesizer(voice, speaker_id=3, length_scale=1.5, noise_scale=0.5, noise_w=0.25))
    np.testing.assert_allclose(echoed[:4], [0.5, 1.5, 0.25, 3], atol=0.01)
    assert echoed[4] > 3  # some phoneme ids: BOS, the phonemes, EOS


def test_length_scale_zero_keeps_the_voices_own(tmp_path: Path, shared_models: Path) -> None:
    voice = _echo_voice(tmp_path, shared_models, num_speakers=1)
    echoed = _echo(PiperSynthesizer(voice, length_scale=0.0))
    assert echoed[1] == pytest.approx(1.25, abs=0.01)  # from the echo voice's .onnx.json
    assert echoed[3] == pytest.approx(-1, abs=0.01)  # a single-speaker voice gets no sid


def test_a_speed_asked_per_sentence_divides_the_length_scale(tmp_path: Path, shared_models: Path) -> None:
    voice = _echo_voice(tmp_path, shared_models, num_speakers=1)
    own = PiperSynthesizer(voice)  # the voice's own 1.25
    assert _echo(own)[1] == pytest.approx(1.25, abs=0.01)
    (chunk,) = list(own.synthesize("Hi.", 1.25))
    assert chunk.pcm[1] / 32767 / ECHO_GAIN == pytest.approx(1.0, abs=0.01)
    assert _echo(own)[1] == pytest.approx(1.25, abs=0.01)  # only that sentence
    (chunk,) = list(PiperSynthesizer(voice, length_scale=2.0).synthesize("Hi.", 0.5))
    assert chunk.pcm[1] / 32767 / ECHO_GAIN == pytest.approx(4.0, abs=0.01)  # slower than the configured pace


def test_speaker_id_beyond_the_voices_speakers_is_refused(tmp_path: Path, shared_models: Path) -> None:
    voice = _echo_voice(tmp_path, shared_models, num_speakers=2)
    with pytest.raises(ConfigurationError, match=r"tts.speaker_id = 2.*between 0 and 1"):
        PiperSynthesizer(voice, speaker_id=2)


def test_onnx_threads_come_from_the_setting(voice: Path) -> None:
    options = PiperSynthesizer(voice, threads=2).session.get_session_options()
    assert options.intra_op_num_threads == 2
    assert options.inter_op_num_threads == 1


def test_real_amy_config_with_a_stand_in_network(tmp_path: Path, voice: Path, shared_models: Path) -> None:
    model = tmp_path / "en_US-amy-low.onnx"
    shutil.copy(voice, model)
    shutil.copy(shared_models / AMY_JSON, tmp_path / "en_US-amy-low.onnx.json")
    synthesizer = PiperSynthesizer(model)
    assert synthesizer.sample_rate == 16000
    assert len(synthesize_all(synthesizer, "What time is it?")) > 8000


# ---------------------------------------------------------------------------------------------- text


@pytest.mark.parametrize("text", ["", "   \n ", "**", "- "])
def test_nothing_to_say_gives_no_audio(voice: Path, text: str) -> None:
    assert list(PiperSynthesizer(voice).synthesize(text)) == []


@pytest.mark.parametrize("text", ["Καλημέρα, τι κάνεις;", "你好，世界。今天天气很好。", "😀 🎉", "Ωμέγα and 中文."])
def test_non_latin_text_does_not_crash(voice: Path, text: str) -> None:
    for chunk in PiperSynthesizer(voice).synthesize(text):
        assert chunk.pcm.dtype == np.int16 and chunk.sample_rate == 16000


# ---------------------------------------------------------------------------------------------- bad files


def test_missing_json_names_both_files_and_the_fix(tmp_path: Path, voice: Path) -> None:
    model = tmp_path / "lonely.onnx"
    shutil.copy(voice, model)
    with pytest.raises(ModelError) as caught:
        PiperSynthesizer(model)
    message = str(caught.value)
    assert str(model) in message and "lonely.onnx.json" in message and "beside it" in message


def test_the_json_may_be_named_instead_of_the_onnx(voice: Path) -> None:
    assert PiperSynthesizer(voice.with_name(voice.name + ".json")).voice == voice


def test_truncated_onnx_is_a_model_error(tmp_path: Path, voice: Path) -> None:
    model = tmp_path / "cut.onnx"
    model.write_bytes(voice.read_bytes()[:5000])
    shutil.copy(voice.with_name(voice.name + ".json"), tmp_path / "cut.onnx.json")
    with pytest.raises(ModelError, match=r"cut\.onnx.*truncated"):
        PiperSynthesizer(model)


def test_broken_json_is_a_model_error(tmp_path: Path, voice: Path) -> None:
    model = tmp_path / "v.onnx"
    shutil.copy(voice, model)
    (tmp_path / "v.onnx.json").write_text('{"audio": {"sample_rate": 16000}}', encoding="utf-8")
    with pytest.raises(ModelError, match=r"v\.onnx\.json: not a Piper voice config"):
        PiperSynthesizer(model)


def test_missing_onnx_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="Piper voice not found"):
        PiperSynthesizer(tmp_path / "nothing.onnx")


def test_a_voice_whose_phonemizer_would_download_is_refused(tmp_path: Path, voice: Path) -> None:
    model = tmp_path / "zh.onnx"
    shutil.copy(voice, model)
    config = json.loads(voice.with_name(voice.name + ".json").read_text(encoding="utf-8"))
    (tmp_path / "zh.onnx.json").write_text(json.dumps({**config, "phoneme_type": "pinyin"}), encoding="utf-8")
    with pytest.raises(ModelError, match=r'phoneme_type "pinyin" is not supported.*offline'):
        PiperSynthesizer(model)
