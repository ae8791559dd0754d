"""Wake words: openWakeWord's ONNX models, streamed without the openwakeword package.

The chain, as in upstream's `AudioFeatures` (openwakeword/utils.py), every 80 ms (1280 samples at 16 kHz):
  1. melspectrogram.onnx on the new 1280 samples plus the 480 before them (its 25 ms windows need the
     context) gives 8 mel frames of 32 bins; upstream rescales them with x/10 + 2;
  2. embedding_model.onnx on the last 76 mel frames gives one 96-value embedding (so embeddings step by
     8 mel frames);
  3. each word's classifier scores its last 16 embeddings (about 1.3 s of audio).
The front end (1, 2) is shared by all words. Buffers start primed with a very quiet room (mel frames of
ones, as upstream's), and scores are ignored for the first second after start or `reset`.

A word is detected when `patience` consecutive chunks score at or above its threshold (upstream's
`patience`) and, with the VAD check, Silero heard at least `vad_speech_s` of speech in the second before.
On the shared recordings (`assistant bench wake`) this removes alexa's false accepts: a click followed by a
word peaks for one or two chunks and holds a single VAD window of speech, a spoken wake word holds the
score for three or more chunks and gives half a second of speech or more. A moving average of the score
was measured too and removed none of them without losing positives, so it is not offered.

With the VAD check, no word can be detected while Silero hears too little speech, which is most of the time a
device waits for its word: the front end (its two models: the largest part of the idle CPU) then waits too,
keeping the chunks it has not taken, and takes them when the check could pass (at once: 27 chunks, ~40 ms on
a 2-core x86). Its outputs depend only on the last chunks (no recurrent state: the embeddings of 1.3 s, each of
0.76 s of mel frames), so with enough chunks kept the scores and detections are the same as if it had taken
every chunk. `assistant bench idle` (hey_jarvis, medians of 4 runs): 9.8 -> 6.7 % of a core in a silent room,
9.1 -> 7.0 % with kitchen noise.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.config import Config
from assistant.errors import ModelError
from assistant.onnx import TensorSpec, open_session, run_checked
from assistant.selection import WakeChoice, WakeWordChoice
from assistant.speech.vad import Reframer, VoiceActivity

SAMPLE_RATE = 16000
CHUNK = 1280  # 80 ms: one embedding and one score per word
MEL_CONTEXT = 160 * 3  # samples before each chunk that the melspectrogram needs (upstream's 160*3)
MEL_FRAMES_PER_CHUNK = 8
MEL_WINDOW = 76  # mel frames per embedding
MEL_BINS = 32
EMBEDDING_SIZE = 96
WARMUP_SAMPLES = SAMPLE_RATE  # scores in the first second after start/reset come from the primed buffers
# The VAD check looks for speech in the second before a detection: the score peaks just after the word
# ends, so the speech lies behind it (upstream looks 0.32 to 0.56 s back, per 80 ms chunk).
VAD_LOOKBACK_SAMPLES = SAMPLE_RATE
# Chunks an embedding depends on: its mel frames' chunks (9.5) and the chunk before them (the mel's context).
EMBEDDING_CHUNKS = -(-MEL_WINDOW // MEL_FRAMES_PER_CHUNK) + 1

MELSPECTROGRAM_FILE = "melspectrogram.onnx"
EMBEDDING_FILE = "embedding_model.onnx"


class WakeWord(Protocol):
    """Listens for wake words in int16 16 kHz frames of any length. Implemented by `OpenWakeWord`."""

    def feed(self, frame: np.ndarray) -> list[WakeDetection]:
        """Add samples; return the words detected in them (sample positions count from start/reset)."""
        ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class WakeDetection:
    """`word` scored `score` on the 80 ms chunk ending at `sample` (on the input's sample clock)."""

    word: str
    score: float
    sample: int


def word_name(classifier: Path) -> str:
    """The word a classifier file detects, from its name: hey_jarvis_v0.1.onnx -> hey_jarvis."""
    return re.sub(r"_v\d+(\.\d+)*$", "", Path(classifier).stem)


class WakeFeatures:
    """The shared front end (melspectrogram and embedding models) with its streaming buffers."""

    def __init__(self, melspectrogram: Path, embedding: Path, *, threads: int = 1, history: int = 16) -> None:
        self.melspectrogram_path = Path(melspectrogram)
        self.embedding_path = Path(embedding)
        self.history = history
        what_mel = "openWakeWord melspectrogram model"
        what_emb = "openWakeWord embedding model"
        self._mel = open_session(
            self.melspectrogram_path, what_mel, threads=threads,
            inputs=(TensorSpec("input", (None, None)),), outputs=(TensorSpec(None, (None, 1, None, MEL_BINS)),),
        )
        self._embedding = open_session(
            self.embedding_path, what_emb, threads=threads,
            inputs=(TensorSpec("input_1", (None, MEL_WINDOW, MEL_BINS, 1)),),
            outputs=(TensorSpec(None, (None, 1, 1, EMBEDDING_SIZE)),),
        )
        frames = run_checked(
            self._mel, {"input": np.zeros((1, MEL_CONTEXT + CHUNK), np.float32)}, self.melspectrogram_path, what_mel
        )[0]
        if frames.shape != (1, 1, MEL_FRAMES_PER_CHUNK, MEL_BINS):
            raise ModelError(
                f"{self.melspectrogram_path}: wrong model for the {what_mel}: {MEL_CONTEXT + CHUNK} samples gave "
                f"mel frames of shape {frames.shape}, expected (1, 1, {MEL_FRAMES_PER_CHUNK}, {MEL_BINS})"
            )
        # Primed state: mel frames of ones (upstream's start, a very quiet room) and their embedding.
        self._quiet_mel = np.ones((MEL_WINDOW, MEL_BINS), dtype=np.float32)
        quiet = run_checked(self._embedding, {"input_1": self._quiet_mel[None, :, :, None]}, self.embedding_path,
                            what_emb)[0]
        if quiet.size != EMBEDDING_SIZE:
            raise ModelError(
                f"{self.embedding_path}: wrong model for the {what_emb}: it gave {quiet.size} values, expected 96"
            )
        self._quiet_embedding = quiet.reshape(EMBEDDING_SIZE)
        self.reset()

    def reset(self) -> None:
        self._tail = np.zeros(MEL_CONTEXT, dtype=np.float32)
        self._mel_frames = self._quiet_mel.copy()
        self._embeddings = np.tile(self._quiet_embedding, (self.history, 1))

    def push(self, chunk: np.ndarray) -> None:
        """Take the next CHUNK int16 samples: 8 new mel frames, one new embedding."""
        audio = np.concatenate([self._tail, chunk.astype(np.float32)])  # int16 scale, as the model expects
        self._tail = audio[-MEL_CONTEXT:]
        mel = self._mel.run(None, {"input": audio[None, :]})[0].reshape(MEL_FRAMES_PER_CHUNK, MEL_BINS)
        self._mel_frames = np.concatenate([self._mel_frames[MEL_FRAMES_PER_CHUNK:], mel / 10.0 + 2.0])
        embedding = self._embedding.run(None, {"input_1": self._mel_frames[None, :, :, None]})[0]
        self._embeddings = np.concatenate([self._embeddings[1:], embedding.reshape(1, EMBEDDING_SIZE)])

    def embeddings(self, count: int) -> np.ndarray:
        """The last `count` embeddings as a classifier input [1, count, 96]."""
        return self._embeddings[-count:][None, :, :]


class WakeClassifier:
    """One word's classifier: scores the last `frames` embeddings (0..1); keeps no state."""

    def __init__(
        self, path: Path, *, name: str | None = None, threshold: float = 0.5, patience: int = 1, threads: int = 1
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"wake word threshold must be in [0, 1], got {threshold}")
        if patience < 1:
            raise ValueError(f"wake word patience must be at least 1 chunk, got {patience}")
        self.path = Path(path)
        self.name = name or word_name(self.path)
        self.threshold = threshold
        self.patience = patience  # consecutive chunks at or above the threshold for a detection
        what = "openWakeWord classifier (input [1,16,96], score [1,1])"
        self._session = open_session(
            self.path, what, threads=threads,
            inputs=(TensorSpec(None, (1, None, EMBEDDING_SIZE)),), outputs=(TensorSpec(None, (1, 1)),),
        )
        self._input = self._session.get_inputs()[0].name
        frames = self._session.get_inputs()[0].shape[1]
        if not isinstance(frames, int) or frames < 1:
            raise ModelError(f"{self.path}: wrong model for the {what}: its input has no fixed number of embeddings")
        self.frames = frames
        score = run_checked(self._session, {self._input: np.zeros((1, frames, EMBEDDING_SIZE), np.float32)},
                            self.path, what)[0]
        if score.shape != (1, 1):
            raise ModelError(
                f"{self.path}: wrong model for the {what}: it gave a score of shape {score.shape}, expected (1, 1)"
            )

    def score(self, embeddings: np.ndarray) -> float:
        return float(self._session.run(None, {self._input: embeddings})[0][0, 0])


class OpenWakeWord:
    """Several wake words on one shared front end: per-word threshold and patience, a refractory period after
    each detection, and optionally a VAD check so that noise alone cannot wake the assistant: at least
    `vad_speech_s` of speech (0: one VAD window) in the second before. Implements `WakeWord`.
    """

    def __init__(
        self,
        features: WakeFeatures,
        classifiers: Sequence[WakeClassifier],
        *,
        refractory_s: float = 2.0,
        vad: VoiceActivity | None = None,
        vad_threshold: float = 0.5,
        vad_speech_s: float = 0.0,
    ) -> None:
        if not classifiers:
            raise ValueError("at least one wake word classifier is needed")
        names = [c.name for c in classifiers]
        if len(set(names)) != len(names):
            raise ValueError(f"wake words must have different names, got {names}")
        if features.history < max(c.frames for c in classifiers):
            raise ValueError("the front end keeps fewer embeddings than a classifier needs")
        self.features = features
        self.classifiers = list(classifiers)
        self.refractory = round(refractory_s * SAMPLE_RATE)
        self.vad = vad
        self.vad_threshold = vad_threshold
        window = vad.window if vad is not None else 1
        if not 0.0 <= vad_speech_s * SAMPLE_RATE <= VAD_LOOKBACK_SAMPLES:
            raise ValueError(f"vad_speech_s must be in [0, {VAD_LOOKBACK_SAMPLES / SAMPLE_RATE:g}], got {vad_speech_s}")
        self.speech_windows = max(1, math.ceil(vad_speech_s * SAMPLE_RATE / window))  # needed in the lookback
        # While the VAD check cannot pass, the front end waits (True; bench wake turns it off to see every
        # chunk's score). The chunks it keeps meanwhile: enough for exact scores on the last patience - 1 of
        # them, all that a detection on the next chunk depends on besides its own (classifiers keep no state).
        self.front_end_waits = True
        score_chunks = features.history + EMBEDDING_CHUNKS - 1  # the chunks a score depends on, its own included
        self._waiting: deque[np.ndarray] = deque(maxlen=score_chunks - 1 + max(c.patience for c in classifiers) - 1)
        self.reset()

    @classmethod
    def load(
        cls,
        words: Sequence[WakeWordChoice],
        *,
        threads: int = 1,
        refractory_s: float = 2.0,
        vad: VoiceActivity | None = None,
        vad_threshold: float = 0.5,
        vad_speech_s: float = 0.0,
    ) -> OpenWakeWord:
        """Load the classifiers and the shared front end, found beside the first classifier."""
        if not words:
            raise ValueError("at least one wake word is needed")
        classifiers = [
            WakeClassifier(w.classifier, name=w.name, threshold=w.threshold, patience=w.patience, threads=threads)
            for w in words
        ]
        folder = Path(words[0].classifier).parent
        features = WakeFeatures(
            folder / MELSPECTROGRAM_FILE, folder / EMBEDDING_FILE,
            threads=threads, history=max(c.frames for c in classifiers),
        )
        return cls(
            features, classifiers,
            refractory_s=refractory_s, vad=vad, vad_threshold=vad_threshold, vad_speech_s=vad_speech_s,
        )

    @classmethod
    def from_config(cls, choice: WakeChoice, config: Config, vad: VoiceActivity | None = None) -> OpenWakeWord:
        """The detector `choose_wake` chose, with the [wake] settings. `vad` (e.g. `SileroVad.fork()` of the
        listener's VAD, sharing its session) is needed when wake.vad_check is on."""
        if config.wake.vad_check and vad is None:
            raise ValueError("wake.vad_check is on: pass a VoiceActivity (SileroVad) for the check")
        return cls.load(
            choice.words,
            threads=config.general.onnx_threads,
            refractory_s=config.wake.refractory_s,
            vad=vad if config.wake.vad_check else None,
            vad_threshold=config.vad.threshold,
            vad_speech_s=config.wake.vad_speech_s,
        )

    def reset(self) -> None:
        self.features.reset()
        if self.vad is not None:
            self.vad.reset()
        self.clock = 0  # samples taken since start/reset
        self.last_scores: dict[str, float] = {c.name: 0.0 for c in self.classifiers}  # of the last chunk scored
        self._chunks = Reframer(CHUNK)
        self._waiting.clear()
        self._vad_windows = Reframer(self.vad.window if self.vad is not None else 1)
        self._quiet_until = dict.fromkeys(self.last_scores, 0)  # refractory end per word
        self._run = dict.fromkeys(self.last_scores, 0)  # consecutive chunks at or above the threshold, per word
        lookback_windows = -(-VAD_LOOKBACK_SAMPLES // self.vad.window) if self.vad is not None else 1
        self._speech: deque[float] = deque(maxlen=lookback_windows)  # recent VAD probabilities

    def feed(self, frame: np.ndarray) -> list[WakeDetection]:
        detections: list[WakeDetection] = []
        for chunk in self._chunks.blocks(frame):
            detections += self._chunk(chunk)
        return detections

    def _chunk(self, chunk: np.ndarray) -> list[WakeDetection]:
        self.clock += CHUNK
        self._listen_for_speech(chunk)
        if self.front_end_waits and not self.speech_heard():
            self._waiting.append(chunk.copy())  # no word can be detected now (a copy: `chunk` may be a view)
            return []
        # The chunks that waited are scored first (for the runs of chunks at the threshold), none detected:
        # the VAD check failed on each. The oldest of a full queue score from stale features, but the run
        # that a detection now needs is only the last patience - 1 of them long, and those are exact.
        clock = self.clock - CHUNK * len(self._waiting)
        for waited in self._waiting:
            self._score(waited, clock, detect=False)
            clock += CHUNK
        self._waiting.clear()
        return self._score(chunk, self.clock, detect=True)

    def _score(self, chunk: np.ndarray, clock: int, *, detect: bool) -> list[WakeDetection]:
        """Take `chunk`, which ends at `clock`, through the front end and score it for every word."""
        self.features.push(chunk)
        if clock <= WARMUP_SAMPLES:
            return []
        detections = []
        for classifier in self.classifiers:
            name = classifier.name
            if clock < self._quiet_until[name]:
                self.last_scores[name] = 0.0
                self._run[name] = 0
                continue
            score = classifier.score(self.features.embeddings(classifier.frames))
            self.last_scores[name] = score
            self._run[name] = self._run[name] + 1 if score >= classifier.threshold else 0
            if detect and self._run[name] >= classifier.patience and self.speech_heard():
                detections.append(WakeDetection(name, score, clock))
                self._quiet_until[name] = clock + self.refractory
                self._run[name] = 0
        return detections

    def _listen_for_speech(self, chunk: np.ndarray) -> None:
        if self.vad is not None:
            self._speech.extend(self.vad.probability(window) for window in self._vad_windows.blocks(chunk))

    def speech_heard(self) -> bool:
        """Whether the VAD check passes now: enough speech in the last second (always, without a VAD)."""
        if self.vad is None:
            return True
        return sum(1 for p in self._speech if p >= self.vad_threshold) >= self.speech_windows
