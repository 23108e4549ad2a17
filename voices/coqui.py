"""The Coqui TTS voice (`coqui-tts`): a neural model speaks, one sentence at a time.

The model comes from one of
  * a local checkpoint: a VITS-family `.pth` file and its `config.json` (next to it unless named);
  * a local model directory holding `config.json` and the weights (XTTS: `model.pth`, `vocab.json`);
  * a Coqui model name such as "tts_models/en/ljspeech/vits" (downloaded on first use, so only
    on a machine with internet).

XTTS clones a voice from a `reference` recording; that needs a `consent` record for exactly
that recording (voices/consent.py), checked before any model loads. Every utterance is cut
into sentences and each sentence is one AudioChunk (mono int16 at `sample_rate`, its
`start_sample` within the utterance), so the first audio is ready after the first sentence.
A neural model reports no phoneme events: mouth timing comes from aligning the sentence's
espeak-ng phonemes to the audio (voices/align.py).

torch and TTS are imported here only when a voice is built: `import voices` stays light.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from anchor.errors import VoiceError
from anchor.media import PROGRAM_RATE, AudioChunk, Utterance
from voices.align import audio_timing
from voices.base import VoiceInfo
from voices.consent import check_consent
from voices.recorded import read_recording
from voices.resample import resample

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
# A sentence ends at . ! ? … (with any closing quotes or brackets) before a space or the end,
# or at a Chinese sentence mark, which needs no space after it.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s|$)|[。！？；]+[”’」』）»]*")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, in order, without empty or unspeakable pieces."""
    pieces, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        pieces.append(text[start:end.end()])
        start = end.end()
    pieces.append(text[start:])
    pieces = [p.strip() for p in pieces]
    return [p for p in pieces if any(unicodedata.category(c)[0] in "LN" for c in p)]


