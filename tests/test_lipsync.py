"""Lip sync, measured on the program output: mouth opening per frame against the loudness of
the audio, for the illustrated presenter (mouth located by its rig, opening read from the
pixels) and for a photo avatar (opening read by MediaPipe FaceMesh from the output frames).

Criteria (the render issue): the lag that best matches opening to loudness is within ±1 frame,
and in every silence of 200 ms or more the mouth is closed. A frame counts as inside a silence
when its whole span is silent and it is not the first or last such frame: lips part just
before a sound and settle just after it, and one 40 ms frame of that is natural.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from anchor.media import PROGRAM_RATE, AudioBlock, VideoFrame
from anchor.program import Format, production
from anchor.show import parse_show

FPS = 25
PER_FRAME = PROGRAM_RATE // FPS
PHRASE = ("Good evening. [pause 600ms] Markets rose today, and the new rail line opened two "
          "years early. [pause 400ms] Stay with us for the weather.")


def show_text(avatar: str, language: str = "en", phrase: str = PHRASE) -> str:
    return (f"title: Lip sync\nlanguage: {language}\navatar: {avatar}\n"
            f"layout: {{subtitles: false}}\nsegments:\n  - kind: text\n    text: \"{phrase}\"\n")


class Recorder:
    """Wraps an animator to keep the program position of each presenter frame's mouth."""

    def __init__(self, animator):
        self.animator, self.regions = animator, []
        self.width, self.height = animator.width, animator.height

    def frames(self, drives):
        for frame in self.animator.frames(drives):
            self.regions.append(self.animator.mouth_region(frame))
            yield frame


def perform(show_yaml: str, fmt: Format):
    return perform_show(parse_show(show_yaml, path="lipsync.yaml"), fmt)


def perform_show(show, fmt: Format):
    """The show's program frames, its audio (float), the presenter's mouth region in each frame,
    and the studio."""
    program, speech = production(show, fmt)
    recorder = Recorder(program.animator)
    program.animator = recorder
    frames, audio = [], []
    for item in program.items(speech):
        if isinstance(item, VideoFrame):
            frames.append(item.image)
        elif isinstance(item, AudioBlock):
            audio.append(item.pcm)
    return frames, np.concatenate(audio).astype(np.float64), recorder.regions, program.studio


def loudness(pcm: np.ndarray, n_frames: int) -> np.ndarray:
    pcm = np.pad(pcm, (0, max(0, n_frames * PER_FRAME - len(pcm))))
    return np.sqrt(np.mean(pcm[:n_frames * PER_FRAME].reshape(n_frames, PER_FRAME) ** 2, axis=1))


def silent_frames(pcm: np.ndarray, n_frames: int) -> list[int]:
    """Frames inside silences of 200 ms or more (see the module docstring)."""
    win = PROGRAM_RATE // 100                                       # 10 ms windows
    n_win = len(pcm) // win
    rms = np.sqrt(np.mean(pcm[:n_win * win].reshape(n_win, win) ** 2, axis=1))
    quiet = rms < 0.02 * rms.max()
    inside = []
    start = None
    for i, q in enumerate(list(quiet) + [False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if i - start >= 20:                                     # 200 ms
                a, b = start * win, i * win                         # the silence, in samples
                full = [n for n in range(n_frames)
                        if n * PER_FRAME >= a and (n + 1) * PER_FRAME <= b]
                inside += full[1:-1]
            start = None
    return inside


def best_lag(opening: np.ndarray, envelope: np.ndarray, max_lag: int = 4) -> int:
    def corr(lag):
        a = opening[max(0, lag):len(opening) + min(0, lag)]
        b = envelope[max(0, -lag):len(envelope) + min(0, -lag)]
        return np.corrcoef(a, b)[0, 1]
    return max(range(-max_lag, max_lag + 1), key=corr)


def check(opening: np.ndarray, pcm: np.ndarray, *, min_swing: float):
    """`opening` per output frame; the first frames (the lead-in) show the mouth at rest."""
    n = len(opening)
    envelope = loudness(pcm, n)
    lag = best_lag(opening, envelope)
    assert abs(lag) <= 1, f"mouth and sound are {lag} frames apart"
    rest = float(np.median(opening[:8]))
    swing = float(np.percentile(opening[envelope > 0.2 * envelope.max()], 90)) - rest
    assert swing > min_swing, f"the mouth hardly opens while speaking (swing {swing:.4f})"
    silent = silent_frames(pcm, n)
    assert len(silent) >= 10, "the phrase should contain real pauses"
    open_in_silence = [(i, round(float(opening[i] - rest) / swing, 2)) for i in silent
                       if opening[i] - rest > 0.25 * swing]
    assert not open_in_silence, f"mouth open during silence (frame, share of full opening): {open_in_silence}"


def inner_mouth(crop: np.ndarray) -> float:
    """Share of the mouth box showing the inside of the mouth: dark interior or teeth."""
    c = crop.astype(np.int32)
    dark = c.sum(axis=2) < 3 * 90
    teeth = (c[..., 2] > 195) & (np.abs(c[..., 0] - c[..., 2]) < 45)
    return float((dark | teeth).mean())


def test_illustrated_presenter_lips_follow_the_sound():
    frames, pcm, regions, studio = perform(show_text("presenter"), Format(1280, 720, FPS))
    box = studio.presenter_box
    opening = []
    for image, (x0, y0, x1, y1) in zip(frames, regions):
        inset = (x1 - x0) // 5                                   # keep the hair at the sides out
        opening.append(inner_mouth(image[box.y + y0:box.y + y1, box.x + x0 + inset:box.x + x1 - inset]))
    check(np.array(opening), pcm, min_swing=0.015)


@pytest.fixture(scope="module")
def astronaut_pack(tmp_path_factory):
    skimage = pytest.importorskip("skimage")
    from avatars.pack import create_pack
    root = tmp_path_factory.mktemp("avatars")
    consent = root / "consent.txt"
    consent.write_text("NASA portrait, public domain; used for testing.\n")
    portrait = os.path.join(os.path.dirname(skimage.data.__file__), "astronaut.png")   # shipped in the package
    os.environ["ANCHOR_AVATARS"] = str(root)
    try:
        yield create_pack(portrait, name="astronaut", consent=consent, root=root)
    finally:
        os.environ.pop("ANCHOR_AVATARS", None)


def test_photo_avatar_lips_follow_the_sound_as_mediapipe_sees_them(astronaut_pack):
    from avatars.facemesh import FaceMeshDetector
    frames, pcm, regions, studio = perform(show_text("astronaut"), Format(1280, 720, FPS))
    box = studio.presenter_box
    gaps = []
    with FaceMeshDetector(max_faces=1) as mesh:
        for image in frames:
            crop = np.ascontiguousarray(image[box.y:box.y + box.h, box.x:box.x + box.w])
            faces = mesh.detect(crop)
            assert faces, "MediaPipe lost the face in the output"
            lm = faces[0]
            face_h = np.linalg.norm(lm[10] - lm[152])
            gaps.append(np.linalg.norm(lm[13] - lm[14]) / face_h)  # inner lips apart, per face height
    check(np.array(gaps), pcm, min_swing=0.02)
