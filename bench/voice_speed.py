"""How much faster than real time the espeak-ng voices speak (synthesis, resampling to 48 kHz,
phoneme/viseme/word timings, and the 25 fps mouth track), per preset.

    .venv/bin/python bench/voice_speed.py
"""
from __future__ import annotations

import time

from anchor.media import Utterance
from voices import catalog, load_voice, mouth_track

TEXTS = {
    "en": "Good evening. Here is the news. Prices fell by five percent this week, and the market "
          "stayed calm. Our special offer: buy two blenders, get one free, while stocks last.",
    "zh": "大家好，欢迎收看今天的新闻。本周价格下降了百分之五，市场保持平稳。"
          "我们的特别优惠：买两台搅拌机，送一台，售完即止。",
}
ROUNDS = 5


def main() -> None:
    total_audio = total_time = 0.0
    for info in catalog():
        voice = load_voice(info.name)
        text = TEXTS[info.language]
        next(voice.synthesize(Utterance(0, text, info.language, info.name)))   # warm up
        audio = 0.0
        start = time.perf_counter()
        for k in range(ROUNDS):
            for chunk in voice.synthesize(Utterance(k, text, info.language, info.name)):
                audio += chunk.duration
                mouth_track(chunk.visemes, sample_rate=chunk.sample_rate, fps=25,
                            n_frames=int(chunk.duration * 25) + 1)
        elapsed = time.perf_counter() - start
        total_audio += audio
        total_time += elapsed
        print(f"{info.name:8s} {audio / ROUNDS:5.1f} s of speech in {1000 * elapsed / ROUNDS:6.1f} ms"
              f"  = {audio / elapsed:6.0f}x real time")
    print(f"all      {total_audio / total_time:6.0f}x real time")


if __name__ == "__main__":
    main()
