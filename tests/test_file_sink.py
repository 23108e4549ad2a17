"""The file sinks, checked by decoding what they wrote with real PyAV/FFmpeg."""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import streaming.partfile
from anchor.errors import OutputError
from anchor.media import AudioBlock, Caption, VideoFrame
from streaming import AIGCLabel, Mp4Sink, SubtitleSink, Tee
from streaming.cues import layout, srt, vtt
from streaming.label import FIELDS

W, H, FPS, RATE = 320, 240, 25, 48_000
SECONDS = 3
FLASH = 50                        # video frame with a white flash
CLICK = FLASH * RATE // FPS       # audio sample with a click at the same instant
BAR = 16                          # moving bar: 16 px wide, 4 px per frame


def picture(n: int, rng: np.random.Generator | None = None) -> np.ndarray:
    image = np.full((H, W, 3), 40, np.uint8)
    x = (4 * n) % (W - BAR)
    image[:, x:x + BAR] = (220, 180, 60)
    if rng is not None:
        image[:] = rng.integers(0, 256, image.shape, dtype=np.uint8)
    if n == FLASH:
        image[:] = 255
    return image


def program(frames: int = SECONDS * FPS, noise: bool = False):
    """Video frames and 440 Hz audio blocks (one per frame), in program order."""
    rng = np.random.default_rng(1) if noise else None
    per_frame = RATE // FPS
    for n in range(frames):
        yield VideoFrame(picture(n, rng), n, Fraction(1, FPS))
        t = (np.arange(per_frame) + n * per_frame) / RATE
        pcm = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        if n * per_frame <= CLICK < (n + 1) * per_frame:
            pcm[CLICK - n * per_frame:][:24] = 30000
        yield AudioBlock(pcm, n * per_frame)


def render(path: Path, label: AIGCLabel, **kw) -> None:
    sink = Mp4Sink(path, width=W, height=H, fps=FPS, label=label, **kw)
    for item in program():
        sink.write(item)
    sink.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mp4")
    label = AIGCLabel(produce_id="4f1c9a7e0d2b4c8e9a1b2c3d4e5f6a7b", producer="Anchor 0.1.0")
    render(folder / "show.mp4", label, title="Morning news")
    return folder, folder / "show.mp4", label


