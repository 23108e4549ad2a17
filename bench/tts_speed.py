"""TTS speed: real-time factor (seconds of audio made per second of compute) per voice backend.

    .venv/bin/python bench/tts_speed.py [--repeat 3]

Voices: the espeak-ng preset en-news, and Coqui VITS at two sizes with random weights (the real
architecture, built and saved here, loaded through Coqui's own loader): "tiny" (the test model)
and "default" (VitsConfig's own sizes, those of the released VITS voices). Each speaks the same
English news sentences; the best of --repeat runs counts. "model" times the model alone (one
sentence at a time, resampled to 48 kHz); "voice" times Voice.synthesize, which for Coqui also
aligns espeak-ng phonemes to the audio for mouth timing (voices/align.py). First chunk: the time
until the first sentence's audio is ready. Runs on the CPU (CUDA is not used even if present).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tiny_vits import DEFAULT, TINY, parameter_count, save_vits  # noqa: E402

from anchor.media import Utterance  # noqa: E402
from voices import load_voice  # noqa: E402
from voices.base import VoiceInfo  # noqa: E402

TEXT = ("Good evening, and welcome to the news. The city council approved a new budget for "
        "public transport today. Bus fares will stay the same for another year. Forecasters "
        "expect rain over the weekend, with sunshine returning on Monday.")


def best_of(repeat: int, run) -> tuple[float, float, float]:
    """(seconds of compute, seconds of audio, seconds to the first chunk), best run."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        first, samples, rate = None, 0, 48_000
        for chunk in run():
            if first is None:
                first = time.perf_counter() - start
            samples += len(chunk.pcm)
            rate = chunk.sample_rate
        runs.append((time.perf_counter() - start, samples / rate, first or 0.0))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import torch
    from voices.coqui import CoquiVoice, split_sentences

    utterance = Utterance(1, TEXT, "en", "bench")
    rows = []
    espeak = load_voice("en-news")
    compute, audio, first = best_of(args.repeat, lambda: espeak.synthesize(utterance))
    rows.append(("espeak-ng en-news", "-", "voice", compute, audio, first))
    with tempfile.TemporaryDirectory() as tmp:
        for size, dims in (("tiny", TINY), ("default", DEFAULT)):
            checkpoint, _ = save_vits(Path(tmp) / size, dims=dims)
            params = parameter_count(checkpoint)
            voice = CoquiVoice(VoiceInfo("bench", "en", "coqui"), model=checkpoint, device="cpu")
            voice.speak_sentence("warm up")
            sentences = split_sentences(TEXT)

            def model_only():
                for sentence in sentences:
                    yield _Chunk(voice.speak_sentence(sentence))

            compute, audio, first = best_of(args.repeat, model_only)
            rows.append((f"coqui VITS {size}", f"{params / 1e6:.2f}M", "model", compute, audio, first))
            compute, audio, first = best_of(args.repeat, lambda: voice.synthesize(utterance))
            rows.append((f"coqui VITS {size}", f"{params / 1e6:.2f}M", "voice", compute, audio, first))
    print(f"CPU, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{len(TEXT)} characters, {len(split_sentences(TEXT))} sentences; best of {args.repeat}")
    print(f"{'voice':<20} {'params':>7} {'timed':>6} {'audio s':>8} {'compute s':>10} "
          f"{'RTF (x real time)':>18} {'first chunk s':>14}")
    for name, params, timed, compute, audio, first in rows:
        print(f"{name:<20} {params:>7} {timed:>6} {audio:>8.2f} {compute:>10.3f} "
              f"{audio / compute:>18.1f} {first:>14.3f}")


class _Chunk:
    sample_rate = 48_000

    def __init__(self, pcm):
        self.pcm = pcm


if __name__ == "__main__":
    main()
