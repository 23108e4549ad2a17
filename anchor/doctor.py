"""`anchor doctor`: what works on this machine, and why not what does not.

Each capability is tried for real (a voice speaks, FaceMesh loads its model, an encoder opens),
never only looked up, so a broken install says so here rather than in the middle of a show. A
capability is either NEEDED by the embedded default path (`anchor live` / `anchor render` of
the demo shows, `anchor avatar create`) or OPTIONAL (the neural backends, the test servers).
The exit code is 0 when every needed capability works, 1 otherwise.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import anchor

PACKAGES = ("numpy", "av", "espeakng-loader", "mediapipe", "opencv-contrib-python", "pillow",
            "pydantic", "aiortc", "aiohttp", "torch", "torchaudio", "coqui-tts", "transformers")
NEURAL = "install it with `bash setup.sh --neural`"
XTTS_TRANSFORMERS_BELOW = "5.24"     # see pyproject.toml and docs/dependencies.md
RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")   # Debian libnginx-mod-rtmp


class Unusable(Exception):
    """A capability that cannot be used here; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Finding:
    capability: str
    needed: bool         # by the embedded default path
    usable: bool
    detail: str          # what was found, or why it cannot be used


@dataclass(frozen=True, slots=True)
class Report:
    anchor: str
    python: str
    platform: str
    packages: dict[str, str | None]      # distribution -> version (None: not installed)
    findings: tuple[Finding, ...]

    @property
    def default_path_works(self) -> bool:
        return all(f.usable for f in self.findings if f.needed)


def _speaks(language: str, text: str) -> str:
    import voices
    from anchor.media import Utterance

    name = voices.default_voice(language)
    chunks = list(voices.load_voice(name).synthesize(Utterance(1, text, language, name)))
    samples = sum(len(c.pcm) for c in chunks)
    phonemes = sum(len(c.phonemes) for c in chunks)
    if not samples or not phonemes:
        raise Unusable(f"voice {name} made {samples} samples and {phonemes} phoneme events")
    rate = chunks[0].sample_rate
    return f"voice {name}: {samples / rate:.1f} s of speech, {phonemes} phonemes at {rate} Hz"


def _facemesh() -> str:
    import numpy as np

    from avatars.facemesh import LANDMARKS, FaceMeshDetector

    with FaceMeshDetector(max_faces=1) as mesh:
        mesh.detect(np.zeros((64, 64, 3), np.uint8))       # loads and runs the shipped model
    return f"mediapipe {_version('mediapipe')}, FaceMesh model loaded ({LANDMARKS} landmarks)"


def _cjk_font() -> str:
    from anchor.studio.graphics import find_font

    font = find_font("regular")
    if not font.cjk:
        raise Unusable("no Noto Sans CJK font found: Chinese subtitles would show boxes "
                       "(apt install fonts-noto-cjk)")
    return font.path


def _codecs() -> str:
    import av

    opened = []
    for label, codec, kind in (("H.264", "libx264", "video"), ("AAC", "aac", "audio"),
                               ("VP8", "libvpx", "video"), ("Opus", "libopus", "audio")):
        try:
            context = av.CodecContext.create(codec, "w")
            if kind == "video":
                context.width, context.height, context.pix_fmt = 64, 64, "yuv420p"
                context.time_base = Fraction(1, 25)
            else:
                context.sample_rate, context.layout = 48_000, "mono"
                context.format = context.codec.audio_formats[0].name
            context.open()
        except Exception as e:  # noqa: BLE001 (any failure means this codec is unusable)
            raise Unusable(f"{label} encoder ({codec}) does not open: {e}") from None
        opened.append(label)
    return f"PyAV {av.__version__} (FFmpeg {av.ffmpeg_version_info}): {', '.join(opened)} encode"


def _torch() -> str:
    if importlib.util.find_spec("torch") is None:
        raise Unusable(f"not installed; {NEURAL}")
    import torch

    if torch.cuda.is_available():
        return f"torch {torch.__version__}, CUDA {torch.version.cuda}: {torch.cuda.get_device_name(0)}"
    return f"torch {torch.__version__}, no CUDA device: neural backends run on the CPU"


