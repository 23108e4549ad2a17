"""The Piper voice: any Piper-format `.onnx` + `.onnx.json` voice, run with onnxruntime.

Text becomes espeak-ng IPA phonemes through our own binding and ids through the voice's own
`phoneme_id_map` (voices/piper_phonemes.py); the model speaks one sentence a call, and each
sentence is one AudioChunk at the program rate. Piper's runtime scales every sentence to its own
peak, which makes loudness jump from sentence to sentence; here every sentence is brought to one
program loudness (RMS over its voiced frames, TARGET_DBFS), limited only so it never clips.

Mouth timing: when the graph gives frames per phoneme id as a second output (Piper's `Ceil`
node of the duration predictor, exposed as an output), phonemes and visemes come from those
durations; otherwise the sentence's espeak-ng phonemes are aligned to the audio (voices/align.py).

onnxruntime is imported only when a voice is built: `import voices` stays light.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from anchor.errors import VoiceError
from anchor.media import PROGRAM_RATE, AudioChunk, Phoneme, Utterance, Word
from voices.align import audio_timing
from voices.base import VoiceInfo
from voices.piper_phonemes import (MAX_SENTENCE_PHONEMES, PiperConfig, Sentence, mnemonic,
                                   phoneme_ids, read_config, sentences)
from voices.resample import resample
from voices.visemes import phoneme_visemes

log = logging.getLogger(__name__)

TARGET_DBFS = -20.0        # program loudness: RMS of the voiced frames, dB full scale
PEAK_LIMIT = 0.97          # ... lowered for a sentence only as far as it would clip
FRAME_S = 0.02             # loudness frames
VOICED_BELOW_PEAK_DB = 35  # frames within this of the loudest frame count as voiced
REQUIRED_INPUTS = ("input", "input_lengths", "scales")
_MODIFIERS = frozenset("ːˑʰʲ") | {"\u0303", "\u0329", "\u032f"}


class PiperVoice:
    """A `Voice` on a Piper voice. `config` defaults to the model path plus ".json"; `speaker`
    is a name from the config's speaker_id_map or a speaker number (multi-speaker voices,
    default 0); the scales default to the config's `inference` values; `threads` is
    onnxruntime's intra-op thread count."""

    def __init__(self, info: VoiceInfo, *, model: Path, config: Path | None = None,
                 speaker: str | int | None = None, length_scale: float | None = None,
                 noise_scale: float | None = None, noise_w: float | None = None,
                 threads: int = 1, sample_rate: int = PROGRAM_RATE,
                 max_phonemes: int = MAX_SENTENCE_PHONEMES,
                 warn: Callable[[str], None] = log.warning):
        if sample_rate < 8000:
            raise VoiceError(f"voice '{info.name}': sample_rate {sample_rate} is below 8000 Hz")
        if not isinstance(threads, int) or threads < 1:
            raise VoiceError(f"voice '{info.name}': threads must be a whole number of at least 1")
        for name, value in (("length_scale", length_scale), ("noise_scale", noise_scale),
                            ("noise_w", noise_w)):
            if value is not None and not value >= 0:
                raise VoiceError(f"voice '{info.name}': {name} {value} must not be negative")
        self.info, self.sample_rate = info, sample_rate
        self.model_path = Path(model)
        if not self.model_path.is_file():
            raise VoiceError(f"{self.model_path}: Piper voice model not found")
        self.config_path = Path(config) if config is not None else Path(f"{self.model_path}.json")
        self.config: PiperConfig = read_config(self.config_path)
        if self.config.language != info.language.lower().split("-")[0]:
            raise VoiceError(f"{self.config_path}: the voice speaks '{self.config.language}' "
                             f"(espeak voice {self.config.espeak_voice}), not '{info.language}'")
        self.speaker_id = self._speaker(speaker)
        self.scales = np.array([self.config.noise_scale if noise_scale is None else noise_scale,
                                self.config.length_scale if length_scale is None else length_scale,
                                self.config.noise_w if noise_w is None else noise_w], np.float32)
        self.threads, self.max_phonemes = threads, max_phonemes
        self._warn, self._missing_warned = warn, False
        self._session = self._load()
        names = [i.name for i in self._session.get_inputs()]
        self._has_sid = "sid" in names
        outputs = self._session.get_outputs()
        self._durations = next((o.name for o in outputs[1:] if "dur" in o.name.lower()),
                               outputs[1].name if len(outputs) > 1 else None)
        self._output = outputs[0].name

    def __repr__(self) -> str:
        return f"PiperVoice({self.info.name!r}, model={str(self.model_path)!r})"

    # -- loading -------------------------------------------------------------------------------
    def _speaker(self, speaker: str | int | None) -> int | None:
        cfg = self.config
        if cfg.num_speakers <= 1:
            if speaker not in (None, 0, "0"):
                raise VoiceError(f"{self.config_path}: the voice has one speaker; "
                                 f"speaker {speaker!r} is not one of its speakers")
            return None
        if speaker is None:
            return 0
        if str(speaker) in cfg.speaker_ids:
            return cfg.speaker_ids[str(speaker)]
        if str(speaker).isdigit() and int(speaker) < cfg.num_speakers:
            return int(speaker)
        known = ", ".join(list(cfg.speaker_ids)[:12]) or f"0-{cfg.num_speakers - 1}"
        raise VoiceError(f"{self.config_path}: unknown speaker {speaker!r} (its speakers: {known})")

    def _load(self):
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise VoiceError(f"voice '{self.info.name}': the Piper backend needs onnxruntime "
                             f"(pip install onnxruntime): {exc}") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(self.model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 (onnxruntime's errors are its own pybind types)
            first = (str(exc).splitlines() or [""])[0]
            raise VoiceError(f"{self.model_path}: not an ONNX model onnxruntime can load "
                             f"({first[:200]})") from None
        inputs = {i.name: i for i in session.get_inputs()}
        missing = [name for name in REQUIRED_INPUTS if name not in inputs]
        extra = [name for name in inputs if name not in (*REQUIRED_INPUTS, "sid")]
        if missing or extra or not session.get_outputs():
            what = (f"no input {', '.join(missing)}" if missing
                    else f"unexpected input {', '.join(extra)}" if extra else "no output")
            raise VoiceError(f"{self.model_path}: not a Piper voice ({what}; a Piper voice takes "
                             f"input, input_lengths, scales and, with several speakers, sid)")
        if self.speaker_id is not None and "sid" not in inputs:
            raise VoiceError(f"{self.model_path}: the config {self.config_path.name} describes "
                             f"{self.config.num_speakers} speakers but the model takes no sid")
        return session

    # -- speaking ------------------------------------------------------------------------------
    def sentences(self, text: str) -> list[Sentence]:
        return sentences(text, espeak_voice=self.config.espeak_voice, max_phonemes=self.max_phonemes)

    def ids(self, phonemes) -> list[int]:
        return phoneme_ids(phonemes, self.config.id_map, self._missing)

    def _missing(self, symbol: str) -> None:
        if not self._missing_warned:
            self._missing_warned = True
            self._warn(f"voice '{self.info.name}': phoneme {symbol!r} (U+{ord(symbol[0]):04X}) "
                       f"is not in {self.config_path.name}'s phoneme_id_map; skipped (this "
                       f"warning is given once per voice)")

    def synthesize(self, utterance: Utterance) -> Iterator[AudioChunk]:
        """One chunk per sentence of the utterance, in order; nothing for unspeakable text."""
        offset = 0
        language = utterance.language or self.info.language
        for sentence in self.sentences(utterance.text):
            ids = self.ids(sentence.phonemes)
            audio, durations = self._run(ids)
            pcm = self._program_audio(audio)
            if not len(pcm):
                continue
            if durations is not None:
                known = [(p, len(self.config.id_map[p])) for p in sentence.phonemes
                         if self.config.id_map.get(p)]
                phonemes, visemes, words = _duration_timing(sentence.text, known, durations,
                                                            len(pcm), self.sample_rate, language)
            else:
                timing = audio_timing(sentence.text, pcm, self.sample_rate, language=language)
                phonemes, visemes, words = timing.phonemes, timing.visemes, timing.words
            yield AudioChunk(utterance.id, pcm, self.sample_rate, offset, phonemes, visemes, words)
            offset += len(pcm)

    def _run(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray | None]:
        feeds = {"input": np.array([ids], np.int64),
                 "input_lengths": np.array([len(ids)], np.int64), "scales": self.scales}
        if self._has_sid:
            feeds["sid"] = np.array([self.speaker_id or 0], np.int64)
        wanted = [self._output] + ([self._durations] if self._durations else [])
        try:
            results = self._session.run(wanted, feeds)
        except Exception as exc:  # noqa: BLE001
            first = (str(exc).splitlines() or [""])[0]
            raise VoiceError(f"{self.model_path}: the model failed on a sentence of {len(ids)} ids "
                             f"({first[:200]})") from None
        audio = np.asarray(results[0], np.float32).reshape(-1)
        durations = None
        if len(results) > 1:
            d = np.asarray(results[1]).reshape(-1)
            if len(d) == len(ids) and d.sum() > 0:
                durations = d.astype(np.float64)
        return audio, durations

    def _program_audio(self, audio: np.ndarray) -> np.ndarray:
        """Model audio at program loudness and rate, int16."""
        audio = np.nan_to_num(audio)
        rate = self.config.sample_rate
        frame = max(1, round(FRAME_S * rate))
        n = len(audio) // frame
        if n == 0 or not np.any(audio):
            return np.zeros(0, np.int16)           # a silent sentence makes no chunk
        rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1))
        voiced = rms >= max(rms.max() * 10 ** (-VOICED_BELOW_PEAK_DB / 20), 1e-5)
        level = float(np.sqrt(np.mean(rms[voiced] ** 2)))
        peak = float(np.abs(audio).max())
        gain = min(10 ** (TARGET_DBFS / 20) / level, PEAK_LIMIT / peak)
        pcm = (np.clip(audio * gain, -1.0, 1.0) * 32767).astype(np.int16)
        return resample(pcm, rate, self.sample_rate)


