"""Wiring: a validated show becomes its parts (rewriter, voices, animator, studio) and a stream
of program items. The only place where voices, avatars and streaming meet."""
from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import voices
from anchor.errors import AnchorError
from anchor.media import Pause, Utterance
from anchor.program import Program, Spoken, spoken_stream
from anchor.recording import Recording
from anchor.rewriter import Rewriter, RulesRewriter, written_price
from anchor.show import LipSync, NewsSegment, ProductSegment, Show, VoiceDefinition
from anchor.studio import ProductCard, ProgramState, Studio, presenter_box
from avatars.base import Animator

log = logging.getLogger(__name__)
BUILTIN_AVATAR = "presenter"


@dataclass(frozen=True, slots=True)
class Format:
    width: int
    height: int
    fps: int


def program_format(show: Show, *, width: int | None = None, height: int | None = None,
                   fps: int | None = None) -> Format:
    layout = show.layout
    return Format(width or layout.width, height or layout.height, fps or layout.fps)


def make_animator(name: str, *, height: int, fps: int, seed: int,
                  lipsync: LipSync | None = None, channel: str = "") -> Animator:
    """The avatar's animator; with `lipsync`, wrapped so a neural model draws the mouth."""
    if name == BUILTIN_AVATAR:
        from avatars.presenter import IllustratedPresenter
        animator = IllustratedPresenter(height=height, fps=fps, seed=seed)
    else:
        from avatars.pack import load_pack
        from avatars.warp import PhotoAnimator
        animator = PhotoAnimator(load_pack(name), height=height, fps=fps, seed=seed)
    if lipsync is None:
        return animator
    from avatars.wav2lip import NeuralLipSync
    engine = lipsync_engine(lipsync.model, device=lipsync.device, batch=lipsync.batch)
    return NeuralLipSync(animator, engine=engine, fps=fps, channel=channel)


@lru_cache(maxsize=4)
def lipsync_engine(model: str, *, device: str, batch: int):
    """One engine per checkpoint, device and batch size, shared by every channel that uses it
    (their frames go into the same batches). Imports torch."""
    from avatars.wav2lip import LipSyncEngine, load_wav2lip
    return LipSyncEngine(load_wav2lip(model, device=device), batch=batch,
                         name=f"lipsync {Path(model).name}")


def check_avatar(name: str) -> None:
    if name != BUILTIN_AVATAR:
        from avatars.pack import load_pack
        load_pack(name)


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


def segment_state(segment, language: str) -> ProgramState:
    if isinstance(segment, NewsSegment):
        return ProgramState(headline=segment.headline, source=segment.source or "")
    if isinstance(segment, ProductSegment):
        price = written_price(segment.price, segment.currency, language)
        return ProgramState(product=ProductCard(segment.name, price))
    return ProgramState()


ScriptItems = Iterator[tuple[Utterance | Pause, ProgramState]]


def segment_scripts(show: Show, *, passes: int | None = 1,
                    warn: Callable[[str], None] = log.warning,
                    first_pass: int = 0, rewriter: Rewriter | None = None
                    ) -> Iterator[tuple[int, int, ScriptItems]]:
    """The show read by `rewriter` (default: the rules rewriter) one segment at a time, pass
    after pass (passes=None: forever): (pass index, segment index, that segment's items,
    lazily). A reader may leave a segment's items unread to skip the rest of it (the live
    scheduler's skip)."""
    names = voice_names(show)
    rewriter = rewriter or RulesRewriter(seed=show.seed, ids=itertools.count(1), warn=warn,
                                         source_name=str(show.path))
    for pass_index in itertools.islice(itertools.count(first_pass), passes):
        for index, segment in enumerate(show.segments):
            language = getattr(segment, "language", None) or show.language
            items = rewriter.utterances(segment, language=language, voice=names[language],
                                        pass_index=pass_index)
            if getattr(segment, "audio", None):
                items = _recorded(segment.audio, items, language)
            yield pass_index, index, _with_state(items, segment_state(segment, language))


def _recorded(path: str, items: Iterator[Utterance | Pause], language: str) -> Iterator[Recording]:
    """A segment spoken by a recording: its sentences as one item (the pauses are recorded)."""
    utterances = tuple(item for item in items if isinstance(item, Utterance))
    if utterances:
        yield Recording(Path(path), utterances, language)


def _with_state(items: Iterator[Utterance | Pause], state: ProgramState) -> ScriptItems:
    for item in items:
        yield item, state


def script(show: Show, *, passes: int | None = 1, warn: Callable[[str], None] = log.warning,
           first_pass: int = 0, rewriter: Rewriter | None = None
           ) -> Iterator[tuple[Utterance | Pause, ProgramState]]:
    """The show read by `rewriter` (default: the rules rewriter), pass after pass (passes=None:
    forever), each item with the on-screen state of its segment."""
    said, last = 0, len(show.segments) - 1
    for _, index, items in segment_scripts(show, passes=passes, warn=warn, first_pass=first_pass,
                                           rewriter=rewriter):
        for item in items:
            said += not isinstance(item[0], Pause)
            yield item
        if index == last:
            if not said:
                raise AnchorError(f"{show.path}: nothing to say: no segment has speakable text")
            said = 0


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
    from voices.coqui import CoquiVoice    # torch and TTS load only for a show that uses them

    def path(value: str | None) -> Path | None:
        return Path(value) if value is not None else None

    info = voices.VoiceInfo(name=name, language=definition.show_language,
                            backend=definition.backend, description=definition.description)
    return CoquiVoice(info, model=path(definition.model), config=path(definition.config),
                      model_name=definition.model_name, speaker=definition.speaker,
                      language=definition.language, reference=path(definition.reference),
                      consent=path(definition.consent), device=definition.device, warn=log.warning)


def stage(show: Show, fmt: Format, *, avatar: str | None = None) -> tuple[Animator, Studio]:
    """The presenter and the studio around it, for one program format."""
    animator = make_animator(avatar or show.avatar, height=fmt.height, fps=fmt.fps, seed=show.seed,
                             lipsync=show.lipsync, channel=str(show.path or show.title))
    layout = show.layout
    box = presenter_box(fmt.width, fmt.height, layout.presenter, canvas_width=animator.width,
                        canvas_height=animator.height)
    studio = Studio(width=fmt.width, height=fmt.height, presenter_box=box,
                    background=layout.background, language=show.language,
                    label_text=layout.label, title=show.title, subtitles=layout.subtitles)
    return animator, studio


def production(show: Show, fmt: Format, *, avatar: str | None = None, limit_s: float | None = None,
               passes: int | None = 1, warn: Callable[[str], None] = log.warning
               ) -> tuple[Program, Iterator[Spoken]]:
    """Everything needed to perform a show: the program and its speech, `passes` times through
    the show (None: looping until `limit_s`)."""
    animator, studio = stage(show, fmt, avatar=avatar)
    program = Program(animator=animator, studio=studio, fps=fmt.fps, limit_s=limit_s)
    rewriter = None
    if show.llm is not None:      # the show's LLM rewriter (a file render may wait on it)
        from anchor.rewriter import script_rewriter
        rewriter = script_rewriter(show, live=False, warn=warn)
    return program, spoken_stream(script(show, passes=passes, warn=warn, rewriter=rewriter),
                                  show_voices(show))
