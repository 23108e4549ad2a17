"""Idle life for any presenter: blinks, breathing and small head motion, seeded and
frame-counted (no wall time), so two renders of one show are identical."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pose:
    blink: float   # 0 eyes open .. 1 closed
    yaw: float     # degrees, head turn
    pitch: float   # degrees, nod (positive = down)
    roll: float    # degrees, tilt
    breath: float  # -1 .. 1, chest rise


class IdleMotion:
    """One Pose per video frame. Head motion is smoothed noise, livelier while speaking."""

    BLINK_FRAMES_S = (0.07, 0.10)    # closing, opening

    def __init__(self, *, fps: float, seed: int = 0):
        self.fps = fps
        self._rng = random.Random(seed)
        self._frame = 0
        self._next_blink = self._blink_gap()
        self._blink_start = -10_000
        self._energy = 0.0
        # three slow oscillators per axis with random phases: cheap, smooth, never periodic-looking
        self._waves = [[(self._rng.uniform(0.05, 0.35), self._rng.uniform(0, 2 * math.pi))
                        for _ in range(3)] for _ in range(3)]

    def _blink_gap(self) -> int:
        return max(1, round(self._rng.uniform(2.0, 5.5) * self.fps))

    def step(self, speaking: bool) -> Pose:
        f, fps = self._frame, self.fps
        self._frame += 1
        if f >= self._next_blink:
            self._blink_start = f
            gap = self._blink_gap()
            if self._rng.random() < 0.15:            # now and then a double blink
                gap = round(0.35 * fps)
            self._next_blink = f + gap
        close_s, open_s = self.BLINK_FRAMES_S
        t = (f - self._blink_start) / fps
        if t < close_s:
            blink = t / close_s
        elif t < close_s + open_s:
            blink = 1.0 - (t - close_s) / open_s
        else:
            blink = 0.0
        # speaking energy follows speech with a ~0.4 s lag each way
        target = 1.0 if speaking else 0.0
        self._energy += (target - self._energy) * min(1.0, 2.5 / fps)
        amp = 0.6 + 1.4 * self._energy
        sec = f / fps
        yaw, pitch, roll = (amp * sum(math.sin(2 * math.pi * hz * sec + ph) for hz, ph in axis) / 3
                            for axis in self._waves)
        breath = math.sin(2 * math.pi * 0.23 * sec)
        return Pose(blink=max(0.0, min(1.0, blink)), yaw=2.0 * yaw, pitch=1.5 * pitch,
                    roll=1.2 * roll, breath=breath)
