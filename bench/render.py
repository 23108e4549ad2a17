"""Render benchmark: whole-render speed, animation + studio speed, and the ratio to a bare encode.

    .venv/bin/python bench/render.py                    # 60 s of the English demo bulletin, 1280x720 @ 25
    .venv/bin/python bench/render.py --seconds 1800     # a 30-minute show (the show loops)
    .venv/bin/python bench/render.py --memory           # peak RSS of 1-minute and 30-minute renders

Prints one line per figure. Run it on an otherwise idle machine.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import deque
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from anchor.program import Format, production, program_format
from anchor.render import render
from anchor.show import demo_show_path, load_show


def whole_render(show, fmt: Format, seconds: float, preset: str) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        report = render(show, Path(tmp) / "bench.mp4", fmt, limit_s=seconds, passes=None,
                        preset=preset, warn=lambda message: None)
        return report.wall, report.frames


def animation_and_studio(show, fmt: Format, seconds: float) -> tuple[float, int]:
    program, speech = production(show, fmt, limit_s=seconds, passes=None, warn=lambda m: None)
    pending: deque = deque()
    drives = list(program._drives(speech, pending))
    states = [slot.state for slot in pending if type(slot).__name__ == "_FrameSlot"]
    started = time.perf_counter()
    for frame, state in zip(program.animator.frames(drives), states):
        program.studio.compose(frame, state)
    return time.perf_counter() - started, len(drives)


def bare_encode(fmt: Format, frames: int, preset: str) -> float:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (fmt.height, fmt.width, 3), np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with av.open(str(Path(tmp) / "bare.mp4"), "w") as container:
            stream = container.add_stream("libx264", rate=fmt.fps, options={"preset": preset, "crf": "23"})
            stream.width, stream.height, stream.pix_fmt = fmt.width, fmt.height, "yuv420p"
            stream.codec_context.time_base = Fraction(1, fmt.fps)
            for n in range(frames):
                image[8:24, (n * 4) % (fmt.width - 16):][:, :16] = n % 255   # a little motion
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = n
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return time.perf_counter() - started


def peak_rss(seconds: float) -> float:
    code = (f"import resource, sys; sys.argv=['x']; sys.path.insert(0, 'bench');"
            f"import render as b; from anchor.show import demo_show_path, load_show;"
            f"from anchor.program import program_format;"
            f"s = load_show(demo_show_path('demo-news')); b.whole_render(s, program_format(s), {seconds}, 'veryfast');"
            f"print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--show", default="demo-news")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--preset", default="veryfast")
    p.add_argument("--memory", action="store_true", help="measure peak RSS for 1 and 30 minutes")
    args = p.parse_args()
    if args.memory:
        for minutes in (1, 30):
            print(f"peak RSS, {minutes:>2}-minute render: {peak_rss(minutes * 60):7.1f} MB", flush=True)
        return
    show = load_show(demo_show_path(args.show))
    fmt = program_format(show)
    print(f"{args.show}, {fmt.width}x{fmt.height} @ {fmt.fps} fps, {args.seconds:.0f} s of program, "
          f"x264 {args.preset}", flush=True)
    wall, frames = whole_render(show, fmt, args.seconds, args.preset)
    print(f"whole render:          {args.seconds / wall:6.2f}x real time ({frames / wall:6.1f} fps)", flush=True)
    anim, n = animation_and_studio(show, fmt, args.seconds)
    print(f"animation + studio:    {n / anim:6.1f} fps (no encoding)", flush=True)
    bare = bare_encode(fmt, frames, args.preset)
    print(f"bare PyAV encode:      {frames / bare:6.1f} fps; whole render / bare encode time = "
          f"{wall / bare:.2f}", flush=True)


if __name__ == "__main__":
    main()
