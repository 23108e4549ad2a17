"""The voices of a show: which voice speaks each language it speaks, and each voice loaded
once (the built-in presets, and the neural voices the show defines under `voices:`)."""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Callable

import voices
from anchor.errors import AnchorError
from anchor.media import Utterance
from anchor.show import Show, VoiceDefinition

log = logging.getLogger(__name__)


def voice_names(show: Show) -> dict[str, str]:
    """The voice for each language the show speaks, checked up front: the show's voice where it
    speaks that language, the language's default voice otherwise. A voice the show defines
    (`voices:`) is loaded here, so a model that will not load fails before any output."""
    presets = {v.name: v.language for v in voices.catalog()}
    for name, definition in show.voices.items():
        if name in presets:
            raise AnchorError(f"{show.path}:{definition.line}: voices.{name}: '{name}' is a "
                              f"built-in voice; give yours another name")
    known = {**presets, **{name: d.show_language for name, d in show.voices.items()}}
    if show.voice and show.voice not in known:
        raise AnchorError(f"{show.path}: voice: unknown voice '{show.voice}' "
                          f"(known: {', '.join(sorted(known))})")
    if show.voice in show.voices:
        defined_voice(show, show.voice)
    chosen = show.voice if show.voice in known else None
    languages = {show.language} | {s.language for s in show.segments if getattr(s, "language", None)}
    return {language: chosen if chosen and known[chosen] == language
            else voices.default_voice(language) for language in languages}


@lru_cache(maxsize=8)
def _voice(name: str) -> voices.Voice:
    return voices.load_voice(name)


def voice_for(utterance: Utterance) -> voices.Voice:
    """The built-in voice preset an utterance names."""
    return _voice(utterance.voice)


def show_voices(show: Show) -> Callable[[Utterance], voices.Voice]:
    """`voice_for` that also knows the voices `show` defines (`voices:`)."""
    def voice_of(utterance: Utterance) -> voices.Voice:
        if utterance.voice in show.voices:
            return defined_voice(show, utterance.voice)
        return _voice(utterance.voice)
    return voice_of


def defined_voice(show: Show, name: str) -> voices.Voice:
    """The voice `name` as `show` defines it, loaded once per definition."""
    definition = show.voices[name]
    try:
        return _neural_voice(name, definition)
    except AnchorError as e:
        raise type(e)(f"{show.path}:{definition.line}: voices.{name}: {e}") from None


@lru_cache(maxsize=4)
def _neural_voice(name: str, definition: VoiceDefinition) -> voices.Voice:
    def path(value: str | None) -> Path | None:
        return Path(value) if value is not None else None

    info = voices.VoiceInfo(name=name, language=definition.show_language,
                            backend=definition.backend, description=definition.description)
    if definition.backend == "piper":
        from voices.piper import PiperVoice   # onnxruntime loads only for a show that uses it
        return PiperVoice(info, model=Path(definition.model), config=path(definition.config),
                          speaker=definition.speaker, length_scale=definition.length_scale,
                          noise_scale=definition.noise_scale, noise_w=definition.noise_w,
                          threads=definition.threads, warn=log.warning)
    from voices.coqui import CoquiVoice    # torch and TTS load only for a show that uses them
    return CoquiVoice(info, model=path(definition.model), config=path(definition.config),
                      model_name=definition.model_name, speaker=definition.speaker,
                      language=definition.language, reference=path(definition.reference),
                      consent=path(definition.consent), device=definition.device, warn=log.warning)
