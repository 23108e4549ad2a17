"""`anchor doctor`: the real checks on this machine, and a broken install seen as one."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from anchor.cli import main

NEEDED = {"espeak-ng English voice", "espeak-ng Chinese voice", "MediaPipe FaceMesh",
          "fonts for Chinese subtitles", "PyAV codecs (H.264, AAC, VP8, Opus)"}


def doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "anchor.cli", "doctor", *args],
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, **(env or {})})


def test_a_complete_install_reports_every_capability_usable(capsys):
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["default_path_works"] is True
    assert report["packages"]["av"] and report["packages"]["mediapipe"] == "0.10.21"
    findings = {f["capability"]: f for f in report["findings"]}
    assert {name for name, f in findings.items() if f["needed"]} == NEEDED
    assert all(f["usable"] for f in findings.values()), findings   # the test machine has it all
    assert "48000 Hz" in findings["espeak-ng Chinese voice"]["detail"]
    assert "H.264, AAC, VP8, Opus" in findings["PyAV codecs (H.264, AAC, VP8, Opus)"]["detail"]


def test_a_missing_test_tool_is_reported_but_the_default_path_still_works(tmp_path):
    # a PATH without chromium and nginx: what a user who ran plain `setup.sh` has
    result = doctor(env={"PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["--", "chromium"] and "not found on PATH" in line
               for line in lines), result.stdout
    assert lines[-1] == "the embedded default path works"


def test_a_broken_codec_library_fails_the_default_path(tmp_path):
    # PyAV whose native library cannot load, as after a half-finished upgrade
    broken = tmp_path / "av"
    broken.mkdir()
    (broken / "__init__.py").write_text(
        "raise ImportError('libavcodec.so.61: cannot open shared object file')\n")
    result = doctor("--json", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["default_path_works"] is False
    codecs = next(f for f in report["findings"] if f["capability"].startswith("PyAV"))
    assert not codecs["usable"] and "libavcodec.so.61" in codecs["detail"]
    fonts = next(f for f in report["findings"] if f["capability"].startswith("fonts"))
    assert fonts["usable"]                       # the other checks still ran
