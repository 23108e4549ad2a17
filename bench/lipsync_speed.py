"""Neural lip-sync speed: the Wav2Lip-architecture generator (full size, random weights) in
frames per second at batch sizes 1, 8 and 32, then the whole NeuralLipSync animator path
(closed-mouth base frame, face crop, mel window, engine, paste-back) over the illustrated
presenter, with the real generator and with a generator that costs nothing (the animator's
own overhead per frame).

    .venv/bin/python bench/lipsync_speed.py [--device cpu|cuda] [--seconds 6] [--height 720]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from anchor.media import PROGRAM_RATE, Viseme  # noqa: E402
from anchor.program import Program, Spoken  # noqa: E402
from anchor.studio import ProgramState  # noqa: E402
from avatars.presenter import IllustratedPresenter  # noqa: E402
from avatars.wav2lip import LipSyncEngine, NeuralLipSync  # noqa: E402
from avatars.wav2lip.model import Wav2LipGenerator, Wav2LipRunner  # noqa: E402

FPS = 25


def generator_fps(runner: Wav2LipRunner, batch: int, seconds: float) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    faces = rng.integers(0, 256, (batch, 96, 96, 6), dtype=np.uint8)
    mels = rng.uniform(-4, 4, (batch, 80, 16)).astype(np.float32)
    runner(faces, mels)                                   # warm-up
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 3:
        t = time.perf_counter()
        runner(faces, mels)
        times.append(time.perf_counter() - t)
    per_batch = float(np.median(times))
    return batch / per_batch, per_batch * 1000


class _Frames:
    def compose(self, frame, state):
        return frame


def speech(seconds: float) -> Spoken:
    n = int(seconds * PROGRAM_RATE)
    t = np.arange(n) / PROGRAM_RATE
    pcm = (8000 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)))
    return Spoken(pcm.astype(np.int16), (Viseme("aa", 0, n),), ProgramState())


def animator_fps(generator, *, batch: int, height: int, seconds: float) -> tuple[float, int]:
    engine = LipSyncEngine(generator, batch=batch)
    animator = NeuralLipSync(IllustratedPresenter(height=height, fps=FPS), engine=engine, fps=FPS)
    program = Program(animator=animator, studio=_Frames(), fps=FPS)
    list(Program(animator=animator, studio=_Frames(), fps=FPS).items([speech(0.5)]))  # warm-up
    done = engine.stats.frames
    start = time.perf_counter()
    frames = sum(1 for item in program.items([speech(seconds)]) if hasattr(item, "image"))
    elapsed = time.perf_counter() - start
    sent = engine.stats.frames - done
    engine.close()
    return frames / elapsed, sent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--seconds", type=float, default=6.0, help="timing per batch size")
    ap.add_argument("--height", type=int, default=720, help="presenter height for the animator")
    ap.add_argument("--flush-denormal", action="store_true",
                    help="flush denormal floats to zero on the CPU (random weights make many)")
    args = ap.parse_args()
    if args.flush_denormal:
        torch.set_flush_denormal(True)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA on this machine")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch threads, device {args.device}, "
          f"flush denormal {args.flush_denormal}, load average {os.getloadavg()[0]:.1f}"
          + (f" ({torch.cuda.get_device_name()})" if args.device == "cuda" else ""))
    torch.manual_seed(0)
    model = Wav2LipGenerator().to(args.device)
    runner = Wav2LipRunner(model, device=args.device)
    params = sum(p.numel() for p in model.parameters())
    print(f"generator: Wav2Lip architecture, {params / 1e6:.1f} M parameters, random weights")
    for batch in (1, 8, 32):
        fps, ms = generator_fps(runner, batch, args.seconds)
        print(f"  batch {batch:2d}: {fps:7.1f} frames/s ({ms:7.1f} ms a batch)")

    def free(faces, mels):
        return np.ascontiguousarray(faces[..., 3:])

    for name, generator, batch in (("real generator, batch 8", runner, 8),
                                   ("free generator (animator overhead), batch 8", free, 8)):
        fps, sent = animator_fps(generator, batch=batch, height=args.height,
                                 seconds=max(4.0, args.seconds))
        print(f"animator path, presenter {args.height}p, all frames speaking, {name}: "
              f"{fps:.1f} frames/s ({sent} frames through the model)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
