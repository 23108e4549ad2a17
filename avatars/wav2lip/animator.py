"""NeuralLipSync: an Animator that lets a Wav2Lip-style generator draw the mouth of another
animator's presenter (the photo avatar or the illustrated presenter).

For every drive the base animator draws its frame with the mouth closed (its own idle motion,
blinks and expression stay). On a speaking frame, the face crop of that frame and the mel
window of the program audio around it go to the shared LipSyncEngine; the generated lower face
is pasted back with a feathered mask and a colour match. On a silent frame the model is not
run: the base animator's closed mouth is the frame. Up to `engine.batch` drives are read ahead,
so one animator alone fills a batch; several channels on one engine share batches.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future
from dataclasses import replace
from typing import Iterable, Iterator

import cv2
import numpy as np

from anchor.media import CLOSED, PROGRAM_RATE, FaceDrive, PresenterFrame
from avatars.base import AudioDrivenAnimator
from avatars.presenter_rig import PresenterRig
from avatars.rig import Rig
from avatars.wav2lip.engine import LipSyncEngine
from avatars.wav2lip.mel import PROGRAM_PER_STEP, WINDOW_STEPS, MelFrontEnd
from avatars.wav2lip.paste import (Box, canvas_region, clamp_box, feathered_mask, match_colour,
                                   paste)

FACE = 96
SILENCE_PEAK = 180          # about -45 dBFS: quieter than this over the whole window is silence
BEFORE_MS, AFTER_MS = 50.0, 250.0


def face_box(rig: Rig | PresenterRig, *, width: int, height: int) -> Box:
    """The face crop the generator sees, in canvas pixels: the face oval's box for a photo rig;
    for the illustrated presenter's rig, a box from the brows to just below the chin."""
    if isinstance(rig, Rig):
        x0, y0, x1, y1 = rig.face_box
        return clamp_box((x0, y0, x1, y1 + 0.05 * (y1 - y0)), width, height)
    (lx, ly), (rx, ry), (_, chin_y) = rig.left_eye, rig.right_eye, rig.chin
    eyes = abs(lx - rx)
    mid_x, eye_y = 0.5 * (lx + rx), 0.5 * (ly + ry)
    return clamp_box((mid_x - 1.1 * eyes, eye_y - 0.8 * eyes, mid_x + 1.1 * eyes,
                      chin_y + 0.15 * eyes), width, height)


class NeuralLipSync(AudioDrivenAnimator):
    """`base` is an animator with a `rig` and `mouth_region(frame)`; `engine` runs the model."""

    audio_window_ms = (BEFORE_MS, AFTER_MS)     # Program fills FaceDrive.audio with this window

    def __init__(self, base, *, engine: LipSyncEngine, fps: int, channel: str = ""):
        self.base, self.engine, self.fps, self.channel = base, engine, int(fps), channel
        self.width, self.height = base.width, base.height
        self.mel = MelFrontEnd()
        self.face_box = face_box(base.rig, width=self.width, height=self.height)
        self._before = round(BEFORE_MS * PROGRAM_RATE / 1000)

    @property
    def rig(self):
        return self.base.rig

    def mouth_region(self, frame: PresenterFrame) -> tuple[int, int, int, int]:
        return self.base.mouth_region(frame)

    # ---- frames -------------------------------------------------------------------------------
    def frames(self, drives: Iterable[FaceDrive]) -> Iterator[PresenterFrame]:
        seen: deque[FaceDrive] = deque()

        def closed() -> Iterator[FaceDrive]:
            for drive in drives:
                seen.append(drive)
                yield replace(drive, mouth=CLOSED, audio=None)

        waiting: list[tuple[PresenterFrame, tuple | None]] = []
        for frame in self.base.frames(closed()):
            waiting.append((frame, self._request(frame, seen.popleft())))
            if len(waiting) >= self.engine.batch:
                yield from self._finish(waiting)
                waiting = []
        yield from self._finish(waiting)

    def _request(self, frame: PresenterFrame, drive: FaceDrive) -> tuple | None:
        """Send a speaking frame to the engine: (future, crop, mouth, mask); None when silent."""
        if not drive.speaking or drive.audio is None:
            return None
        start = drive.audio_at + self._before          # program sample where this frame starts
        step = start // PROGRAM_PER_STEP               # == floor(80 * frame / fps)
        a = step * PROGRAM_PER_STEP - drive.audio_at
        heard = drive.audio[max(0, a):max(0, a + WINDOW_STEPS * PROGRAM_PER_STEP)]
        if heard.size == 0 or int(np.abs(heard.astype(np.int32)).max()) < SILENCE_PEAK:
            return None
        mel = self.mel.window(drive.audio, drive.audio_at, step)
        crop = canvas_region(frame, self.face_box)
        face = cv2.resize(crop, (FACE, FACE), interpolation=cv2.INTER_AREA)
        masked = face.copy()
        masked[FACE // 2:] = 0
        future: Future = self.engine.submit(np.concatenate([masked, face], axis=2), mel,
                                            channel=self.channel)
        return future, crop, self.base.mouth_region(frame)

    def _finish(self, waiting) -> Iterator[PresenterFrame]:
        for frame, request in waiting:
            if request is None:
                yield frame
                continue
            future, crop, mouth = request
            generated = future.result()
            h, w = crop.shape[:2]
            big = cv2.resize(generated, (w, h), interpolation=cv2.INTER_CUBIC)
            mask = feathered_mask(self.face_box, mouth)
            yield paste(frame, match_colour(big, crop, mask), self.face_box, mask)
