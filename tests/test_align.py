"""Audio-driven mouth timing (voices.align) on real espeak-ng audio from another voice, rate and
pitch than the aligner's reference, scored against that audio's own phoneme events; silence in
the audio closes the mouth; and a show whose text segment carries a recording renders through
the `anchor` CLI with the recording as its sound and a mouth that moves with it."""
from __future__ import annotations

import difflib
from pathlib import Path

import av
import numpy as np
import pytest

from anchor.cli import main
from anchor.media import CLOSED, PROGRAM_RATE
from anchor.program import LEAD_IN_MS, Format
from anchor.show import load_show
from test_lipsync import inner_mouth, perform_show
from voices import libespeak, mouth_track
from voices.align import audio_timing
from voices.resample import resample

EN = "Good evening. Markets rose today, and the new rail line opened two years early."
ZH = "大家好，欢迎收看晚间新闻。本周价格下降了百分之五，市场保持平稳。"


def boundary_errors_ms(text: str, language: str, voice: str, *, shift_s: float = 0.0,
                       lead_s: float = 0.3) -> np.ndarray:
    """|found - true| of every phoneme start (and end before a pause), in ms; the audio gets
    `lead_s` of silence in front and is resampled to 48 kHz. `shift_s` moves the found
    boundaries (to show the measure catches a misplaced alignment)."""
    raw = libespeak.speak(text, voice=voice, rate=185, pitch=65)
    marks = [e for e in raw.events if e.kind == "phoneme"]
    truth = []    # (symbol, start s, end s or None)
    for i, ev in enumerate(marks):
        end = marks[i + 1].sample if i + 1 < len(marks) else len(raw.pcm)
        if ev.symbol.startswith("_") or end <= ev.sample:
            continue
        pause_next = i + 1 < len(marks) and marks[i + 1].symbol.startswith("_")
        truth.append((ev.symbol, ev.sample / raw.sample_rate, end / raw.sample_rate if pause_next else None))
    pcm = np.concatenate([np.zeros(round(lead_s * raw.sample_rate), np.int16), raw.pcm])
    pcm = resample(pcm, raw.sample_rate, PROGRAM_RATE)
    timing = audio_timing(text, pcm, PROGRAM_RATE, language=language)
    found = [p for p in timing.phonemes if not p.symbol.startswith("_")]
    # a phoneme squeezed to nothing by the warp is dropped from the timing (its mouth shape is
    # not shown): pair the rest with the truth in order, and allow at most 1 % missing
    matcher = difflib.SequenceMatcher(a=[t[0] for t in truth], b=[p.symbol for p in found],
                                      autojunk=False)
    pairs = [(block.a + k, block.b + k) for block in matcher.get_matching_blocks()
             for k in range(block.size)]
    missing = len(truth) - len(pairs)
    assert missing <= 0.01 * len(truth), f"{missing} of {len(truth)} phonemes missing"
    errors = []
    for i, j in pairs:
        _, start, end = truth[i]
        errors.append(found[j].start / PROGRAM_RATE - lead_s + shift_s - start)
        if end is not None:
            errors.append(found[j].end / PROGRAM_RATE - lead_s + shift_s - end)
    return 1000 * np.abs(np.array(errors))


@pytest.mark.parametrize("text, language, voice", [(EN, "en", "en-us+f3"), (ZH, "zh", "cmn+f2")])
def test_boundaries_of_another_voice_are_found_within_40_ms(text, language, voice):
    errors = boundary_errors_ms(text, language, voice)
    assert len(errors) > 30
    assert errors.mean() <= 40, f"mean boundary error {errors.mean():.1f} ms"
    # the measure itself can fail: the same alignment 80 ms late does
    assert boundary_errors_ms(text, language, voice, shift_s=0.08).mean() > 40


