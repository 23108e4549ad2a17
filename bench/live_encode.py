"""Live encode cost per frame: what one channel's encoder spends per codec.

    .venv/bin/python bench/live_encode.py [--frames 250] [--size 1280x720] [--fps 25]

Runs streaming.LiveEncoder (the channel's encoder: x264 zerolatency veryfast, libvpx realtime)
with a subscriber on each measured feed (threads=1, the default, and threads=0: codec's choice) and prints, per codec, the mean encode time per frame
(from the encoder's own stats), the shared RGB->YUV conversion time, the CPU time of the whole
process per frame, and the share of one core that 25 fps costs.
"""
from __future__ import annotations

import argparse
import asyncio
import time
from fractions import Fraction

import numpy as np

from anchor.media import PROGRAM_RATE, AudioBlock, VideoFrame
from streaming.broadcast import Broadcast
from streaming.encoders import LiveEncoder

from encode_speed import pictures   # the same test picture as the file-encode bench


async def run(feeds: tuple[str, ...], images, fps: int, **options) -> dict:
    broadcast = Broadcast()
    encoder = LiveEncoder(broadcast, width=images[0].shape[1], height=images[0].shape[0],
                          fps=fps, max_queue_ms=10_000_000, **options)
    subs = [broadcast[name].subscribe(max_ms=10_000_000) for name in feeds]
    tb = Fraction(1, fps)
    per_frame = PROGRAM_RATE // fps
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for n, image in enumerate(images):
        encoder.audio(AudioBlock(np.zeros(per_frame, np.int16), n * per_frame))
        encoder.video(VideoFrame(image, n, tb), False)
        if n % 10 == 9:
            await encoder.drain()          # keep the queue short, as pacing would
    await encoder.drain()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    stats = encoder.stats
    encoder.close()
    for sub in subs:
        sub.close()
    return {"stats": stats, "cpu_ms": cpu * 1000 / len(images), "wall_ms": wall * 1000 / len(images)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=250)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=25)
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    images = pictures(args.frames, width, height)
    print(f"{args.frames} frames {width}x{height} @ {args.fps} fps")
    print(f"{'feeds':<22}{'encode ms/frame':>17}{'yuv ms':>8}{'cpu ms/frame':>14}"
          f"{'wall ms/frame':>15}{'core @fps':>11}")
    cases = [(("h264",), {}), (("h264",), {"threads": 0}), (("vp8",), {}),
             (("vp8",), {"threads": 0}), (("h264", "vp8"), {}), (("h264", "vp8", "opus", "aac"), {})]
    for feeds, options in cases:
        result = asyncio.run(run(feeds, images, args.fps, **options))
        s = result["stats"]
        encode = " ".join(f"{name}={s.seconds_per_frame.get(name, 0) * 1000:.1f}"
                          for name in feeds if name in ("h264", "vp8"))
        label = "+".join(feeds) + (f" threads={options['threads']}" if options else "")
        core = result["cpu_ms"] * args.fps / 1000
        print(f"{label:<22}{encode:>17}{s.convert_seconds_per_frame * 1000:>8.1f}"
              f"{result['cpu_ms']:>14.1f}{result['wall_ms']:>15.1f}{core:>10.0%}")


if __name__ == "__main__":
    main()
