"""The Coqui TTS voice on tiny random VITS models built and saved here, loaded through Coqui's
own loader; show files that define a neural voice; consent for voice cloning; and that the
default path never imports torch, TTS or transformers."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from anchor.errors import ShowError, VoiceError
from anchor.media import Utterance
from anchor.show import load_show
from voices.base import VoiceInfo
from voices.consent import consent_record

pytest.importorskip("TTS")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))
from tiny_vits import TINY, save_vits  # noqa: E402
from tiny_xtts import TINY_GPT, save_xtts  # noqa: E402

from voices.coqui import CoquiVoice, split_sentences  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INFO = VoiceInfo("neural", "en", "coqui")
SPEAKERS = ("ann", "ben")


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """Built once: a two-speaker VITS, a single-speaker one, a two-language one, and one with
    another architecture (two text-encoder layers instead of one)."""
    root = tmp_path_factory.mktemp("coqui")
    # duo speaks slowly, so that its speech is much longer than espeak's (see the render test)
    duo, _ = save_vits(root / "duo", speakers=SPEAKERS, sample_rate=16000,
                       dims={**TINY, "length_scale": 2.0})
    solo, _ = save_vits(root / "solo")
    bilingual, _ = save_vits(root / "bilingual", languages=("en", "zh-cn"))
    deeper, _ = save_vits(root / "deeper", dims={**TINY, "num_layers_text_encoder": 2})
    return {"duo": duo, "solo": solo, "bilingual": bilingual, "deeper": deeper, "root": root}


@pytest.fixture(scope="module")
def ann(models) -> CoquiVoice:
    return CoquiVoice(INFO, model=models["duo"], speaker="ann", device="cpu")


def test_speaks_one_chunk_per_sentence_at_48k_with_mouth_timing(ann):
    text = "Good evening. Prices of rice rose again today in the northern markets! Why?"
    chunks = list(ann.synthesize(Utterance(7, text, "en", "neural")))
    assert len(chunks) == 3
    offset = 0
    for chunk in chunks:
        assert chunk.utterance_id == 7 and chunk.sample_rate == 48_000
        assert chunk.pcm.dtype == np.int16 and chunk.pcm.ndim == 1
        assert chunk.start_sample == offset
        assert np.abs(chunk.pcm.astype(np.int32)).max() > 300        # it makes a sound
        assert chunk.visemes, "aligned mouth shapes for every sentence"
        assert all(0 <= v.start < v.end <= len(chunk.pcm) for v in chunk.visemes)
        assert all(0 <= w.start <= w.end <= len(chunk.pcm) for w in chunk.words)
        offset += len(chunk.pcm)
    # At least one 256-sample frame per input symbol (VITS reads letters with blanks between).
    for chunk, sentence in zip(chunks, split_sentences(text)):
        assert chunk.duration >= 2.0 * (2 * len(sentence) + 1) * 256 / 16000
    assert len(chunks[1].pcm) > 3 * len(chunks[2].pcm)   # the long sentence lasts longer
    assert [w.text for w in chunks[0].words] == ["Good", "evening"]
    assert 0.1 < chunks[0].duration < 5


def test_speakers_are_listed_chosen_and_checked(models, ann):
    import torch

    assert ann.speakers == list(SPEAKERS)
    ben = CoquiVoice(INFO, model=models["duo"], speaker="ben", device="cpu")
    def said(voice):
        torch.manual_seed(3)          # the same noise each time: only the speaker differs
        return voice.speak_sentence("hello there")
    assert np.array_equal(said(ann), said(ann))
    a, b = said(ann), said(ben)
    assert len(a) != len(b) or not np.array_equal(a, b)
    with pytest.raises(VoiceError, match=r"duo/model\.pth: unknown speaker 'cleo' \(its speakers: ann, ben\)"):
        CoquiVoice(INFO, model=models["duo"], speaker="cleo")
    with pytest.raises(VoiceError, match="several speakers; choose one with speaker: \\(ann, ben\\)"):
        CoquiVoice(INFO, model=models["duo"])
    with pytest.raises(VoiceError, match="unknown speaker 'ann' \\(it has one speaker\\)"):
        CoquiVoice(INFO, model=models["solo"], speaker="ann")


def test_languages_of_a_multilingual_model(models):
    voice = CoquiVoice(VoiceInfo("zh-neural", "zh", "coqui"), model=models["bilingual"], language="zh-cn")
    assert voice.languages == ["en", "zh-cn"]
    chunks = list(voice.synthesize(Utterance(1, "ni hao。jin tian tian qi hen hao！", "zh", "zh-neural")))
    assert len(chunks) == 2 and all(c.visemes for c in chunks)
    with pytest.raises(VoiceError, match="voice 'zh-neural': the model could not speak '你好。'"):
        list(voice.synthesize(Utterance(1, "你好。", "zh", "zh-neural")))   # its alphabet is a-z
    with pytest.raises(VoiceError, match=r"has no language 'fr' \(its languages: en, zh-cn\)"):
        CoquiVoice(INFO, model=models["bilingual"], language="fr")


def test_missing_files_are_named(tmp_path, models):
    with pytest.raises(VoiceError, match=f"{tmp_path}/nothing.pth: model checkpoint not found"):
        CoquiVoice(INFO, model=tmp_path / "nothing.pth")
    lonely = tmp_path / "lonely.pth"
    lonely.write_bytes(models["solo"].read_bytes())
    with pytest.raises(VoiceError, match=f"{tmp_path}/config.json: model config not found"):
        CoquiVoice(INFO, model=lonely)


def test_corrupt_config_and_checkpoint_are_named(tmp_path, models):
    folder = models["solo"].parent
    broken = tmp_path / "broken.json"
    broken.write_text((folder / "config.json").read_text()[:200])
    with pytest.raises(VoiceError, match=f"{broken}: the model config is not valid JSON"):
        CoquiVoice(INFO, model=models["solo"], config=broken)
    alien = tmp_path / "alien.json"
    alien.write_text(json.dumps({**json.loads((folder / "config.json").read_text()), "model": "talkbox"}))
    with pytest.raises(VoiceError, match=f"{alien}: the model config names an unknown model type"):
        CoquiVoice(INFO, model=models["solo"], config=alien)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(models["solo"].read_bytes()[:5000])    # a download cut short
    with pytest.raises(VoiceError, match=f"{garbage}: the checkpoint is damaged or not a PyTorch file"):
        CoquiVoice(INFO, model=garbage, config=folder / "config.json")


def test_checkpoint_of_another_architecture(models):
    config = models["solo"].parent / "config.json"
    with pytest.raises(VoiceError, match=r"deeper/model\.pth: the checkpoint is not the architecture "
                                         r"that .*solo/config\.json describes \(weights: \d+ unexpected\)"):
        CoquiVoice(INFO, model=models["deeper"], config=config)


def test_cuda_requested_without_cuda_falls_back_to_cpu_with_a_warning(models):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    warnings: list[str] = []
    voice = CoquiVoice(INFO, model=models["solo"], device="cuda", warn=warnings.append)
    assert voice.device == "cpu"
    assert warnings == ["device: cuda was requested but no CUDA device is available; using the CPU"]
    assert len(voice.speak_sentence("fine")) > 0


def test_cloning_is_refused_without_matching_consent_before_any_model_loads(tmp_path):
    reference = tmp_path / "anna.wav"
    _write_wav(reference)
    # model_name would need a download: reaching the model at all would fail differently.
    xtts = dict(model_name="tts_models/multilingual/multi-dataset/xtts_v2", language="en",
                reference=reference)
    with pytest.raises(VoiceError, match=f"{reference}: voice cloning needs a consent record"):
        CoquiVoice(INFO, **xtts)
    with pytest.raises(VoiceError, match=f"{tmp_path}/none.toml: consent record not found"):
        CoquiVoice(INFO, **xtts, consent=tmp_path / "none.toml")
    consent = tmp_path / "anna-consent.toml"
    consent.write_text(consent_record(reference=reference, who="Anna Example",
                                      statement="I agree to a synthetic copy of my voice.",
                                      date=dt.date(2025, 5, 1)))
    _write_wav(reference, freq=330)          # the recording was replaced after consent was given
    with pytest.raises(VoiceError, match=f"{consent}: the consent was given for another recording"):
        CoquiVoice(INFO, **xtts, consent=consent)
    consent.write_text('who = "Anna"\nstatement = ""\ndate = 2025-05-01\nreference_sha256 = "00"\n')
    with pytest.raises(VoiceError, match=f"{consent}: 'statement' must be non-empty text"):
        CoquiVoice(INFO, **xtts, consent=consent)


@pytest.fixture(scope="module")
def xtts(tmp_path_factory) -> dict[str, Path]:
    """A tiny random XTTS model directory, a 2 s reference recording and its consent record."""
    root = tmp_path_factory.mktemp("xtts")
    reference = root / "anna.wav"
    _write_wav(reference, seconds=2.0, rate=22050)
    consent = root / "anna-consent.toml"
    consent.write_text(consent_record(reference=reference, who="Anna Example",
                                      statement="I agree to a synthetic copy of my voice.",
                                      date=dt.date(2025, 5, 1)))
    return {"model": save_xtts(root / "model"), "reference": reference, "consent": consent}


def test_xtts_clones_a_consented_voice_one_chunk_per_sentence_at_48k(xtts):
    with pytest.raises(VoiceError, match=f"{xtts['reference']}: voice cloning needs a consent record"):
        CoquiVoice(INFO, model=xtts["model"], language="en", reference=xtts["reference"])
    voice = CoquiVoice(INFO, model=xtts["model"], language="en", reference=xtts["reference"],
                       consent=xtts["consent"], device="cpu")
    assert voice.languages == ["en"] and voice.model_rate == 24_000
    chunks = list(voice.synthesize(Utterance(3, "Good evening. The markets are calm!", "en", "neural")))
    assert len(chunks) == 2
    longest = TINY_GPT["gpt_max_audio_tokens"] * 1024 / 22050    # the GPT's longest sentence
    offset = 0
    for chunk in chunks:
        assert chunk.utterance_id == 3 and chunk.sample_rate == 48_000
        assert chunk.pcm.dtype == np.int16 and chunk.pcm.ndim == 1
        assert chunk.start_sample == offset
        assert 0.02 < chunk.duration <= longest + 0.1
        assert np.abs(chunk.pcm.astype(np.int32)).max() > 300        # it makes a sound
        offset += len(chunk.pcm)


def test_split_sentences():
    assert split_sentences("One. Two! Three? «Four»") == ["One.", "Two!", "Three?", "«Four»"]
    assert split_sentences("He said \"stop.\" Then left.") == ["He said \"stop.\"", "Then left."]
    assert split_sentences("你好。今天很好！对吗？") == ["你好。", "今天很好！", "对吗？"]
    assert split_sentences("... !") == []


# ---- a show file that defines the voice -------------------------------------------------------

def _show(folder: Path, model: Path, *, voice: str = "anna", extra: str = "") -> Path:
    (folder / "voice").mkdir(parents=True, exist_ok=True)
    for part in model.parent.iterdir():
        (folder / "voice" / part.name).write_bytes(part.read_bytes())
    speakers = folder / "voice" / "speakers.json"
    if speakers.exists():     # the config names its speakers file by absolute path
        config = folder / "voice" / "config.json"
        config.write_text(config.read_text().replace(str(model.parent / "speakers.json"), str(speakers)))
    path = folder / "show.yaml"
    path.write_text(f"title: Neural news\nlanguage: en\nvoice: {voice}\n"
                    f"voices:\n  anna:\n    backend: coqui\n    model: voice/{model.name}\n"
                    f"    speaker: ann\n    language: en\n{extra}"
                    "segments:\n  - kind: text\n    text: Good evening. Here is the news.\n")
    return path


def test_a_show_renders_with_its_neural_voice(tmp_path, models, ann):
    from anchor.program import LEAD_IN_MS, TAIL_MS, script
    from voices import load_voice

    show_path = _show(tmp_path, models["duo"])
    show = load_show(show_path)
    utterances = [u for u, _ in script(show) if isinstance(u, Utterance)]
    assert {u.voice for u in utterances} == {"anna"}
    neural = sum(len(c.pcm) for u in utterances for c in ann.synthesize(u)) / 48_000
    espeak = sum(len(c.pcm) for u in utterances for c in load_voice("en-news").synthesize(u)) / 48_000
    assert abs(neural - espeak) > 0.4       # so the length below tells the two voices apart

    out = tmp_path / "out.mp4"
    run = subprocess.run([sys.executable, "-m", "anchor.cli", "render", str(show_path), "-o", str(out),
                          "-t", "10", "--size", "320x240"], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr
    with av.open(str(out)) as container:
        stream = container.streams.audio[0]
        frames = list(container.decode(stream))
        seconds = sum(f.samples for f in frames) / stream.rate
        loudest = max(float(np.abs(f.to_ndarray()).max()) for f in frames)
    assert loudest > 0.01
    expected = (LEAD_IN_MS + TAIL_MS) / 1000 + neural
    assert abs(seconds - expected) < 0.15, (seconds, expected, espeak)


def test_anchor_voices_lists_the_voices_a_show_defines(tmp_path, models, capfd):
    from anchor.cli import main
    show_path = _show(tmp_path, models["duo"])
    capfd.readouterr()
    assert main(["voices", str(show_path)]) == 0
    rows = {line.split()[0]: line.split() for line in capfd.readouterr().out.splitlines() if line.strip()}
    assert rows["anna"][1:3] == ["en", "coqui"] and "show.yaml)" in rows["anna"][-1]
    assert rows["en-news"][1:3] == ["en", "espeak-ng"]          # the presets stay listed


def test_show_voice_errors_name_the_file_and_line(tmp_path, models):
    path = _show(tmp_path, models["duo"], extra="    reference: voice/config.json\n")
    with pytest.raises(ShowError, match=r"show\.yaml:5: voices\.anna: .*needs the consent record"):
        load_show(path)
    path = _show(tmp_path, models["duo"], voice="bella")
    from anchor.errors import AnchorError
    from anchor.program import voice_names
    with pytest.raises(AnchorError, match=r"voice: unknown voice 'bella' \(known: anna, en-gb"):
        voice_names(load_show(path))
    path.write_text(path.read_text().replace("speaker: ann", "speaker: zed"))
    with pytest.raises(VoiceError, match=r"show\.yaml:5: voices\.anna: .*unknown speaker 'zed'"):
        voice_names(load_show(path).model_copy(update={"voice": "anna"}))
    run = subprocess.run([sys.executable, "-m", "anchor.cli", "render", str(path.with_name("show.yaml")),
                          "-o", str(tmp_path / "x.mp4"), "-t", "2"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and "unknown voice 'bella'" in run.stderr
    assert not (tmp_path / "x.mp4").exists()


# ---- what the default path imports ------------------------------------------------------------

def test_default_path_never_imports_torch_tts_or_transformers(tmp_path):
    code = f"""
import sys
import anchor, voices, avatars, streaming
import anchor.program, anchor.render, anchor.cli, voices.coqui
from pathlib import Path
from anchor.program import Format
from anchor.render import render
from anchor.show import demo_show_path, load_show
render(load_show(demo_show_path()), Path({str(tmp_path / 'demo.mp4')!r}), Format(320, 240, 25),
       limit_s=1.0)
heavy = sorted(m for m in ("torch", "TTS", "transformers", "torchaudio") if m in sys.modules)
print("HEAVY", heavy)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "HEAVY []" in run.stdout
    assert (tmp_path / "demo.mp4").stat().st_size > 0


def _write_wav(path: Path, *, freq: float = 220.0, seconds: float = 1.0, rate: int = 16000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


