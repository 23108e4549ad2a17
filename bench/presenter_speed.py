"""How fast the illustrated presenter animates, alone and composed into a program frame.

Drives cycle through speech-like mouth shapes (so the sprite caches see the real mix of
hits and misses after warm-up) and expressions. Pinned to one core with OpenCV single-threaded.
The house target is >= 150 frames/s for animation + composition at 720p.

    .venv/bin/python bench/presenter_speed.py [--frames 1500] [--height 720]
"""
from __future__ import annotations

import argparse
import os
import random
import time

import cv2
import numpy as np

from anchor.media import FaceDrive, MouthShape


def speech_drives(n: int, seed: int = 1) -> list[FaceDrive]:
    rng = random.Random(seed)
    shapes = [MouthShape(), MouthShape(open=1.0, wide=0.3), MouthShape(open=0.45, round=1.0),
              MouthShape(open=0.3, wide=1.0), MouthShape(open=0.1, bite=1.0), MouthShape(open=0.6)]
    out, cur = [], shapes[0]
    for i in range(n):
        target = rng.choice(shapes)
        k = 0.5   # ease toward the next viseme like a real mouth track does
        cur = MouthShape(*(a + (b - a) * k for a, b in zip(
            (cur.open, cur.wide, cur.round, cur.bite), (target.open, target.wide, target.round, target.bite))))
        expression = ("neutral", "smile", "serious")[(i // 250) % 3]
        out.append(FaceDrive(mouth=cur, expression=expression, speaking=(i // 100) % 4 != 3))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--height", type=int, default=720)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)
    from avatars.presenter import IllustratedPresenter

    t0 = time.perf_counter()
    presenter = IllustratedPresenter(height=args.height, fps=25)
    build = time.perf_counter() - t0
    drives = speech_drives(args.frames)
    times = []
    it = presenter.frames(drives)
    frames = []
    for _ in drives:
        t = time.perf_counter()
        frames.append(next(it))
        times.append(time.perf_counter() - t)
    ms = np.array(times[len(times) // 3:]) * 1e3          # after the caches have warmed up
    cold = np.array(times[:len(times) // 3]) * 1e3
    print(f"presenter {presenter.width}x{presenter.height}: build {build:.2f} s; "
          f"warm {1e3 / ms.mean():.0f} frames/s (mean {ms.mean():.2f} ms, p99 {np.percentile(ms, 99):.2f} ms); "
          f"first third incl. cache fills {1e3 / cold.mean():.0f} frames/s (max {cold.max():.1f} ms); "
          f"{len(presenter._mouths)} mouth sprites")
    try:
        from anchor.studio import ProgramState, Studio, presenter_box
    except ImportError:
        return
    width = round(args.height * 16 / 9)
    box = presenter_box(width, args.height, "right")
    if (box.w, box.h) != (presenter.width, presenter.height):
        print(f"studio presenter box {box.w}x{box.h} differs from the canvas; composition skipped")
        return
    studio = Studio(width=width, height=args.height, presenter_box=box, background="#1b2a41",
                    language="en", title="Anchor News")
    state = ProgramState(subtitle="Good evening, and welcome to the program.")
    presenter2 = IllustratedPresenter(height=args.height, fps=25)
    for _ in presenter2.frames(drives[:len(drives) // 3]):      # warm the caches
        pass
    times = []
    it = presenter2.frames(drives)
    for _ in drives:
        t = time.perf_counter()
        studio.compose(next(it), state)
        times.append(time.perf_counter() - t)
    ms = np.array(times[10:]) * 1e3
    print(f"presenter + studio compose {width}x{args.height}: {1e3 / ms.mean():.0f} frames/s on one core "
          f"(mean {ms.mean():.2f} ms, p99 {np.percentile(ms, 99):.2f} ms)")


if __name__ == "__main__":
    main()