class CoquiVoice:
    """A `Voice` on a Coqui TTS model. Give `model` (a checkpoint file or a model directory,
    with `config`) or `model_name`. `speaker` picks one of a multi-speaker model's speakers;
    `language` is the model's language id for a multilingual model ("en", "zh-cn") and is
    ignored by single-language models. `device`: "auto" (CUDA when present), "cpu" or "cuda"
    (falls back to the CPU with a warning when there is no CUDA device)."""

    def __init__(self, info: VoiceInfo, *, model: Path | None = None, config: Path | None = None,
                 model_name: str | None = None, speaker: str | None = None,
                 language: str | None = None, reference: Path | None = None,
                 consent: Path | None = None, device: str = "auto",
                 sample_rate: int = PROGRAM_RATE, warn: Callable[[str], None] = log.warning):
        if (model is None) == (model_name is None):
            raise VoiceError(f"voice '{info.name}': give either a local model or a model name")
        if device not in DEVICES:
            raise VoiceError(f"voice '{info.name}': device '{device}' is not one of {', '.join(DEVICES)}")
        if sample_rate < 8000:
            raise VoiceError(f"voice '{info.name}': sample_rate {sample_rate} is below 8000 Hz")
        self.info, self.sample_rate = info, sample_rate
        self.reference = Path(reference) if reference is not None else None
        if self.reference is not None:
            if not self.reference.is_file():
                raise VoiceError(f"{self.reference}: reference recording not found")
            self.consent = check_consent(reference=self.reference,
                                         consent=Path(consent) if consent is not None else None)
        self.checkpoint, self.config_path = _local_files(model, config) if model is not None else (None, None)
        self.model_name = model_name
        self.device = _device(device, warn)
        self._tts = self._load()
        self.model_rate = int(self._tts.synthesizer.output_sample_rate)
        self.speaker, self.language = self._choose(speaker, language)
        self._voice = self._clone() if self.reference is not None else None

    def __repr__(self) -> str:
        source = self.checkpoint or self.model_name
        return f"CoquiVoice({self.info.name!r}, model={str(source)!r}, device={self.device!r})"

    @property
    def speakers(self) -> list[str]:
        return list(self._tts.speakers or [])

    @property
    def languages(self) -> list[str]:
        return list(self._tts.languages or [])

    # -- loading -------------------------------------------------------------------------------
    def _load(self):
        try:
            from TTS.api import TTS
        except ImportError as exc:
            raise VoiceError(f"voice '{self.info.name}': the Coqui backend needs the neural extra "
                             f"(pip install -e .[neural]): {exc}") from None
        where = self.checkpoint or self.model_name
        try:
            if self.checkpoint is not None:
                tts = TTS(model_path=str(self.checkpoint), config_path=str(self.config_path),
                          progress_bar=False)
            else:
                tts = TTS(self.model_name, progress_bar=False)
            return tts.to(self.device)
        except VoiceError:
            raise
        except Exception as exc:  # noqa: BLE001 (Coqui raises many kinds; each becomes one line)
            raise _load_error(exc, checkpoint=where, config=self.config_path) from None

    def _choose(self, speaker: str | None, language: str | None) -> tuple[str | None, str | None]:
        name = self.checkpoint or self.model_name
        speakers = self.speakers
        if speaker is not None and speaker not in speakers:
            known = f"its speakers: {', '.join(speakers)}" if speakers else "it has one speaker"
            raise VoiceError(f"{name}: unknown speaker '{speaker}' ({known})")
        if speaker is None and speakers and self.reference is None:
            raise VoiceError(f"{name}: the model has several speakers; choose one with speaker: "
                             f"({', '.join(speakers[:12])}{', ...' if len(speakers) > 12 else ''})")
        languages = self.languages
        if not languages:
            return speaker, None
        if language is None or language not in languages:
            what = "needs a language" if language is None else f"has no language '{language}'"
            raise VoiceError(f"{name}: the model {what} (its languages: {', '.join(languages)})")
        return speaker, language

    def _clone(self) -> dict | None:
        """XTTS's conditioning for the reference voice, computed once from the recording read
        here (Coqui's own reader needs torchcodec and a system FFmpeg); None for models that
        clone some other way, which then get the recording with every sentence."""
        import torch

        model = self._tts.synthesizer.tts_model
        if not hasattr(model, "get_gpt_cond_latents"):
            return None
        config, rate = model.config, 22050
        pcm = read_recording(self.reference, sample_rate=rate)[: rate * int(config.max_ref_len)]
        if len(pcm) < rate // 2:
            raise VoiceError(f"{self.reference}: the reference recording is too short to clone a "
                             f"voice from ({len(pcm) / rate:.2f} s; give at least a few seconds)")
        audio = torch.from_numpy(pcm.astype(np.float32) / 32768.0).reshape(1, -1).to(model.device)
        if config.sound_norm_refs:
            audio = audio / audio.abs().max().clamp(min=1e-6) * 0.75
        try:
            with torch.inference_mode():
                latents = model.get_gpt_cond_latents(audio, rate, length=int(config.gpt_cond_len),
                                                     chunk_length=int(config.gpt_cond_chunk_len))
                embedding = model.get_speaker_embedding(audio, rate)
        except Exception as exc:  # noqa: BLE001
            first = (str(exc).splitlines() or [""])[0]
            raise VoiceError(f"{self.reference}: cannot clone a voice from this recording "
                             f"({type(exc).__name__}: {first})") from None
        settings = {key: config[key] for key in
                    ("temperature", "length_penalty", "repetition_penalty", "top_k", "top_p")}
        return {"gpt_cond_latent": latents, "speaker_embedding": embedding, **settings}

    # -- speaking ------------------------------------------------------------------------------
    def synthesize(self, utterance: Utterance) -> Iterator[AudioChunk]:
        """One chunk per sentence of the utterance, in order; nothing for unspeakable text."""
        offset = 0
        for sentence in split_sentences(utterance.text):
            pcm = self.speak_sentence(sentence)
            if not len(pcm):
                continue
            phonemes, visemes, words = _timing(sentence, pcm, self.sample_rate,
                                               language=utterance.language or self.info.language)
            yield AudioChunk(utterance.id, pcm, self.sample_rate, offset, phonemes, visemes, words)
            offset += len(pcm)

    def speak_sentence(self, sentence: str) -> np.ndarray:
        """One sentence as mono int16 PCM at `sample_rate`."""
        import torch
        from TTS.utils.synthesizer import PAD_SILENCE_SAMPLES

        extra = {"speaker_wav": str(self.reference)} if self.reference is not None else {}
        try:
            with torch.inference_mode():
                if self._voice is not None:
                    model = self._tts.synthesizer.tts_model
                    wav = model.inference(sentence, self.language, **self._voice)["wav"]
                else:
                    wav = self._tts.tts(text=sentence, speaker=self.speaker, language=self.language,
                                        split_sentences=False, **extra)
        except Exception as exc:  # noqa: BLE001 (e.g. no character of the text is in its alphabet)
            first = (str(exc).splitlines() or [""])[0]
            raise VoiceError(f"voice '{self.info.name}': the model could not speak {sentence!r} "
                             f"({type(exc).__name__}: {first})") from None
        if hasattr(wav, "detach"):
            wav = wav.detach().cpu().numpy()
        wav = np.asarray(wav, dtype=np.float32).reshape(-1)
        if len(wav) >= PAD_SILENCE_SAMPLES and not wav[-PAD_SILENCE_SAMPLES:].any():
            wav = wav[:-PAD_SILENCE_SAMPLES]     # the synthesizer's pause after every sentence
        pcm = (np.clip(np.nan_to_num(wav), -1.0, 1.0) * 32767).astype(np.int16)
        return resample(pcm, self.model_rate, self.sample_rate)