def _duration_timing(text: str, known: list[tuple[str, int]], durations: np.ndarray,
                     n_samples: int, sample_rate: int, language: str):
    """Phonemes, visemes and words from the model's frames per id. The ids are BOS, pad, then
    each phoneme's (id, pad) pairs, then EOS; `known` holds the phonemes the map knows (a
    skipped one has no ids) with their id counts."""
    scale = n_samples / float(durations.sum())
    bounds = np.round(np.concatenate([[0.0], np.cumsum(durations)]) * scale).astype(np.int64)
    spans: list[tuple[str, int, int]] = [("_", int(bounds[0]), int(bounds[2]))]
    k = 2
    for symbol, n_ids in known:
        if k + 2 * n_ids > len(durations) - 1:
            break
        spans.append((symbol, int(bounds[k]), int(bounds[k + 2 * n_ids])))
        k += 2 * n_ids
    spans.append(("_", int(bounds[k]), int(bounds[-1])))      # EOS
    phonemes: list[Phoneme] = []
    stress = ""
    words: list[tuple[int, int]] = []
    word_start = None
    for symbol, start, end in spans:
        if symbol in ("ˈ", "ˌ"):
            stress = "'" if symbol == "ˈ" else ","
            if phonemes:                 # the mark's frames belong to the sound before it
                last = phonemes[-1]
                phonemes[-1] = Phoneme(last.symbol, last.start, end)
            continue
        if symbol in _MODIFIERS and phonemes:
            last = phonemes[-1]
            phonemes[-1] = Phoneme(last.symbol, last.start, end)
            continue
        name = mnemonic(symbol)
        if name.startswith("_"):
            if word_start is not None:
                words.append((word_start, start))
                word_start = None
        elif word_start is None:
            word_start = start
        phonemes.append(Phoneme((stress + name) if not name.startswith("_") else name, start, end))
        stress = ""
    if word_start is not None:
        words.append((word_start, phonemes[-1].end if phonemes else n_samples))
    phonemes = [p for p in phonemes if p.end > p.start]
    visemes = phoneme_visemes(phonemes, language=language, sample_rate=sample_rate)
    text_words = text.split()
    word_marks = tuple(Word(w.strip(",.;:!?\"'"), s, e) for w, (s, e) in zip(text_words, words)) \
        if len(text_words) == len(words) else ()
    return tuple(phonemes), visemes, word_marks