def test_a_long_recording_is_aligned_as_well_in_two_passes(monkeypatch):
    """Past LONG_FRAMES the warp runs on coarse frames first: a reading of over a minute keeps
    the 40 ms target."""
    import voices.align as align
    pooled = []
    original = align._pooled
    monkeypatch.setattr(align, "_pooled", lambda frames: pooled.append(len(frames)) or original(frames))
    long_text = " ".join(f"Story {n}. " + EN + " Analysts expect prices to settle by the summer."
                         for n in ("one", "two", "three", "four", "five", "six", "seven", "eight",
                                   "nine", "ten"))
    errors = boundary_errors_ms(long_text, "en", "en-us+f3")
    assert pooled and max(pooled) > align.LONG_FRAMES, "the two-pass warp was not used"
    assert len(errors) > 800
    assert errors.mean() <= 40, f"mean boundary error {errors.mean():.1f} ms"


def test_words_are_timed_in_order_inside_the_speech():
    raw = libespeak.speak(EN, voice="en-us+m3", rate=160, pitch=40)
    timing = audio_timing(EN, raw.pcm, raw.sample_rate, language="en")
    assert [w.text for w in timing.words][:3] == ["Good", "evening", "Markets"]
    starts = [w.start for w in timing.words]
    assert starts == sorted(starts) and all(w.end > w.start for w in timing.words)
    true_words = [e.sample for e in raw.events if e.kind == "word"]
    # "Markets" (third word) starts where espeak's own word event says, within 40 ms
    assert abs(starts[2] - true_words[2]) / raw.sample_rate < 0.04


