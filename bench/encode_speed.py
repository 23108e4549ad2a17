"""Baseline H.264 encode speed with PyAV: how fast can frames become an MP4 at all?

    .venv/bin/python bench/encode_speed.py [--frames 150] [--size 1280x720] [--fps 25]

For each x264 preset it prints frames per second for:
  bare      yuv420p frames prepared beforehand, libx264 encode only (no muxing)
  rgb       RGB numpy frames: rgb24 -> yuv420p conversion + encode
  Mp4Sink   RGB VideoFrames + program audio through streaming.Mp4Sink to a real file
The render benchmark should compare its own fps with these numbers.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from anchor.media import PROGRAM_RATE, AudioBlock, VideoFrame
from streaming import AIGCLabel, Mp4Sink


def pictures(count: int, width: int, height: int) -> list[np.ndarray]:
    """A studio-like picture: smooth gradient, fixed fine texture and a moving block."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 200 // width, y * 200 // height, 120 + 0 * x], axis=-1)
    base = (base + rng.integers(-8, 9, base.shape)).clip(0, 255).astype(np.uint8)
    out = []
    for n in range(count):
        image = base.copy()
        left = (n * 7) % (width - 200)
        image[height // 4:height // 4 + 300, left:left + 200] = (230, 200, 170)
        out.append(image)
    return out


def encoder(width: int, height: int, fps: int, preset: str) -> av.VideoCodecContext:
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = Fraction(1, fps)
    ctx.framerate = Fraction(fps)
    ctx.options = {"preset": preset, "crf": "23"}
    ctx.thread_type = "FRAME"
    return ctx


def bare(images: list[np.ndarray], fps: int, preset: str) -> float:
    h, w = images[0].shape[:2]
    yuv = [av.VideoFrame.from_ndarray(im, format="rgb24").reformat(format="yuv420p")
           for im in images]
    stream = encoder(w, h, fps, preset)
    start = time.perf_counter()
    for n, frame in enumerate(yuv):
        frame.pts = n
        stream.encode(frame)
    stream.encode(None)
    return len(images) / (time.perf_counter() - start)


def from_rgb(images: list[np.ndarray], fps: int, preset: str) -> float:
    h, w = images[0].shape[:2]
    stream = encoder(w, h, fps, preset)
    start = time.perf_counter()
    for n, image in enumerate(images):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = n
        stream.encode(frame)
    stream.encode(None)
    return len(images) / (time.perf_counter() - start)


def through_sink(images: list[np.ndarray], fps: int, preset: str) -> float:
    h, w = images[0].shape[:2]
    per_frame = PROGRAM_RATE // fps
    tone = (3000 * np.sin(np.arange(per_frame) * 2 * np.pi * 440 / PROGRAM_RATE)).astype(np.int16)
    with tempfile.TemporaryDirectory() as folder:
        sink = Mp4Sink(Path(folder) / "bench.mp4", width=w, height=h, fps=fps,
                       label=AIGCLabel.for_render("Anchor bench"), preset=preset)
        start = time.perf_counter()
        for n, image in enumerate(images):
            sink.write(VideoFrame(image, n, Fraction(1, fps)))
            sink.write(AudioBlock(tone, n * per_frame))
        sink.close()
        return len(images) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--presets", default="veryfast,medium")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    images = pictures(args.frames, width, height)
    print(f"{args.frames} frames of {width}x{height} at {args.fps} fps")
    for preset in args.presets.split(","):
        print(f"{preset:>9}: bare {bare(images, args.fps, preset):6.1f} fps | "
              f"rgb {from_rgb(images, args.fps, preset):6.1f} fps | "
              f"Mp4Sink {through_sink(images, args.fps, preset):6.1f} fps")


if __name__ == "__main__":
    main()
