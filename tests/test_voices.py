"""The voices package on the real bundled libespeak-ng, PyAV resampling and real mouth tracks."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from anchor.errors import VoiceError
from anchor.media import CLOSED, PROGRAM_RATE, Phoneme, Span, Utterance, Viseme
from voices import VISEMES, catalog, default_voice, load_voice, mouth_track
from voices.base import VoiceInfo
from voices.espeak import EspeakVoice
from voices.presets import read_presets
from voices.visemes import labels_for, phoneme_visemes
from voices.viseme_tables import CMN_TABLE, EN_TABLE

EN_TEXT = "Good evening. Here is the news: prices fell by five percent, and the market was calm."
ZH_TEXT = "大家好，欢迎收看今天的新闻。我们的产品非常好。"
FPS = 25


def speak(voice_name: str, text: str, language: str, **fields):
    chunks = list(load_voice(voice_name).synthesize(Utterance(1, text, language, voice_name, **fields)))
    assert len(chunks) == 1
    return chunks[0]


@pytest.fixture(scope="module")
def en_chunk():
    return speak("en-news", EN_TEXT, "en")


@pytest.fixture(scope="module")
def zh_chunk():
    return speak("zh-news", ZH_TEXT, "zh")


def _speech_mask(chunk) -> np.ndarray:
    mask = np.zeros(len(chunk.pcm), bool)
    for v in chunk.visemes:
        if v.label != "sil":
            mask[v.start:v.end] = True
    return mask


@pytest.mark.parametrize("which, min_s, max_s", [("en_chunk", 3.0, 8.0), ("zh_chunk", 2.5, 9.0)])
def test_speech_has_plausible_duration_and_ordered_timings(which, min_s, max_s, request):
    chunk = request.getfixturevalue(which)
    assert chunk.sample_rate == PROGRAM_RATE and chunk.pcm.dtype == np.int16
    assert min_s < chunk.duration < max_s
    assert np.abs(chunk.pcm).max() > 3000                      # audible, not a whisper
    n = len(chunk.pcm)
    starts = [p.start for p in chunk.phonemes]
    assert len(starts) > 20 and starts == sorted(starts)
    assert all(0 <= p.start < p.end <= n for p in chunk.phonemes)
    assert all(v.label in VISEMES and 0 <= v.start < v.end <= n for v in chunk.visemes)
    assert [v.start for v in chunk.visemes] == sorted(v.start for v in chunk.visemes)
    assert _speech_mask(chunk).mean() > 0.6                    # visemes cover the speech


def test_loud_audio_falls_inside_speaking_visemes(en_chunk, zh_chunk):
    for chunk in (en_chunk, zh_chunk):
        energy = chunk.pcm.astype(np.float64) ** 2
        mask = _speech_mask(chunk)
        assert energy[mask].sum() > 0.8 * energy.sum()
        silent = ~mask
        assert silent.sum() > 0.15 * PROGRAM_RATE              # the sentence pause is silence ...
        assert energy[silent].mean() < 0.02 * energy[mask].mean()   # ... and it is quiet there


def test_leading_and_trailing_silence_is_trimmed(en_chunk):
    loud = np.flatnonzero(np.abs(en_chunk.pcm) > 128)
    assert loud[0] < 0.06 * PROGRAM_RATE
    assert len(en_chunk.pcm) - loud[-1] < 0.06 * PROGRAM_RATE


def test_words_carry_their_text_and_time(en_chunk, zh_chunk):
    words = [w.text for w in en_chunk.words]
    assert words[:3] == ["Good", "evening", "Here"] and words[-1] == "calm"
    assert all(a.start <= b.start for a, b in zip(en_chunk.words, en_chunk.words[1:]))
    assert all(w.end <= len(en_chunk.pcm) for w in en_chunk.words)
    assert "".join(w.text for w in zh_chunk.words) == ZH_TEXT.replace("，", "").replace("。", "")


def test_espeak_symbols_of_both_languages_are_in_the_tables(en_chunk, zh_chunk):
    for chunk, table in ((en_chunk, EN_TABLE), (zh_chunk, CMN_TABLE)):
        bases = {p.symbol.lstrip("',") for p in chunk.phonemes if not p.symbol.startswith("_")}
        missing = {b for b in bases if b not in table and b not in ("h", "?")}
        assert not missing, f"phonemes without a viseme: {missing}"


def test_unknown_phonemes_fall_back_without_failing():
    for symbol in ("Q!", "", "#", "zz9", "'ü", "_^_"):
        assert set(labels_for(symbol, "en")) <= set(VISEMES)
    phonemes = [Phoneme("'@@@", 0, 4800), Phoneme("h", 4800, 6000), Phoneme("'A:", 6000, 12000)]
    visemes = phoneme_visemes(phonemes, language="en", sample_rate=48000)
    assert visemes[0].label in VISEMES and visemes[-1].label == "aa"


def test_silence_between_sentences_closes_the_mouth(en_chunk):
    gaps = [v for v in en_chunk.visemes if v.label == "sil" and v.end - v.start > 0.2 * PROGRAM_RATE]
    assert gaps, "the full stop should leave a pause"
    n_frames = int(en_chunk.duration * FPS) + 1
    track = mouth_track(en_chunk.visemes, sample_rate=PROGRAM_RATE, fps=FPS, n_frames=n_frames)
    assert len(track) == n_frames
    for gap in gaps:
        mid = (gap.start + gap.end) / 2 / PROGRAM_RATE
        assert track[int(mid * FPS)].open < 0.05
    assert max(s.open for s in track) > 0.6                    # and it does open to speak
    assert track[-1].open < 0.2                                  # closing at the end


def test_pause_gap_between_visemes_gives_exactly_closed_mouth():
    sr = 48000
    visemes = [Viseme("aa", 0, 9600), Viseme("aa", 9600 + 24000, 9600 + 24000 + 9600)]  # 0.5 s gap
    track = mouth_track(visemes, sample_rate=sr, fps=FPS, n_frames=30)   # to 0.3 s after it
    assert track[2].open > 0.95                                 # mid-vowel: wide open
    assert track[10] == CLOSED and track[11] == CLOSED           # mid-gap
    assert track[-1] == CLOSED                                   # after the speech


def test_bilabials_close_the_lips_between_open_vowels():
    chunk = speak("en-news", "Papa bought a big map, Bob.", "en")
    track = mouth_track(chunk.visemes, sample_rate=PROGRAM_RATE, fps=FPS,
                        n_frames=int(chunk.duration * FPS) + 1)
    closures = [v for v in chunk.visemes if v.label == "PP" and v.end - v.start > 0.04 * PROGRAM_RATE]
    assert len(closures) >= 4
    for v in closures:
        centre = (v.start + v.end) / 2 / PROGRAM_RATE
        assert track[int(centre * FPS)].open < 0.2, f"lips stay open on the bilabial at {centre:.2f} s"


def test_mouth_follows_the_sound_without_delay(en_chunk):
    frame = PROGRAM_RATE // FPS
    n = len(en_chunk.pcm) // frame
    loudness = np.sqrt((en_chunk.pcm[:n * frame].astype(np.float64) ** 2).reshape(n, frame).mean(1))
    track = mouth_track(en_chunk.visemes, sample_rate=PROGRAM_RATE, fps=FPS, n_frames=n)
    opening = np.array([s.open for s in track])
    lags = range(-4, 5)
    score = [np.corrcoef(loudness[4:-4], np.roll(opening, lag)[4:-4])[0, 1] for lag in lags]
    assert score[4] > 0.3                                        # the mouth moves with the voice
    assert list(lags)[int(np.argmax(score))] == 0                # ... neither behind nor ahead


def test_mouth_track_is_continuous_across_chunk_frames(en_chunk):
    args = dict(sample_rate=PROGRAM_RATE, fps=FPS)
    whole = mouth_track(en_chunk.visemes, n_frames=60, **args)
    later = mouth_track(en_chunk.visemes, n_frames=30, start_sample=30 * PROGRAM_RATE // FPS, **args)
    for a, b in zip(later, whole[30:], strict=True):
        assert (a.open, a.wide, a.round, a.bite) == pytest.approx((b.open, b.wide, b.round, b.bite))


def test_emoji_only_text_yields_nothing():
    voice = load_voice("en-news")
    assert list(voice.synthesize(Utterance(1, "😀👍🏽 🇨🇳", "en", "en-news"))) == []
    assert list(voice.synthesize(Utterance(2, "  ", "en", "en-news"))) == []


def test_emoji_in_text_are_not_read_aloud():
    with_emoji = speak("en-news", "Great news 😀 today", "en")
    plain = speak("en-news", "Great news today", "en")
    assert abs(with_emoji.duration - plain.duration) < 0.1


def test_markup_characters_are_spoken_as_text():
    chunk = speak("en-news", "Salt & pepper <b> now", "en")
    assert [w.text for w in chunk.words][0] == "Salt" and chunk.words[-1].text == "now"


def test_unknown_voice_names_the_known_ones():
    with pytest.raises(VoiceError, match=r"unknown voice 'x' \(known: en-news, .*zh-news"):
        load_voice("x")


def test_rate_changes_duration():
    info = VoiceInfo("test", "en", "espeak-ng")
    utterance = Utterance(1, "The weather tomorrow will be cloudy with rain.", "en", "test")
    slow = next(EspeakVoice(info, espeak_voice="en-us", rate=120).synthesize(utterance))
    fast = next(EspeakVoice(info, espeak_voice="en-us", rate=240).synthesize(utterance))
    assert slow.duration > 1.6 * fast.duration


def test_bad_rate_is_rejected():
    with pytest.raises(VoiceError, match="rate 20"):
        EspeakVoice(VoiceInfo("slow", "en", "espeak-ng"), espeak_voice="en-us", rate=20)


def test_emphasis_stretches_the_stressed_word():
    text = "Buy it now for ten dollars."
    plain = speak("en-shop", text, "en")
    stressed = speak("en-shop", text, "en", emphasis=(Span(7, 10),))

    def length(chunk, word):
        return next(w.end - w.start for w in chunk.words if w.text == word)
    assert length(stressed, "now") > 1.1 * length(plain, "now")


def test_emphasis_outside_the_text_is_an_error():
    with pytest.raises(VoiceError, match="emphasis span 3-99"):
        speak("en-news", "Hello.", "en", emphasis=(Span(3, 99),))


def test_sample_rate_is_the_voices_own():
    chunk = next(load_voice("en-gb", sample_rate=16000).synthesize(Utterance(1, "Hello there.", "en", "en-gb")))
    ref = next(load_voice("en-gb").synthesize(Utterance(1, "Hello there.", "en", "en-gb")))
    assert chunk.sample_rate == 16000
    assert abs(chunk.duration - ref.duration) < 0.01
    assert abs(chunk.phonemes[-1].start / 16000 - ref.phonemes[-1].start / PROGRAM_RATE) < 0.002


def test_every_preset_loads_and_speaks():
    samples = {"en": "Welcome to the show.", "zh": "欢迎收看节目。"}
    names = [info.name for info in catalog()]
    assert {"en-news", "en-shop", "en-gb", "zh-news", "zh-shop"} <= set(names)
    durations = {}
    for info in catalog():
        chunk = speak(info.name, samples[info.language], info.language)
        assert chunk.duration > 0.6 and len(chunk.visemes) > 5
        durations[info.name] = chunk.duration
    assert default_voice("en") == "en-news" and default_voice("zh") == "zh-news"
    assert durations["en-shop"] < durations["en-news"]           # the shop voice is livelier
    with pytest.raises(VoiceError, match="no voice for language 'fr'"):
        default_voice("fr")


def test_presets_file_errors_name_the_file_and_field(tmp_path):
    path = tmp_path / "presets.toml"
    path.write_text('[voice.loud]\nlanguage = "en"\nespeak_voice = "en-us"\nrate = "fast"\npitch = 50\n')
    with pytest.raises(VoiceError, match=r"presets.toml: \[voice.loud\]: 'rate' must be a int"):
        read_presets(path)
    path.write_text('[voice.odd]\nlanguage = "fr"\nespeak_voice = "fr"\nrate = 150\npitch = 50\n')
    with pytest.raises(VoiceError, match="language 'fr'"):
        read_presets(path)


def test_concurrent_synthesis_gives_the_same_speech():
    # espeak-ng carries a little state between calls (lengths vary by a few samples), so the
    # same speech means the same phonemes and the same duration to within 1 %.
    voice = load_voice("zh-shop")
    utterance = Utterance(1, "这款手机拍照清晰，电池耐用。", "zh", "zh-shop")
    expected = next(voice.synthesize(utterance))
    results = []

    def work():
        for _ in range(3):
            results.append(next(voice.synthesize(utterance)))
    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 9
    for chunk in results:
        assert [p.symbol for p in chunk.phonemes] == [p.symbol for p in expected.phonemes]
        assert abs(chunk.duration - expected.duration) < 0.01 * expected.duration
