"""The `anchor` command end to end: real shows rendered to MP4s decoded back with PyAV, real
subtitles, real photo avatars rigged with MediaPipe, and every kind of bad input a user can give
(one line on stderr, exit code 2, nothing left in the output directory)."""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from anchor.cli import main

skimage_data = pytest.importorskip("skimage.data")

# The photos scikit-image ships inside its package (data_dir points at a download cache once
# pooch is installed, which the neural extra brings in).
DATA = Path(skimage_data.__file__).parent
ASTRONAUT = DATA / "astronaut.png"
AIGC_FIELDS = ["Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator",
               "PropagateID", "ReservedCode2"]
SMALL = ["--size", "320x180"]

ARTICLE = ("The city council approved a new rail line today. "
           "Trains will run every ten minutes from next spring.\n")
ARTICLE_ZH = "今天，市政府宣布新的地铁线路将在明年开通。这条线路全长四十二公里。\n"
GOOD_SHOW = """\
title: Evening Bulletin
language: en
segments:
  - kind: text
    text: Good evening and welcome.
"""


@pytest.fixture(autouse=True)
def avatar_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own, empty avatar directory (never the user's)."""
    home = tmp_path / "avatars"
    monkeypatch.setenv("ANCHOR_AVATARS", str(home))
    return home


def anchor(capfd, *args) -> tuple[int, str, str]:
    """Run `anchor ARGS` in this process: exit code, stdout, stderr (file-descriptor level, so
    anything native libraries print counts too)."""
    capfd.readouterr()
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:                       # argparse: --help, usage errors
        code = e.code
    out, err = capfd.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def streams(path: Path) -> dict:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        frames = sum(1 for _ in container.decode(video=0))
        return {"video": video.codec_context.name, "size": (video.width, video.height),
                "fps": video.average_rate, "frames": frames, "audio": audio.codec_context.name,
                "rate": audio.sample_rate, "seconds": container.duration / 1e6,
                "meta": dict(container.metadata)}


def loudness(path: Path) -> float:
    """RMS of the decoded audio track (speech is clearly above zero)."""
    with av.open(str(path)) as container:
        pcm = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


def cue_text(subtitles: Path) -> str:
    """The words of an SRT or VTT file, without numbers and timings, on one line."""
    lines = [l for l in subtitles.read_text(encoding="utf-8").splitlines()
             if l and l != "WEBVTT" and "-->" not in l and not l.isdigit()]
    return " ".join(lines)


def cue_times(subtitles: Path) -> list[tuple[float, float]]:
    times = []
    for a, b in re.findall(r"(\S+) --> (\S+)", subtitles.read_text(encoding="utf-8")):
        times.append(tuple(int(h) * 3600 + int(m) * 60 + float(s.replace(",", "."))
                           for h, m, s in (t.split(":") for t in (a, b))))
    return times


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert re.match(r"anchor( \w+)?: error: ", lines[0]), lines[0]
    return lines[0]


# ---- rendering ------------------------------------------------------------------------------

def test_a_text_file_becomes_a_720p_mp4_with_subtitles_and_the_ai_label(tmp_path, capfd):
    article = write(tmp_path / "article.txt", ARTICLE)
    out = tmp_path / "out.mp4"
    code, stdout, err = anchor(capfd, "render", article, "-o", out, "-t", 4)
    assert code == 0, err
    assert sorted(os.listdir(tmp_path)) == ["article.txt", "out.mp4", "out.srt", "out.vtt"]
    info = streams(out)
    assert (info["video"], info["size"], info["fps"]) == ("h264", (1280, 720), 25)
    assert (info["audio"], info["rate"]) == ("aac", 48_000)
    assert info["frames"] == 100 and info["seconds"] == pytest.approx(4, abs=0.05)
    assert loudness(out) > 0.01                                     # the presenter speaks
    label = json.loads(info["meta"]["AIGC"])
    assert list(label) == AIGC_FIELDS and label["Label"] == "1"
    assert label["ContentProducer"].startswith("Anchor") and len(label["ProduceID"]) >= 16
    for subtitles in (tmp_path / "out.srt", tmp_path / "out.vtt"):
        words = cue_text(subtitles)
        assert "The city council approved" in words and "a new rail line today." in words
        times = cue_times(subtitles)
        assert 0 <= times[0][0] < 1.0 and times[-1][1] <= 4.0 + 1e-6
    assert (tmp_path / "out.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    summary = stdout.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith(f"wrote {out} (0:04, 1280x720 @ 25 fps, 100 frames")
    assert "out.srt, out.vtt" in summary[0]


def test_a_chinese_text_file_is_spoken_and_subtitled_in_chinese(tmp_path, capfd):
    article = write(tmp_path / "zh.txt", ARTICLE_ZH)
    out = tmp_path / "zh.mp4"
    code, _, err = anchor(capfd, "render", article, "-o", out, "-t", 3, *SMALL)
    assert code == 0, err
    assert loudness(out) > 0.01
    words = cue_text(tmp_path / "zh.srt")
    assert "市政府宣布" in words and not re.search(r"[A-Za-z]", words)
    assert "市政府宣布" in cue_text(tmp_path / "zh.vtt")


def test_size_and_fps_options_are_respected(tmp_path, capfd):
    article = write(tmp_path / "article.txt", ARTICLE)
    out = tmp_path / "wide.mp4"
    code, stdout, err = anchor(capfd, "render", article, "-o", out, "--size", "640x360",
                               "--fps", 30, "-t", 2)
    assert code == 0, err
    info = streams(out)
    assert (info["size"], info["fps"], info["frames"]) == ((640, 360), 30, 60)
    assert "640x360 @ 30 fps, 60 frames" in stdout


def test_every_demo_show_renders_its_first_seconds(tmp_path, capfd):
    code, listing, _ = anchor(capfd, "shows")
    assert code == 0
    names = [line.split()[0] for line in listing.splitlines() if line.strip()]
    assert {"demo-news", "demo-news-zh", "demo-shop"} <= set(names)
    for name in names:
        out = tmp_path / f"{name}.mp4"
        code, _, err = anchor(capfd, "render", name, "-o", out, "-t", 3, *SMALL)
        assert code == 0, f"{name}: {err}"
        info = streams(out)
        assert info["size"] == (320, 180) and info["frames"] == 3 * info["fps"], name
        assert loudness(out) > 0.01, f"{name} is silent"
        assert cue_text(tmp_path / f"{name}.srt"), f"{name} has no subtitles"


# ---- bad input ------------------------------------------------------------------------------

YAML_ERROR = """\
title: Broken
language: en
segments:
  - kind: text
    text: Hello: world
  - kind: text
    text: Good bye.
"""
BAD_SHOWS = {
    # case: (show text, extra arguments, what the one error line must say)
    "empty show": ("", [], r"show\.yaml: the show is empty"),
    "unknown language": (GOOD_SHOW.replace("language: en", "language: fr"), [],
                         r"show\.yaml:2: language: unknown language 'fr'"),
    "unknown voice": (GOOD_SHOW.replace("language: en", "language: en\nvoice: nobody"), [],
                      r"show\.yaml: voice: unknown voice 'nobody' \(known: .*en-news"),
    "unknown avatar in the show": (GOOD_SHOW.replace("language: en", "language: en\navatar: ghost"),
                                   [], r"show\.yaml: avatar: unknown avatar 'ghost'"),
    "unknown avatar option": (GOOD_SHOW, ["--avatar", "ghost"], r"--avatar: unknown avatar 'ghost'"),
    "YAML syntax error": (YAML_ERROR, [], r"show\.yaml:5: YAML syntax error: mapping values are not allowed"),
    "empty segment text": (GOOD_SHOW.replace("Good evening and welcome.", "''"), [],
                           r"show\.yaml:5: segments\[0\]\.text: is empty"),
    "segment without text": (GOOD_SHOW + "  - kind: text\n", [],
                             r"show\.yaml:6: segments\[1\]: missing required field 'text'"),
    "only emoji": (GOOD_SHOW.replace("Good evening and welcome.", "😀🎉") +
                   "  - kind: text\n    text: 👍 🙏\n", [],
                   r"show\.yaml: nothing to say: no segment has speakable text"),
    "size not WxH": (GOOD_SHOW, ["--size", "big"], r"argument --size: size must look like 1280x720"),
    "size too small": (GOOD_SHOW, ["--size", "100x50"], r"argument --size: size 100x50"),
    "odd size": (GOOD_SHOW, ["--size", "641x360"], r"width and height must be even"),
}


@pytest.mark.parametrize("case", list(BAD_SHOWS))
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(case, tmp_path, capfd):
    text, extra, expected = BAD_SHOWS[case]
    show = write(tmp_path / "in" / "show.yaml", text)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, stdout, err = anchor(capfd, "render", show, "-o", out_dir / "x.mp4", "-t", 2, *SMALL,
                               *extra)
    assert code == 2
    assert re.search(expected, one_error_line(err)), err
    assert os.listdir(out_dir) == []          # no mp4, srt, vtt or hidden part file
    assert stdout == ""


def test_an_output_path_in_a_missing_directory_is_refused(tmp_path, capfd):
    article = write(tmp_path / "article.txt", ARTICLE)
    code, _, err = anchor(capfd, "render", article, "-o", tmp_path / "no" / "such" / "x.mp4", *SMALL)
    assert code == 2
    line = one_error_line(err)
    assert "x.mp4" in line and "does not exist" in line
    assert not (tmp_path / "no").exists()
    assert sorted(os.listdir(tmp_path)) == ["article.txt"]


def test_one_emoji_only_segment_is_skipped_with_a_warning(tmp_path, capfd):
    show = write(tmp_path / "show.yaml", GOOD_SHOW + "  - kind: text\n    text: 😀🎉\n"
                 "  - kind: text\n    text: Thanks for watching.\n")
    out = tmp_path / "x.mp4"
    code, stdout, err = anchor(capfd, "render", show, "-o", out, *SMALL)
    assert code == 0, err
    assert err.splitlines() == [f"anchor: warning: {show}:6: segment has no speakable text, skipped"]
    assert stdout.startswith(f"wrote {out}")
    words = cue_text(tmp_path / "x.srt")
    assert "Good evening and welcome." in words and "Thanks for watching." in words
    assert "😀" not in words


def test_the_console_script_exits_2_with_one_line(tmp_path):
    """The installed `anchor` entry point, as a user runs it from a shell."""
    script = Path(sys.executable).with_name("anchor")
    assert script.exists(), f"the console script is not installed at {script}"
    show = write(tmp_path / "show.yaml", GOOD_SHOW.replace("Good evening and welcome.", "🎉🎉"))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    run = subprocess.run([str(script), "render", str(show), "-o", str(out_dir / "x.mp4"), *SMALL],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert one_error_line(run.stderr) == f"anchor: error: {show}: nothing to say: no segment " \
                                         "has speakable text"
    assert os.listdir(out_dir) == []


# ---- a huge text, a full disk ----------------------------------------------------------------

PEAK_RSS = """\
import resource, sys
from anchor.cli import main
code = main(sys.argv[1:])
print("peak_rss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def peak_rss_mb(*args) -> tuple[float, subprocess.CompletedProcess]:
    run = subprocess.run([sys.executable, "-c", PEAK_RSS, *map(str, args)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    kb = int(re.search(r"peak_rss_kb (\d+)", run.stdout).group(1))
    return kb / 1024, run


def test_a_1_mb_text_renders_in_bounded_time_and_memory(tmp_path):
    rng = np.random.default_rng(7)
    words = ("the council said that the new rail line would open next year and cost less than "
             "planned while riders asked about fares and stations").split()
    sentences = []
    while sum(map(len, sentences)) < 1_000_000:
        sentences.append(" ".join(rng.choice(words, 14)).capitalize() + ". ")
    big = write(tmp_path / "big.txt", "".join(sentences))
    small = write(tmp_path / "small.txt", "".join(sentences[:20]))
    assert big.stat().st_size >= 1_000_000
    small_mb, _ = peak_rss_mb("render", small, "-o", tmp_path / "small.mp4", "-t", 5, *SMALL)
    big_mb, run = peak_rss_mb("render", big, "-o", tmp_path / "big.mp4", "-t", 5, *SMALL)
    assert big_mb - small_mb < 80, f"peak RSS {big_mb:.0f} MB for 1 MB of text, " \
                                   f"{small_mb:.0f} MB for a paragraph"
    info = streams(tmp_path / "big.mp4")
    assert info["frames"] == 125 and loudness(tmp_path / "big.mp4") > 0.01
    assert "in " in run.stdout and "x real time" in run.stdout
    speed = float(re.search(r"\(([\d.]+)x real time\)", run.stdout).group(1))
    assert speed > 1.0, "a 1 MB text slowed the render below real time"


def _mount_namespaces_work(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs tmpfs '{folder}'"],
                           capture_output=True)
    return probe.returncode == 0


ON_A_TINY_DISK = """\
for size in "$@"; do
  mount -t tmpfs -o "size=$size" tmpfs "$DISK" || exit 99
  "$PYTHON" -m anchor.cli render "$SHOW" -o "$DISK/out.mp4" -t 4 --size 320x180 2>"$DISK/../err"
  echo "size=$size rc=$? err=$(tail -n 1 "$DISK/../err") left=[$(ls -A "$DISK" | tr '\\n' ' ')]"
  umount "$DISK"
done
"""


def test_a_full_disk_exits_2_and_leaves_nothing_on_it(tmp_path, capfd):
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_namespaces_work(disk):
        pytest.skip("unprivileged mount namespaces are not available here")
    article = write(tmp_path / "article.txt", ARTICLE)
    # The same render on a roomy disk tells how many 4 KiB pages the MP4 takes: a disk of
    # exactly that size fills up on the subtitles, after the MP4 has been completed.
    code, _, err = anchor(capfd, "render", article, "-o", tmp_path / "ref.mp4", "-t", 4, *SMALL)
    assert code == 0, err
    pages = math.ceil((tmp_path / "ref.mp4").stat().st_size / 4096)
    sizes = ["40k", f"{4 * pages}k"]           # full during the video; full on the subtitles
    env = {**os.environ, "DISK": str(disk), "PYTHON": sys.executable, "SHOW": str(article)}
    run = subprocess.run(["unshare", "-rm", "sh", "-c", ON_A_TINY_DISK, "sh", *sizes],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    results = run.stdout.strip().splitlines()
    assert len(results) == len(sizes), run.stdout + run.stderr
    for size, result in zip(sizes, results):
        assert f"size={size} rc=2 " in result, result
        assert f"err=anchor: error: disk full while writing {disk}/out." in result, result
        assert result.endswith("left=[]"), result


# ---- avatars --------------------------------------------------------------------------------

@pytest.fixture
def consent(tmp_path) -> Path:
    return write(tmp_path / "consent.txt",
                 "I, Eileen Collins, agree that my portrait may animate an AI presenter.\n")


@pytest.fixture
def consent_record(tmp_path) -> Path:
    from anchor.consent import consent_record
    return write(tmp_path / "eileen-consent.toml", consent_record(
        covers=ASTRONAUT, who="Eileen Collins", date=dt.date(2025, 5, 1),
        statement="I agree that my portrait may animate an AI presenter."))


def test_avatar_create_list_and_render(tmp_path, capfd, consent_record, avatar_home):
    code, out, err = anchor(capfd, "avatar", "create", ASTRONAUT, "--name", "eileen",
                            "--consent", consent_record)
    assert code == 0 and err == "", err                  # MediaPipe's native logs stay hidden
    assert out.strip().startswith("created avatar 'eileen'") and "--avatar eileen" in out
    assert sorted(os.listdir(avatar_home / "eileen")) == ["consent.toml", "image.png",
                                                          "landmarks.npy", "pack.toml"]
    code, out, _ = anchor(capfd, "avatars")
    assert code == 0
    listed = [line.split()[:2] for line in out.splitlines()[:-1]]
    assert listed == [["presenter", "illustrated"], ["eileen", "photo"]]
    assert str(avatar_home) in out.splitlines()[-1] and "photo: " in out.splitlines()[-1]
    article = write(tmp_path / "article.txt", ARTICLE)
    out_path = tmp_path / "eileen.mp4"
    code, _, err = anchor(capfd, "render", article, "-o", out_path, "--avatar", "eileen", "-t", 2,
                          *SMALL)
    assert code == 0, err
    presenter = tmp_path / "presenter.mp4"
    code, _, err = anchor(capfd, "render", article, "-o", presenter, "-t", 2, *SMALL)
    assert code == 0, err
    with av.open(str(out_path)) as a, av.open(str(presenter)) as b:
        photo = next(a.decode(video=0)).to_ndarray(format="rgb24").astype(int)
        drawn = next(b.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert streams(out_path)["frames"] == 50
    assert np.abs(photo - drawn).mean() > 10, "the photo avatar looks like the built-in presenter"


def _two_faces(folder: Path) -> Path:
    face = np.asarray(Image.open(ASTRONAUT).convert("RGB"))[0:300, 100:350]
    path = folder / "pair.png"
    Image.fromarray(np.concatenate([face, face], axis=1)).save(path)
    return path


def _far_face(folder: Path) -> Path:
    small = Image.open(ASTRONAUT).convert("RGB").resize((256, 256), Image.LANCZOS)
    canvas = np.full((300, 300, 3), 128, np.uint8)
    canvas[22:278, 22:278] = np.asarray(small)
    path = folder / "far.png"
    Image.fromarray(canvas).save(path)
    return path


def _text_named_jpg(folder: Path) -> Path:
    return write(folder / "portrait.jpg", "this is not a picture\n")


BAD_PORTRAITS = {
    "no face": (lambda folder: DATA / "coffee.png", r"coffee\.png: no face found"),
    "not an image": (_text_named_jpg, r"portrait\.jpg: not an image"),
    "two faces": (_two_faces, r"pair\.png: .*2 faces found, the portrait must show one person"),
    "face too small": (_far_face, r"far\.png: the face is too small \(\d+ px"),
    "missing consent": (lambda folder: ASTRONAUT, r"nope\.txt: consent file not found"),
}


def test_a_plain_consent_text_still_makes_an_avatar_with_a_warning(capfd, consent, avatar_home):
    code, out, err = anchor(capfd, "avatar", "create", ASTRONAUT, "--name", "eileen",
                            "--consent", consent)
    assert code == 0 and out.startswith("created avatar 'eileen'")
    assert err.startswith("anchor: warning: ") and "a plain consent text, not a consent record" \
        in err and len(err.splitlines()) == 1
    assert "consent.txt" in os.listdir(avatar_home / "eileen")


@pytest.mark.parametrize("case", list(BAD_PORTRAITS))
def test_bad_portraits_are_refused_without_a_pack(case, tmp_path, capfd, consent, avatar_home):
    make, expected = BAD_PORTRAITS[case]
    portrait = make(tmp_path)
    given = tmp_path / "nope.txt" if case == "missing consent" else consent
    code, out, err = anchor(capfd, "avatar", "create", portrait, "--name", "someone",
                            "--consent", given)
    assert code == 2
    assert re.search(expected, one_error_line(err)), err
    assert out == ""
    assert not avatar_home.exists() or os.listdir(avatar_home) == []


# ---- listings and help ------------------------------------------------------------------------

def test_voices_are_listed_with_their_language(capfd):
    code, out, _ = anchor(capfd, "voices")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.strip()]
    languages = {name: language for name, language, *_ in rows}
    assert languages["en-news"] == "en" and languages["zh-news"] == "zh"
    assert set(languages.values()) == {"en", "zh"}


def test_help_describes_the_commands_and_render_options(capfd):
    code, out, _ = anchor(capfd, "--help")
    assert code == 0
    for command in ("render", "avatar", "voices", "avatars", "shows"):
        assert re.search(rf"^\s+{command}\s", out, re.M), command
    code, out, _ = anchor(capfd, "render", "--help")
    assert code == 0
    for option in ("--output", "--avatar", "--size", "--fps", "--duration"):
        assert option in out
