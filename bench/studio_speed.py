"""How fast the studio composes program frames.

A synthetic presenter (a 540x720 RGBA base and a 300x360 RGBA patch that moves a few pixels
every frame) goes through Studio.compose at 1280x720 with a headline strap and a subtitle that
changes every 75 frames. With `--signer`, a second figure too: a 162x216 signer in the bottom-left
corner (signer_pip_layout) whose hands patch moves every frame. Pinned to one core with OpenCV
single-threaded.

    .venv/bin/python bench/studio_speed.py [--frames 1500] [--size 1280x720] [--product] [--signer]
"""
from __future__ import annotations

import argparse
import os
import time

import cv2
import numpy as np

from anchor.media import Layer, PresenterFrame
from anchor.studio import ProductCard, ProgramState, Studio, presenter_layout, signer_pip_layout

SUBTITLES = (
    "Good evening, and welcome to the program.",
    "Markets rose for a third day as investors weighed new data on inflation and jobs.",
    "Officials said the new bridge will open to traffic early next spring.",
    "晚上好，欢迎收看今天的节目。",
)


def synthetic_presenter(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """A presenter-like figure on a transparent canvas, and a face patch with a soft edge."""
    base = np.zeros((h, w, 4), np.uint8)
    cv2.ellipse(base, (w // 2, h), (int(w * 0.45), int(h * 0.42)), 0, 180, 360,
                (40, 52, 90, 255), -1, cv2.LINE_AA)
    cv2.ellipse(base, (w // 2, int(h * 0.36)), (int(w * 0.2), int(h * 0.2)), 0, 0, 360,
                (224, 184, 160, 255), -1, cv2.LINE_AA)
    patch = np.zeros((360, 300, 4), np.uint8)
    patch[..., :3] = (214, 170, 146)
    alpha = np.zeros((360, 300), np.float32)
    cv2.ellipse(alpha, (150, 180), (120, 160), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    patch[..., 3] = (cv2.GaussianBlur(alpha, (0, 0), 8) * 255).astype(np.uint8)
    cv2.ellipse(patch, (150, 250), (50, 18), 0, 0, 360, (120, 40, 50, 255), -1, cv2.LINE_AA)
    return base, patch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1500)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--product", action="store_true", help="show a product card too")
    parser.add_argument("--signer", action="store_true", help="a signer in a corner too")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)

    layout = (signer_pip_layout(width, height, "right", corner="bottom-left") if args.signer
              else presenter_layout(width, height, "right"))
    studio = Studio(width=width, height=height, layout=layout, background="#1b2a41",
                    language="en", title="Anchor News")
    box = layout.box("presenter")
    base_image, patch_image = synthetic_presenter(box.w, box.h)
    base = Layer(base_image)
    signer_box = layout.box("signer")
    if signer_box is not None:
        signer_base = Layer(synthetic_presenter(signer_box.w, signer_box.h)[0])
        hands = np.zeros((60, 90, 4), np.uint8)
        hands[...] = (224, 184, 160, 255)
    product = ProductCard("Noise-cancelling headphones", "$199") if args.product else None
    states = [ProgramState(subtitle=s, headline="Markets rally as inflation cools",
                           source="Reuters", segment="Business", product=product)
              for s in SUBTITLES]
    px, py = (box.w - 300) // 2, int(box.h * 0.16)
    times = []
    for n in range(args.frames):
        dx, dy = int(4 * np.sin(n / 7)), int(3 * np.cos(n / 11))
        frame = PresenterFrame(base, Layer(patch_image, px + dx, py + dy))
        signer = (None if signer_box is None else
                  PresenterFrame(signer_base, Layer(hands, 30 + 2 * dy, 90 + 3 * dx)))
        state = states[(n // 75) % len(states)]
        t0 = time.perf_counter()
        studio.compose(frame, state, signer=signer)
        times.append(time.perf_counter() - t0)
    ms = np.array(times[10:]) * 1e3
    signing = " + signer" if args.signer else ""
    print(f"studio compose {width}x{height}{signing}: {1e3 / ms.mean():.0f} frames/s on one core "
          f"(mean {ms.mean():.2f} ms, median {np.median(ms):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, "
          f"max {ms.max():.2f} ms; {args.frames} frames)")


if __name__ == "__main__":
    main()