def test_silence_in_the_audio_closes_the_mouth():
    rate = 22050
    first = libespeak.speak("Good evening.", voice="en-us+m3", rate=160, pitch=45).pcm
    second = libespeak.speak("Markets rose today.", voice="en-us+m3", rate=160, pitch=45).pcm
    gap = (len(first) + rate // 2, len(first) + rate // 2 + rate)      # 1 s of silence, 0.5 s in
    pcm = np.concatenate([np.zeros(rate // 2, np.int16), first, np.zeros(rate, np.int16), second,
                          np.zeros(rate // 2, np.int16)])
    timing = audio_timing("Good evening. Markets rose today.", pcm, rate, language="en")
    spoken = [v for v in timing.visemes if v.label != "sil"]
    assert spoken, "speech gives visemes"
    for a, b in ((0, rate // 2), gap, (len(pcm) - rate // 2, len(pcm))):
        assert not [v for v in spoken if v.start < b - rate // 20 and v.end > a + rate // 20], \
            f"a sounding viseme inside the silence {a / rate:.2f}-{b / rate:.2f} s"
    fps = 25
    shapes = mouth_track(timing.visemes, sample_rate=rate, fps=fps, n_frames=len(pcm) * fps // rate)
    middle = (gap[0] + gap[1]) // 2 * fps // rate
    assert all(s == CLOSED for s in shapes[middle - 5:middle + 5])
    assert max(s.open for s in shapes) > 0.5, "and the mouth opens while speaking"


def test_silent_audio_or_unspeakable_text_gives_no_timing():
    assert audio_timing("Hello there.", np.zeros(16000, np.int16), 16000, language="en").visemes == ()
    raw = libespeak.speak("Hello there.", voice="en-us")
    assert audio_timing("...", raw.pcm, raw.sample_rate, language="en").phonemes == ()


# ---- recorded audio in a show ---------------------------------------------------------------

SENTENCES = ("Good evening.", "Markets rose today, and the rail line opened early.")


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in list(stream.encode(frame)) + list(stream.encode(None)):
            container.mux(packet)


@pytest.fixture(scope="module")
def recorded_show(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A show whose only segment is read from clip.wav (espeak 'm3' at 22050 Hz with a long
    pause), and that recording at the program rate."""
    root = tmp_path_factory.mktemp("recorded")
    rate = 22050
    parts = [libespeak.speak(s, voice="en-us+m3", rate=150, pitch=40).pcm for s in SENTENCES]
    pcm = np.concatenate([np.zeros(rate // 4, np.int16), parts[0], np.zeros(rate * 3 // 4, np.int16),
                          parts[1], np.zeros(rate // 4, np.int16)])
    write_wav(root / "clip.wav", pcm, rate)
    show = root / "show.yaml"
    show.write_text("title: Recorded\nlanguage: en\nlayout: {subtitles: true}\nsegments:\n"
                    f"  - kind: text\n    text: {' '.join(SENTENCES)}\n    audio: clip.wav\n")
    return show, resample(pcm, rate, PROGRAM_RATE).astype(np.float64)


def test_recorded_show_renders_the_recording_with_sentence_subtitles(recorded_show, tmp_path, capfd):
    show, recording = recorded_show
    out = tmp_path / "recorded.mp4"
    assert main(["render", str(show), "-o", str(out), "--size", "320x240"]) == 0
    with av.open(str(out)) as container:
        sound = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    lead = LEAD_IN_MS * PROGRAM_RATE // 1000
    heard = sound[lead:lead + len(recording)].astype(np.float64)
    heard /= np.abs(heard).max()
    expected = recording[:len(heard)] / np.abs(recording).max()
    # AAC is lossy and may shift by its priming samples: compare loudness envelopes (20 ms)
    win = PROGRAM_RATE // 50
    n = min(len(heard), len(expected)) // win
    env = [np.sqrt(np.mean(x[:n * win].reshape(n, win) ** 2, axis=1)) for x in (heard, expected)]
    assert np.corrcoef(*env)[0, 1] > 0.95, "the program's sound is the recording"
    cues = out.with_suffix(".srt").read_text()
    assert SENTENCES[0] in " ".join(cues.split()) and SENTENCES[1] in " ".join(cues.split())
    assert cues.count("-->") == 2, "one subtitle per sentence"


def test_recorded_show_mouth_moves_with_the_recording_and_rests_in_its_pause(recorded_show):
    show, _ = recorded_show
    frames, pcm, regions, studio = perform_show(load_show(show), Format(640, 360, 25))
    box = studio.presenter_box
    opening = np.array([inner_mouth(image[box.y + y0:box.y + y1, box.x + x0 + (x1 - x0) // 5:
                                          box.x + x1 - (x1 - x0) // 5])
                        for image, (x0, y0, x1, y1) in zip(frames, regions)])
    per = PROGRAM_RATE // 25
    n = len(opening)
    loud = np.sqrt(np.mean(np.pad(pcm, (0, n * per))[:n * per].reshape(n, per) ** 2, axis=1))
    speaking = loud > 0.2 * loud.max()
    quiet = np.convolve(loud < 1e-3 * loud.max(), np.ones(7), "same") >= 7     # deep in silence
    assert speaking.sum() > 20 and quiet.sum() > 10
    assert opening[speaking].mean() > opening[quiet].mean() + 0.01, "the mouth opens with the sound"
    assert np.corrcoef(opening, loud)[0, 1] > 0.3


def test_a_missing_or_undecodable_recording_is_one_line_and_exit_2(tmp_path, capfd):
    (tmp_path / "junk.wav").write_bytes(b"RIFF, but not audio at all" * 20)
    for name, reason in (("missing.wav", "not found"), ("junk.wav", "cannot decode")):
        show = tmp_path / f"{name}.yaml"
        show.write_text(f"title: T\nlanguage: en\nsegments:\n  - kind: text\n    text: Hello.\n"
                        f"    audio: {name}\n")
        capfd.readouterr()
        assert main(["render", str(show), "-o", str(tmp_path / "out.mp4")]) == 2
        err = capfd.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and f"{show}:6" in err and name in err and reason in err
        assert not (tmp_path / "out.mp4").exists()


def test_audio_far_longer_than_the_text_is_timed_evenly_instead_of_failing():
    # A neural voice may ramble on: 4 s of voiced sound for "Why?" is over three times
    # espeak's length, so no warp fits; the word still covers the sound, in bounds.
    rate = 16000
    t = np.arange(4 * rate) / rate
    noise = np.random.default_rng(0).standard_normal(len(t))
    pcm = ((0.3 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.05 * noise)
           * 16000).astype(np.int16)
    timing = audio_timing("Why?", pcm, rate, language="en")
    assert [w.text for w in timing.words] == ["Why"]
    assert timing.words[0].end - timing.words[0].start > 2 * rate
    assert timing.visemes and all(0 <= v.start < v.end <= len(pcm) for v in timing.visemes)