def decoded_video(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def decoded_audio(path: Path) -> tuple[np.ndarray, float]:
    """Stereo float samples (2, n) and the time of the first one."""
    with av.open(str(path)) as container:
        frames = list(container.decode(audio=0))
    return np.concatenate([f.to_ndarray() for f in frames], axis=1), frames[0].time


# -- MP4 -------------------------------------------------------------------------------------

def test_mp4_streams_are_h264_and_aac_with_the_requested_format(rendered):
    _, path, _ = rendered
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert (video.codec_context.width, video.codec_context.height) == (W, H)
        assert video.average_rate == FPS
        assert video.frames == SECONDS * FPS
        assert float(video.duration * video.time_base) == pytest.approx(SECONDS)
        assert audio.codec_context.name == "aac"
        assert audio.codec_context.profile == "LC"
        assert audio.sample_rate == RATE
        assert audio.layout.name == "stereo"
        # Audio is padded to a whole AAC frame at most: the file lasts 3 s, not more.
        assert container.duration / 1e6 == pytest.approx(SECONDS, abs=1024 / RATE)
    frames = decoded_video(path)
    assert len(frames) == SECONDS * FPS
    assert [f.pts * f.time_base for f in frames[:3]] == [0, Fraction(1, FPS), Fraction(2, FPS)]


def test_mp4_pictures_move_and_the_tone_is_440_hz(rendered):
    _, path, _ = rendered
    frames = decoded_video(path)
    for n in (0, 10, 30):
        luma = frames[n].to_ndarray(format="gray").astype(float)
        column = luma.mean(axis=0)
        bar = np.flatnonzero(column > column.mean() + 40)
        assert abs(bar.mean() - (4 * n + BAR / 2)) < 2, f"bar of frame {n} is at {bar.mean()}"
    pcm, _ = decoded_audio(path)
    for channel in pcm:                       # mono program duplicated on both channels
        second = channel[RATE // 2:RATE // 2 + RATE]
        spectrum = np.abs(np.fft.rfft(second))
        assert np.argmax(spectrum) == pytest.approx(440, abs=1)
    assert np.allclose(pcm[0], pcm[1], atol=1e-3)


def test_mp4_audio_and_video_are_in_sync(rendered):
    _, path, _ = rendered
    flashes = [f.time for f in decoded_video(path) if f.to_ndarray(format="gray").mean() > 240]
    pcm, first = decoded_audio(path)
    clicks = np.flatnonzero(np.abs(pcm[0]) > 0.6)
    assert flashes == [pytest.approx(FLASH / FPS)]
    click_time = first + clicks[0] / RATE
    assert abs(click_time - flashes[0]) < 1 / FPS


def test_mp4_carries_the_aigc_label_and_titles(rendered):
    _, path, label = rendered
    with av.open(str(path)) as container:
        meta = dict(container.metadata)
        video_meta = dict(container.streams.video[0].metadata)
    aigc = json.loads(meta["AIGC"])
    assert list(aigc) == list(FIELDS)
    assert aigc["Label"] == "1"
    assert aigc["ContentProducer"] == "Anchor 0.1.0"
    assert aigc["ProduceID"] == label.produce_id
    assert aigc["ContentPropagator"] == aigc["PropagateID"] == aigc["ReservedCode2"] == ""
    read_back = AIGCLabel.from_json(meta["AIGC"])
    assert read_back == label and read_back.intact
    tampered = AIGCLabel.from_json(meta["AIGC"].replace(label.produce_id, "0" * 32))
    assert not tampered.intact
    assert meta["title"] == "Morning news"
    assert meta["comment"] == "AI-generated content"
    assert video_meta["encoder"] == "Anchor 0.1.0 (libx264)"


def test_mp4_is_faststart_and_leaves_no_part_file(rendered):
    folder, path, _ = rendered
    assert sorted(os.listdir(folder)) == ["show.mp4"]
    head = path.read_bytes()
    assert 0 < head.find(b"moov") < head.find(b"mdat")


def test_label_rejects_bad_fields():
    with pytest.raises(OutputError, match="Label"):
        AIGCLabel(produce_id="x", label="yes")
    with pytest.raises(OutputError, match="ProduceID"):
        AIGCLabel(produce_id=" ")
    a, b = AIGCLabel.for_render("Anchor 0.1.0"), AIGCLabel.for_render("Anchor 0.1.0")
    assert a.produce_id != b.produce_id and len(a.produce_id) == 32


def test_missing_directory_fails_before_anything_is_written(tmp_path):
    target = tmp_path / "no" / "such" / "out.mp4"
    with pytest.raises(OutputError, match=r"directory does not exist: .*no/such"):
        Mp4Sink(target, width=W, height=H, fps=FPS, label=AIGCLabel.for_render())
    with pytest.raises(OutputError, match="directory does not exist"):
        SubtitleSink(tmp_path / "no" / "out.srt")
    assert list(tmp_path.iterdir()) == []


def test_abort_and_bad_frames_leave_nothing(tmp_path):
    sink = Mp4Sink(tmp_path / "a.mp4", width=W, height=H, fps=FPS, label=AIGCLabel.for_render())
    items = program()
    for _ in range(20):
        sink.write(next(items))
    sink.abort()
    assert list(tmp_path.iterdir()) == []

    sink = Mp4Sink(tmp_path / "b.mp4", width=W, height=H, fps=FPS, label=AIGCLabel.for_render())
    sink.write(VideoFrame(picture(0), 0, Fraction(1, FPS)))
    with pytest.raises(OutputError, match=r"b\.mp4: video frame 1 .*expected uint8 240x320x3"):
        sink.write(VideoFrame(np.zeros((H, W + 2, 3), np.uint8), 1, Fraction(1, FPS)))
    assert list(tmp_path.iterdir()) == []


class FillingDisk:
    """A real file that runs out of space after `room` bytes, as a full disk does."""

    def __init__(self, file, room: int):
        self._file, self._room = file, room
        self.name = file.name

    def write(self, data) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


@pytest.mark.parametrize("room", [50_000, 3_000_000])   # full while encoding / finishing
def test_disk_full_removes_the_part_file_and_says_so(tmp_path, monkeypatch, room):
    monkeypatch.setattr(streaming.partfile, "open",
                        lambda path, mode: FillingDisk(open(path, mode), room), raising=False)
    tee = Tee(Mp4Sink(tmp_path / "out.mp4", width=W, height=H, fps=FPS,
                      label=AIGCLabel.for_render()),
              SubtitleSink(tmp_path / "out.srt"))
    written = 0
    with pytest.raises(OutputError, match=r"^disk full while writing .*out\.mp4$"):
        for item in program(noise=True):
            tee.write(item)
            written += 1
        tee.write(Caption("Hello.", 0, RATE))
        tee.close()
    # The small disk fills while encoding; the large one only when faststart rewrites the file.
    assert (written == 2 * SECONDS * FPS) == (room > 1_000_000)
    assert list(tmp_path.iterdir()) == []


TINY_DISK_SCRIPT = """
import os, sys
from fractions import Fraction
import numpy as np
from anchor.errors import OutputError
from anchor.media import AudioBlock, VideoFrame
from streaming import AIGCLabel, Mp4Sink
target = sys.argv[1]
rng = np.random.default_rng(1)
try:
    sink = Mp4Sink(target, width=320, height=240, fps=25, label=AIGCLabel.for_render())
    for n in range(75):
        sink.write(VideoFrame(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), n,
                              Fraction(1, 25)))
        sink.write(AudioBlock(np.zeros(1920, np.int16), n * 1920))
    sink.close()
    print("no error")
except OutputError as exc:
    print(exc)
print(os.listdir(os.path.dirname(target)))
"""


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux unshare")
def test_disk_full_on_a_real_tiny_filesystem(tmp_path):
    """A 300 KB tmpfs in a private mount namespace: the kernel itself says ENOSPC."""
    small = tmp_path / "small"
    small.mkdir()
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs tmpfs '{small}'"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unprivileged mount namespaces are not available here")
    target = small / "out.mp4"
    mount = f"mount -t tmpfs -o size=300k tmpfs '{small}' && exec \"$@\""
    run = subprocess.run(["unshare", "-rm", "sh", "-c", mount, "sh", sys.executable, "-c",
                          TINY_DISK_SCRIPT, str(target)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    message, listing = run.stdout.strip().splitlines()[-2:]
    assert message == f"disk full while writing {target}"
    assert listing == "[]"


# -- subtitles -------------------------------------------------------------------------------

def write_subtitles(path: Path, captions: list[Caption], fmt: str = "srt") -> str:
    sink = SubtitleSink(path, fmt=fmt)
    for caption in captions:
        sink.write(caption)
    assert not path.exists()               # appears only when complete
    sink.close()
    assert path.exists() and not any(p.name.startswith(".") for p in path.parent.iterdir())
    return path.read_text(encoding="utf-8")


def test_srt_and_vtt_files(tmp_path):
    captions = [Caption("Good evening.", RATE, RATE * 5 // 2), Caption("晚上好。", 3 * RATE, 4 * RATE)]
    assert write_subtitles(tmp_path / "a.srt", captions) == (
        "1\n00:00:01,000 --> 00:00:02,500\nGood evening.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\n晚上好。\n\n")
    text = write_subtitles(tmp_path / "b.vtt",
                           [Caption("Tom & Jerry <live>", 3_723_456 * 48, 3_724_456 * 48)], "vtt")
    assert text == "WEBVTT\n\n01:02:03.456 --> 01:02:04.456\nTom &amp; Jerry &lt;live&gt;\n\n"


def cue_words(cues) -> list[str]:
    return " ".join(" ".join(c.lines) for c in cues).split()


def test_long_latin_caption_is_wrapped_and_split_in_proportion():
    text = ("Good evening and welcome to the nine o'clock news. Tonight the city council "
            "approved the new tram line, which will connect the harbour with the airport "
            "by the end of next year, after a decade of debate.")
    cues = layout(text, 10_000, 22_000)
    assert len(cues) >= 2
    assert cue_words(cues) == text.split()
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(len(line) <= 42 for line in cue.lines)
        assert cue.end_ms - cue.start_ms >= 800
    assert cues[0].start_ms == 10_000 and cues[-1].end_ms == 22_000
    assert all(a.end_ms == b.start_ms for a, b in zip(cues, cues[1:]))
    per_char = [(c.end_ms - c.start_ms) / len(" ".join(c.lines)) for c in cues]
    assert max(per_char) < 1.15 * min(per_char)     # time follows text length


def test_chinese_caption_is_wrapped_without_spaces():
    text = ("今天我们来聊一聊人工智能在新闻播报中的应用。数字人主播可以全天候工作，"
            "而且不会疲劳，这让很多电视台开始尝试制作这样的节目。")
    cues = layout(text, 0, 12_000)
    assert "".join("".join(c.lines) for c in cues) == text
    for cue in cues:
        assert len(cue.lines) <= 2
        assert all(len(line) <= 20 for line in cue.lines)
        assert not any(line[0] in "，。" for line in cue.lines)
    assert len(cues) == 2 and cues[0].lines[-1].endswith("，")   # split after a clause


def test_short_times_never_make_flashing_cues():
    assert layout("Hi.", 0, 500) == layout("Hi.", 0, 500)[:1]
    assert layout("Hi.", 0, 500)[0].end_ms == 500             # shorter caption, shorter cue
    long_text = " ".join(["word"] * 40)
    cues = layout(long_text, 0, 1_500)                        # 1.5 s: room for one cue only
    assert len(cues) == 1 and cue_words(cues) == long_text.split()
    cues = layout(long_text, 0, 2_000)
    assert all(c.end_ms - c.start_ms >= 800 for c in cues)


def test_overlapping_captions_are_cut_and_order_is_checked(tmp_path):
    text = write_subtitles(tmp_path / "o.vtt", [Caption("First line.", 0, 3 * RATE),
                                               Caption("Second line.", 2 * RATE, 4 * RATE)],
                           "vtt")
    assert "00:00:00.000 --> 00:00:02.000\nFirst line." in text
    assert "00:00:02.000 --> 00:00:04.000\nSecond line." in text
    sink = SubtitleSink(tmp_path / "bad.srt")
    sink.write(Caption("Later.", 2 * RATE, 3 * RATE))
    with pytest.raises(OutputError, match="before the caption before it"):
        sink.write(Caption("Earlier.", RATE, 2 * RATE))
    assert not any(p.name.startswith((".bad", "bad")) for p in tmp_path.iterdir())
    assert srt([]) == "" and vtt([]) == "WEBVTT\n\n"


def test_tee_writes_every_output(tmp_path):
    label = AIGCLabel.for_render()
    tee = Tee(Mp4Sink(tmp_path / "t.mp4", width=W, height=H, fps=FPS, label=label),
              SubtitleSink(tmp_path / "t.vtt", fmt="vtt"))
    for item in program(frames=10):
        tee.write(item)
    tee.write(Caption("Ten frames.", 0, 10 * RATE // FPS))
    tee.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.mp4", "t.vtt"]
    assert len(decoded_video(tmp_path / "t.mp4")) == 10
    assert "Ten frames." in (tmp_path / "t.vtt").read_text(encoding="utf-8")


def test_bad_settings_and_empty_programs_are_refused(tmp_path):
    label = AIGCLabel.for_render()
    with pytest.raises(OutputError, match="preset must be one of"):
        Mp4Sink(tmp_path / "p.mp4", width=W, height=H, fps=FPS, label=label, preset="quick")
    with pytest.raises(OutputError, match="positive and even"):
        Mp4Sink(tmp_path / "p.mp4", width=321, height=H, fps=FPS, label=label)
    sink = Mp4Sink(tmp_path / "p.mp4", width=W, height=H, fps=FPS, label=label)
    sink.write(AudioBlock(np.zeros(4800, np.int16), 0))
    with pytest.raises(OutputError, match="no video frames"):
        sink.close()
    assert list(tmp_path.iterdir()) == []


def test_gaps_in_program_audio_become_silence_and_keep_time(tmp_path):
    sink = Mp4Sink(tmp_path / "g.mp4", width=W, height=H, fps=FPS, label=AIGCLabel.for_render())
    click = np.zeros(2400, np.int16)
    click[:24] = 30000
    for n in range(FPS):                                   # 1 s of video
        sink.write(VideoFrame(picture(n), n, Fraction(1, FPS)))
        if n == 10:
            sink.write(AudioBlock(click, 30_000))          # the only audio, at 0.625 s
    with pytest.raises(OutputError, match="overlaps"):
        sink.write(AudioBlock(click, 31_000))
    assert list(tmp_path.iterdir()) == []                  # the failed sink cleaned up

    sink = Mp4Sink(tmp_path / "g.mp4", width=W, height=H, fps=FPS, label=AIGCLabel.for_render())
    for n in range(FPS):
        sink.write(VideoFrame(picture(n), n, Fraction(1, FPS)))
        if n == 10:
            sink.write(AudioBlock(click, 30_000))
    sink.close()
    pcm, first = decoded_audio(tmp_path / "g.mp4")
    loud = np.flatnonzero(np.abs(pcm[0]) > 0.6)
    assert first + loud[0] / RATE == pytest.approx(30_000 / RATE, abs=1e-3)
    assert pcm.shape[1] >= RATE                            # silence runs to the end of the video
