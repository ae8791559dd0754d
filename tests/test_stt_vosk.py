"""Vosk model folders: checked against what vosk-api's Model::Model reads, before Vosk's C++ code sees them.

No Vosk model can be downloaded here, so recognition itself is not exercised; what a user gets wrong (the
path, the zip instead of its folder, a half-unpacked archive, damaged files) is.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assistant.errors import ModelError
from assistant.speech.vosk_stt import VoskRecognizer, check_model_folder

# vosk-model-small-en-us-0.15's files (its ivector/ folder included).
SMALL_EN_US = [
    "am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/disambig_tid.int", "graph/Gr.fst",
    "graph/HCLr.fst", "graph/phones/word_boundary.int", "ivector/final.dubm", "ivector/final.ie",
    "ivector/final.mat", "ivector/global_cmvn.stats", "ivector/online_cmvn.conf", "ivector/splice.conf",
]


def _model(folder: Path, files: list[str] = SMALL_EN_US) -> Path:
    """A folder with the layout of a real model; the files hold junk, not Kaldi objects."""
    for name in files:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("--not-a-kaldi-object\n")
    return folder


def test_the_small_english_models_layout_passes(tmp_path: Path) -> None:
    assert check_model_folder(_model(tmp_path)) == "v2"


def test_an_old_layout_with_a_full_graph_passes(tmp_path: Path) -> None:
    assert check_model_folder(_model(tmp_path, ["final.mdl", "mfcc.conf", "HCLG.fst", "words.txt"])) == "v1"


def test_a_missing_folder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"vosk-model-small.*does not exist|does not exist.*vosk-model-small"):
        VoskRecognizer(tmp_path / "vosk-model-small-en-us-0.15")
    with pytest.raises(ModelError, match=r"stt.vosk_model"):
        VoskRecognizer(tmp_path / "nowhere")


def test_the_zip_instead_of_its_folder_says_unpack_it(tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-en-us-0.15.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("vosk-model-small-en-us-0.15/am/final.mdl", "x")
    with pytest.raises(ModelError, match=r"is a file.*unpack it"):
        VoskRecognizer(archive)


def test_a_folder_one_level_too_high_points_at_the_model(tmp_path: Path) -> None:
    _model(tmp_path / "vosk-model-small-en-us-0.15")
    with pytest.raises(ModelError, match=r"one level down: .*vosk-model-small-en-us-0.15"):
        VoskRecognizer(tmp_path)


def test_an_unrelated_folder_says_what_a_model_needs(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelError, match=r"am/final.mdl and conf/model.conf"):
        VoskRecognizer(tmp_path)


@pytest.mark.parametrize(
    ("removed", "named"),
    [
        ("graph/Gr.fst", "graph/HCLG.fst (or graph/HCLr.fst, graph/Gr.fst, graph/disambig_tid.int)"),
        ("conf/mfcc.conf", "conf/mfcc.conf or conf/fbank.conf"),
        ("ivector/final.mat", "ivector/final.mat"),
    ],
)
def test_a_half_unpacked_model_lists_what_is_missing(tmp_path: Path, removed: str, named: str) -> None:
    _model(tmp_path)
    (tmp_path / removed).unlink()
    with pytest.raises(ModelError, match=r"incomplete") as error:
        check_model_folder(tmp_path)
    assert named in str(error.value)


def test_an_empty_file_counts_as_missing(tmp_path: Path) -> None:
    _model(tmp_path)
    (tmp_path / "graph" / "HCLr.fst").write_bytes(b"")
    with pytest.raises(ModelError, match=r"missing or empty: graph/HCLG.fst"):
        check_model_folder(tmp_path)


def test_damaged_files_are_a_model_error_from_vosk_not_a_crash(tmp_path: Path) -> None:
    pytest.importorskip("vosk")
    with pytest.raises(ModelError, match=r"Vosk cannot load this model") as error:
        VoskRecognizer(_model(tmp_path))
    assert str(tmp_path) in str(error.value)
