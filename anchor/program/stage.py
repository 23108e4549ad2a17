"""The stage for one program format: the presenter (the show's avatar, with neural lip sync
when the show asks for it) and the studio around it."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from anchor.show import LipSync, Show
from anchor.studio import Studio, presenter_box
from avatars.base import Animator
from avatars.kinds import Avatars


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
    """The avatar's animator, as its kind builds it; with `lipsync`, wrapped so a neural model
    draws the mouth."""
    animator = Avatars().animator(name, height=height, fps=fps, seed=seed)
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
    """AvatarError unless `name` is an avatar its kind can animate (see avatars.kinds)."""
    Avatars().check(name)


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
