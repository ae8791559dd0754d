"""Vosk (Kaldi): streaming speech-to-text with partial results while the user speaks, and word timings.

Written for vosk-model-small-en-us-0.15 (40 MB, real time on a Pi 4) and any other Vosk model folder. The
folder is checked before Vosk's C++ code sees it, so that a wrong path or a half-unpacked archive gives a
message that says what is missing instead of a Kaldi error. Vosk releases the GIL while it decodes (cffi).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelError, import_optional
from assistant.speech.stt import SAMPLE_RATE, ComputeClock, Transcript, Word, check_pcm

# What vosk-api's Model::Model (src/model.cc) reads. A "v2" folder, as every model published since 2020:
# am/final.mdl and conf/model.conf, features from conf/mfcc.conf or conf/fbank.conf, and the decoding graph as
# graph/HCLG.fst, or as graph/HCLr.fst + graph/Gr.fst + graph/disambig_tid.int (small models, like
# vosk-model-small-en-us-0.15). The older "v1" layout has final.mdl, mfcc.conf and the graph at the top.
_LAYOUTS = {
    "v2": {"model": ("am/final.mdl", "conf/model.conf"), "features": ("conf/mfcc.conf", "conf/fbank.conf"),
           "graph": "graph/"},
    "v1": {"model": ("final.mdl", "mfcc.conf"), "features": ("mfcc.conf",), "graph": ""},
}
# With ivector/final.ie present Vosk also reads these (model.cc, ReadDataFiles).
_IVECTOR_FILES = ("final.ie", "final.dubm", "final.mat", "global_cmvn.stats", "online_cmvn.conf", "splice.conf")


def _present(folder: Path, relative: str) -> bool:
    path = folder / relative
    return path.is_file() and path.stat().st_size > 0


def check_model_folder(folder: Path) -> str:
    """Check that `folder` is an unpacked Vosk model with every file Vosk will open; returns its layout."""
    where = f"{folder} (stt.vosk_model)"
    if folder.is_file():
        hint = "unpack it and name the folder" if folder.suffix == ".zip" else "name the model's folder"
        raise ModelError(f"{where} is a file; Vosk models are folders: {hint}")
    if not folder.is_dir():
        raise ModelError(
            f"{where} does not exist; set stt.vosk_model to an unpacked Vosk model folder (such as "
            "vosk-model-small-en-us-0.15) or a name from `assistant models list`"
        )
    layout = next((name for name, spec in _LAYOUTS.items() if all(_present(folder, f) for f in spec["model"])), None)
    if layout is None:
        inner = [sub.name for sub in sorted(folder.iterdir()) if sub.is_dir() and _present(sub, "am/final.mdl")]
        hint = f"; the model seems to be one level down: {folder / inner[0]}" if inner else ""
        raise ModelError(
            f"{where} is not a Vosk model folder: it needs am/final.mdl and conf/model.conf (or final.mdl and "
            f"mfcc.conf in older models){hint}"
        )
    spec = _LAYOUTS[layout]
    graph = spec["graph"]
    missing = []
    if not any(_present(folder, f) for f in spec["features"]):
        missing.append(" or ".join(spec["features"]))
    if not _present(folder, f"{graph}HCLG.fst"):
        lookahead = [f"{graph}HCLr.fst", f"{graph}Gr.fst", f"{graph}disambig_tid.int"]
        if not all(_present(folder, f) for f in lookahead):
            missing.append(f"{graph}HCLG.fst (or {', '.join(lookahead)})")
    if _present(folder, "ivector/final.ie"):
        missing += [f"ivector/{name}" for name in _IVECTOR_FILES if not _present(folder, f"ivector/{name}")]
    if missing:
        raise ModelError(
            f"{where}: the Vosk model is incomplete (missing or empty: {', '.join(missing)}); unpack the "
            "archive again or `assistant models pull` it"
        )
    return layout


class VoskRecognizer:
    """A Vosk model and one KaldiRecognizer behind the Recognizer contract (streaming)."""

    streaming = True

    def __init__(self, model: Path, *, language: str = "en") -> None:
        check_model_folder(model)
        vosk = import_optional("vosk", engine="vosk", extra="vosk")
        vosk.SetLogLevel(-1)  # Kaldi's LOG lines; its errors still reach stderr
        try:
            # model_path only: Vosk's other arguments (model_name, lang) download a model.
            self._model = vosk.Model(model_path=str(model))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelError(
                f"{model} (stt.vosk_model): Vosk cannot load this model (the ERROR line above says why); its "
                "files may be damaged: unpack the archive again or `assistant models pull` it"
            ) from exc
        self._recognizer = vosk.KaldiRecognizer(self._model, float(SAMPLE_RATE))
        self._recognizer.SetWords(True)
        self.name = f"vosk ({model.name})"
        self.language = None if language == "auto" else language  # a Vosk model knows one language
        self._results: list[dict[str, Any]] = []  # utterance pieces Vosk closed at its own endpoints
        self._partial = ""
        self._samples = 0
        self._clock = ComputeClock()

    def begin(self) -> None:
        self._recognizer.Reset()
        self._results.clear()
        self._partial = ""
        self._samples = 0
        self._clock = ComputeClock()

    def feed(self, pcm: np.ndarray) -> str | None:
        pcm = check_pcm(pcm)
        self._samples += len(pcm)
        with self._clock:
            if self._recognizer.AcceptWaveform(pcm.tobytes()):
                # Vosk found a pause and closed a piece; the turn goes on until finish().
                self._results.append(json.loads(self._recognizer.Result()))
                current = ""
            else:
                current = json.loads(self._recognizer.PartialResult()).get("partial", "")
        partial = " ".join(t for t in [*(r.get("text", "") for r in self._results), current] if t)
        if partial == self._partial:
            return None
        self._partial = partial
        return partial

    def finish(self) -> Transcript:
        with self._clock:
            results = [*self._results, json.loads(self._recognizer.FinalResult())]
        self._results.clear()
        words = tuple(
            Word(w["word"], float(w["start"]), float(w["end"]), float(w["conf"]) if "conf" in w else None)
            for result in results
            for w in result.get("result", [])
        )
        return Transcript(
            text=" ".join(r["text"] for r in results if r.get("text")),
            language=self.language,
            words=words,
            audio_s=self._samples / SAMPLE_RATE,
            compute_s=self._clock.seconds,
            engine=self.name,
        )
