"""How fast the photo animator renders: frames per second on one core.

    .venv/bin/python bench/photo_speed.py [--height 720] [--frames 300] [--portrait PATH]

Rigs the portrait (default: scikit-image's astronaut photo) into a temporary avatar pack,
then renders talking frames (mouth shapes cycling, idle blinks and head motion) and prints
frames/s and milliseconds per frame. The budget is 4 ms per frame at height 720.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--portrait", type=Path, default=None)
    args = parser.parse_args()
    cv2.setNumThreads(1)                 # one core, as the budget says
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from anchor.media import FaceDrive, MouthShape
    from avatars.pack import create_pack
    from avatars.warp import PhotoAnimator

    portrait = args.portrait
    if portrait is None:
        import skimage.data
        portrait = Path(skimage.data.data_dir) / "astronaut.png"
    with tempfile.TemporaryDirectory() as tmp:
        consent = Path(tmp) / "consent.txt"
        consent.write_text("Benchmark run; the portrait is in the public domain.\n")
        pack = create_pack(portrait, name="bench", consent=consent, root=Path(tmp) / "avatars")
    animator = PhotoAnimator(pack, height=args.height, fps=25.0)
    drives = [FaceDrive(mouth=MouthShape(open=0.5 + 0.5 * math.sin(i / 3),
                                         wide=max(0.0, math.sin(i / 7)),
                                         round=max(0.0, -math.sin(i / 5))),
                        expression="smile" if (i // 50) % 2 else "neutral", speaking=True)
              for i in range(args.frames)]
    list(animator.frames(drives[:10]))   # warm up
    times = []
    frames = animator.frames(drives)
    while True:
        t0 = time.perf_counter()
        try:
            next(frames)
        except StopIteration:
            break
        times.append(time.perf_counter() - t0)
    total = sum(times)
    patch = next(animator.frames(drives[:1])).patch
    print(f"portrait {portrait.name}: canvas {animator.width}x{animator.height}, "
          f"patch {patch.width}x{patch.height}")
    print(f"{len(times)} frames: {len(times) / total:.0f} frames/s, "
          f"mean {1000 * total / len(times):.2f} ms, median {1000 * statistics.median(times):.2f} ms, "
          f"p95 {1000 * sorted(times)[int(0.95 * len(times))]:.2f} ms per frame")


if __name__ == "__main__":
    main()