def _coqui() -> str:
    if importlib.util.find_spec("TTS") is None:
        raise Unusable(f"not installed; {NEURAL}")
    import TTS  # noqa: F401 (importing is the check: TTS needs torchaudio and six)

    found = f"coqui-tts {_version('coqui-tts')}"
    from packaging.version import Version

    transformers = _version("transformers")
    if transformers and Version(transformers) >= Version(XTTS_TRANSFORMERS_BELOW):
        found += (f"; XTTS cloning needs transformers<{XTTS_TRANSFORMERS_BELOW}, "
                  f"found {transformers} (docs/dependencies.md)")
    return found


def _transformers() -> str:
    if importlib.util.find_spec("transformers") is None:
        raise Unusable(f"not installed; {NEURAL}")
    import transformers

    return f"transformers {transformers.__version__}"


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise Unusable("chromium not found on PATH (the player-page tests need it: "
                       "bash setup.sh --test)")
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Unusable(f"{path} --version failed: {e}") from None
    return out.stdout.strip() or path


def _nginx_rtmp() -> str:
    # /usr/sbin is not on every user's PATH; Debian's nginx lives there
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if path is None:
        raise Unusable("nginx not found (the RTMP push tests need it: bash setup.sh --test)")
    if not RTMP_MODULE.exists():
        raise Unusable(f"{RTMP_MODULE} missing (apt install libnginx-mod-rtmp)")
    return f"{path} with {RTMP_MODULE.name}"


CHECKS: tuple[tuple[str, bool, Callable[[], str]], ...] = (
    ("espeak-ng English voice", True, lambda: _speaks("en", "Good evening.")),
    ("espeak-ng Chinese voice", True, lambda: _speaks("zh", "晚上好。")),
    ("MediaPipe FaceMesh", True, _facemesh),
    ("fonts for Chinese subtitles", True, _cjk_font),
    ("PyAV codecs (H.264, AAC, VP8, Opus)", True, _codecs),
    ("torch", False, _torch),
    ("Coqui TTS", False, _coqui),
    ("transformers", False, _transformers),
    ("chromium (tests)", False, _chromium),
    ("nginx-rtmp (tests)", False, _nginx_rtmp),
)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def examine(checks=CHECKS) -> Report:
    findings = []
    for capability, needed, check in checks:
        try:
            usable, detail = True, check()
        except Unusable as e:
            usable, detail = False, str(e)
        except Exception as e:  # noqa: BLE001 (a broken install is what the doctor reports)
            first = (str(e).splitlines() or [""])[0]
            usable, detail = False, f"{type(e).__name__}: {first}"
        findings.append(Finding(capability, needed, usable, detail))
    return Report(anchor=anchor.__version__, python=platform.python_version(),
                  platform=f"{platform.system()} {platform.machine()}",
                  packages={name: _version(name) for name in PACKAGES},
                  findings=tuple(findings))


def text(report: Report) -> str:
    lines = [f"Anchor {report.anchor} · Python {report.python} · {report.platform}",
             "packages: " + ", ".join(f"{name} {version or '-'}"
                                      for name, version in report.packages.items())]
    width = max(len(f.capability) for f in report.findings)
    for heading, needed in (("needed by the default path", True), ("optional", False)):
        lines.append(f"{heading}:")
        for f in report.findings:
            if f.needed == needed:
                mark = "ok" if f.usable else ("FAIL" if needed else "--")
                lines.append(f"  {mark:<4} {f.capability:<{width}}  {f.detail}")
    verdict = "works" if report.default_path_works else "is BROKEN (see FAIL above)"
    lines.append(f"the embedded default path {verdict}")
    return "\n".join(lines)


def as_json(report: Report) -> str:
    data = asdict(report)
    data["default_path_works"] = report.default_path_works
    return json.dumps(data, ensure_ascii=False, indent=2)


def run(*, json_output: bool = False) -> int:
    report = examine()
    print(as_json(report) if json_output else text(report))
    sys.stdout.flush()
    return 0 if report.default_path_works else 1