def _local_files(model: Path, config: Path | None) -> tuple[Path, Path]:
    model = Path(model)
    if not model.exists():
        raise VoiceError(f"{model}: model checkpoint not found")
    folder = model if model.is_dir() else model.parent
    config = Path(config) if config is not None else folder / "config.json"
    if not config.is_file():
        raise VoiceError(f"{config}: model config not found"
                         + ("" if model.is_dir() else f" (the config of {model.name})"))
    return model, config


def _device(requested: str, warn: Callable[[str], None]) -> str:
    import torch

    has_cuda = torch.cuda.is_available()
    if requested == "cuda" and not has_cuda:
        warn("device: cuda was requested but no CUDA device is available; using the CPU")
        return "cpu"
    if requested == "auto":
        return "cuda" if has_cuda else "cpu"
    return requested


def _load_error(exc: Exception, *, checkpoint, config: Path | None) -> VoiceError:
    """One clear line for a model that would not load, naming the file at fault."""
    import json
    import pickle
    import zipfile

    text = str(exc)
    if isinstance(exc, json.JSONDecodeError) or (isinstance(exc, ValueError) and "JSON" in text):
        return VoiceError(f"{config}: the model config is not valid JSON ({text})")
    if isinstance(exc, (ModuleNotFoundError, TypeError)) and "Config for" in text:
        return VoiceError(f"{config}: the model config names an unknown model type ({text.strip(' [!]')})")
    if isinstance(exc, KeyError) and config is not None and exc.args in (("model",), ("generator_model",)):
        return VoiceError(f"{config}: the model config has no 'model' field: it is not a Coqui model config")
    if "Error(s) in loading state_dict" in text:
        missing = _count_keys(text, "Missing key(s)")
        unexpected = _count_keys(text, "Unexpected key(s)")
        mismatched = text.count("size mismatch")
        parts = [f"{n} {what}" for n, what in ((missing, "missing"), (unexpected, "unexpected"),
                                              (mismatched, "of another size")) if n]
        return VoiceError(f"{checkpoint}: the checkpoint is not the architecture that {config} "
                          f"describes (weights: {', '.join(parts) or 'do not match'})")
    if isinstance(exc, (pickle.UnpicklingError, EOFError, zipfile.BadZipFile)) or (
            isinstance(exc, RuntimeError) and ("PytorchStreamReader" in text or "zip archive" in text)) or (
            isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)):
        return VoiceError(f"{checkpoint}: the checkpoint is damaged or not a PyTorch file ({text.splitlines()[0]})")
    if isinstance(exc, KeyError):
        return VoiceError(f"{checkpoint}: not a Coqui checkpoint (no {exc.args[0]!r} entry)")
    if isinstance(exc, FileNotFoundError):
        return VoiceError(f"{exc.filename or checkpoint}: file not found while loading the model "
                          f"{checkpoint}")
    first = text.splitlines()[0] if text else ""
    return VoiceError(f"{checkpoint}: cannot load the Coqui model ({type(exc).__name__}: {first})")


def _count_keys(text: str, label: str) -> int:
    m = re.search(re.escape(label) + r" in state_dict: ([^\n]*)", text)
    return len(re.findall(r'"[^"]+"', m.group(1))) if m else 0


def _timing(sentence: str, pcm: np.ndarray, sample_rate: int, *, language: str):
    """Phonemes, visemes and words for a sentence's audio, aligned from its text."""
    timing = audio_timing(sentence, pcm, sample_rate, language=language)
    return timing.phonemes, timing.visemes, timing.words
