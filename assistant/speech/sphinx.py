"""pocketsphinx: speech-to-text with no download at all (the pip package ships a US English model).

Live, audio is decoded as it arrives and `hyp()` gives partials. Fed a whole recording (`live=False`), the
decoder sees the utterance in one call with `full_utt=True`, so cepstral mean normalization is computed over
the whole utterance instead of being estimated on the fly: on the 30 English files of shared/audio/asr that is
28.5% WER instead of 40%, at RTF 0.19 instead of 0.2 (2-core x86). Live decoding skips the second
(flat-lexicon) search pass: it would run in end_utt(), just when the answer is awaited, for 0.29 s on average
(0.77 s at most) instead of 0.02 s, holding the GIL all along, for no gain (WER 40.7% with it, 40.1%
without). For the same reason it skips the lattice search (bestpath) that hyp() would run after end_utt():
on the 53 English files of shared/audio/asr and commands, fed live, that hyp() took 22 ms of CPU at the
median, 0.26 s at p90 and 2 s at most (0.5 s for a 3 s command) instead of 0.03 ms, for no gain (WER 46.3%
with it, 46.8% without). Without the lattice there are no word posteriors: live words have no confidence.

pocketsphinx holds the GIL while it decodes, so live audio goes in blocks of at most 50 ms, and live search keeps
at most 2000 HMMs active per frame (`maxhmmpf`; pocketsphinx's default is 30000): on the audio of the simulated
room (shared/scenarios/questions.toml) one 10 ms block took up to 180 ms of CPU and a turn 0.65 times its length
(1.75 times for one), so the decoder held the GIL almost without a break: the audio thread fell up to 600 ms
behind, and caught up only when the turn was decoded, which the latency benchmark counted as the pipeline's
overhead (p90 60-600 ms). With the bound: 0.14 times real time on that audio, 99% of the blocks under 5 ms, none
over 25 ms, the same transcripts; on the 53 files above 0.10 times real time instead of 0.30, WER 47.4% instead of
46.8%. Whole utterances (files: no other thread waits) keep the full search.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.errors import ConfigurationError, ModelError
from assistant.speech.stt import SAMPLE_RATE, ComputeClock, Transcript, Word, check_pcm

_LIVE_BLOCK = SAMPLE_RATE // 20  # samples per decoder call when live
_LIVE_MAX_HMMS = 2000  # active HMMs per frame when live: bounds each decoder call's time holding the GIL
_PARTIAL_EVERY = SAMPLE_RATE // 10  # a partial every 100 ms of audio: hyp() walks the whole lattice
_FRAME_RATE = 100  # pocketsphinx's default -frate: frames per second
# Under 100 ms decoded there is no word, and asking pocketsphinx for a result makes it log an error.
_MIN_DECODED = SAMPLE_RATE // 10


def model_files(folder: Path) -> dict[str, str]:
    """The acoustic model, language model and dictionary in a pocketsphinx model folder, as Decoder options.

    The folder holds (like pocketsphinx's own model/en-us): a subfolder with the acoustic model (`mdef`,
    `means`, ...), a language model (.lm.bin, .lm or .dmp) and a pronunciation dictionary (.dict).
    """
    where = f"stt.sphinx_model = {folder}"
    if not folder.is_dir():
        raise ModelError(f"{where}: no such folder; point it at a pocketsphinx model folder, or leave it empty "
                         "for the English model pocketsphinx ships")
    acoustic = [p.parent for p in sorted(folder.glob("*/mdef"))] + ([folder] if (folder / "mdef").is_file() else [])
    # Word language models first: a *-phone.lm.bin (as in pocketsphinx's own folder) is for phoneme search.
    language = sorted(
        (p for p in folder.iterdir() if p.name.endswith((".lm.bin", ".lm", ".dmp", ".DMP"))),
        key=lambda p: ("phone" in p.name, p.name),
    )
    dictionary = sorted(folder.glob("*.dict"))
    missing = [
        what
        for what, found in (
            ("an acoustic model (a subfolder with mdef, means, variances...)", acoustic),
            ("a language model (.lm.bin or .lm)", language),
            ("a pronunciation dictionary (.dict)", dictionary),
        )
        if not found
    ]
    if missing:
        raise ModelError(f"{where}: the folder lacks {' and '.join(missing)}")
    _check_acoustic_model(acoustic[0], where)
    return {"hmm": str(acoustic[0]), "lm": str(language[0]), "dict": str(dictionary[0])}


def _check_acoustic_model(folder: Path, where: str) -> None:
    """pocketsphinx ends the whole process (exit 1) on a malformed acoustic model file: check the files it
    needs are there and begin as they must. (A file cut short after a sound header can still do it.)"""
    problems = []
    for name, starts in (("mdef", (b"BMDF", b"0.3")), ("means", (b"s3\n",)), ("variances", (b"s3\n",)),
                         ("transition_matrices", (b"s3\n",)), ("noisedict", (b"",))):
        path = folder / name
        if not path.is_file() or path.stat().st_size == 0:
            problems.append(f"{name} is missing or empty")
        elif not _head(path).startswith(starts):
            problems.append(f"{name} is not a pocketsphinx model file")
    if not (folder / "mixture_weights").is_file() and not (folder / "sendump").is_file():
        # sendump: the compressed mixture weights pocketsphinx's own models ship
        problems.append("mixture_weights (or sendump) is missing")
    if problems:
        raise ModelError(f"{where}: the acoustic model in {folder} is broken: {'; '.join(problems)}")


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4)


class SphinxRecognizer:
    """pocketsphinx's Decoder behind the Recognizer contract."""

    def __init__(self, model: Path | None = None, *, language: str = "en", live: bool = True) -> None:
        if model is None and language not in ("en", "auto"):
            raise ConfigurationError(
                f'stt.language = "{language}", but the model pocketsphinx ships is US English: set stt.sphinx_model '
                "to a pocketsphinx model folder of that language, or choose the whisper or vosk engine"
            )
        import pocketsphinx  # a core dependency, imported here so that `assistant --help` stays fast

        options: dict[str, object] = model_files(model) if model is not None else {}
        if live:
            options["fwdflat"] = False
            options["bestpath"] = False
            options["maxhmmpf"] = _LIVE_MAX_HMMS
        try:
            self._decoder = pocketsphinx.Decoder(loglevel="ERROR", **options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"pocketsphinx cannot load the model in {model}: {exc}") from exc
        self.name = f"pocketsphinx ({model.name if model else 'en-us'})"
        self.streaming = live
        self.language = "en" if model is None else (language if language != "auto" else None)
        self._live = live
        self._pending: list[np.ndarray] = []  # whole-utterance mode: audio waits for finish()
        self._samples = 0
        self._decoded = 0  # samples given to the decoder in this utterance
        self._since_partial = 0
        self._partial = ""
        self._clock = ComputeClock()
        self._in_utterance = False

    def begin(self) -> None:
        if self._in_utterance:
            self._decoder.end_utt()
        self._pending.clear()
        self._samples = self._decoded = self._since_partial = 0
        self._partial = ""
        self._clock = ComputeClock()
        with self._clock:
            self._decoder.start_utt()
        self._in_utterance = True

    def feed(self, pcm: np.ndarray) -> str | None:
        pcm = check_pcm(pcm)
        if not self._in_utterance:
            self.begin()
        self._samples += len(pcm)
        if not self._live:
            self._pending.append(pcm)
            return None
        with self._clock:
            for start in range(0, len(pcm), _LIVE_BLOCK):
                self._decoder.process_raw(pcm[start : start + _LIVE_BLOCK].tobytes())
            self._decoded += len(pcm)
            self._since_partial += len(pcm)
            if self._since_partial < _PARTIAL_EVERY:
                return None
            self._since_partial = 0
            hypothesis = self._decoder.hyp()
        partial = hypothesis.hypstr if hypothesis is not None else ""
        if partial == self._partial:
            return None
        self._partial = partial
        return partial

    def finish(self) -> Transcript:
        if not self._in_utterance:
            self.begin()
        with self._clock:
            whole = np.concatenate(self._pending) if self._pending else np.zeros(0, dtype=np.int16)
            self._pending.clear()
            # Digital silence (no sample differs) holds nothing to decode, and normalizing over it makes
            # pocketsphinx hear words ("dog"): skip it.
            if whole.size and whole.min() != whole.max():
                self._decoder.process_raw(whole.tobytes(), full_utt=True)
                self._decoded = len(whole)
            self._decoder.end_utt()
            self._in_utterance = False
            hypothesis = self._decoder.hyp() if self._decoded >= _MIN_DECODED else None
            words = tuple(self._words()) if hypothesis is not None else ()
        return Transcript(
            text=hypothesis.hypstr if hypothesis is not None else "",
            language=self.language,
            words=words,
            audio_s=self._samples / SAMPLE_RATE,
            compute_s=self._clock.seconds,
            engine=self.name,
        )

    def _words(self) -> list[Word]:
        words = []
        for segment in self._decoder.seg() or ():  # None when nothing was recognized
            text = segment.word
            if text.startswith(("<", "[")):  # <s>, </s>, <sil>, [NOISE]: not words
                continue
            if text.endswith(")") and "(" in text:  # the(2): an alternative pronunciation of "the"
                text = text[: text.index("(")]
            words.append(
                Word(
                    text=text,
                    start_s=segment.start_frame / _FRAME_RATE,
                    end_s=(segment.end_frame + 1) / _FRAME_RATE,  # end_frame is inclusive
                    # Without bestpath (live) prob is a placeholder 1.0, not a posterior.
                    conf=None if self._live else min(max(float(segment.prob), 0.0), 1.0),
                )
            )
        return words
