"""The wheel is the product: built from the source, installed on its own (away from the source
tree), every package imports from it, all package data is inside, and it renders a demo show."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import av
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("anchor", "voices", "avatars", "streaming")
pytest.importorskip("setuptools")

CHECK = """
import importlib, json, os, sys
site = os.path.realpath(sys.argv[1])
packages = json.loads(sys.argv[2])
where = {}
for name in packages:
    module = importlib.import_module(name)
    where[name] = os.path.realpath(module.__file__)
from anchor.moderation import screen_generated
from anchor.live.server import STATIC_DIR
import voices
print(json.dumps({
    "site": site, "where": where,
    "blocked": screen_generated("fuck this"),
    "player": (STATIC_DIR / "index.html").is_file(),
    "voices": [v.name for v in voices.catalog()],
    "heavy": sorted(m for m in ("torch", "transformers", "TTS") if m in sys.modules),
}))
"""


def source_packages() -> list[str]:
    """Every package of the source tree (a folder with an __init__.py)."""
    return sorted(".".join(init.parent.relative_to(ROOT).parts)
                  for top in PACKAGES for init in (ROOT / top).rglob("__init__.py"))


def package_data() -> list[str]:
    """Every file of the source packages that is not Python: shows, blocklist, player, presets."""
    return sorted(str(path.relative_to(ROOT)) for top in PACKAGES
                  for path in (ROOT / top).rglob("*")
                  if path.is_file() and path.suffix not in (".py", ".pyc")
                  and "__pycache__" not in path.parts)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the folder it is installed into)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"          # a copy, so the build leaves nothing in the source tree
    src.mkdir()
    for name in PACKAGES:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-q", str(src),
                          "-w", str(tmp / "dist")], check=True, timeout=240)
    wheel, = (tmp / "dist").glob("anchor_presenter-*.whl")
    subprocess.run(pip + ["install", "--no-deps", "-q", "--target", str(tmp / "site"),
                          str(wheel)], check=True, timeout=240)
    return wheel, tmp / "site"


def test_the_wheel_holds_every_package_and_all_package_data(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = source_packages()
    assert {"anchor", "anchor.show", "anchor.live", "voices", "avatars", "streaming"} <= set(packages)
    missing = [p for p in packages if p.replace(".", "/") + "/__init__.py" not in names]
    assert not missing, missing
    data = package_data()
    assert {"anchor/shows/demo-news.yaml", "streaming/static/index.html",
            "voices/presets.toml"} <= set(data)
    assert any(name.endswith("blocklist.txt") for name in data)
    missing = [name for name in data if name not in names]
    assert not missing, missing
    assert not [name for name in names if name.startswith(("tests/", "bench/", "docs/"))]


def run_installed(site: Path, tmp_path: Path, *args: str, timeout: float = 240):
    """Run this interpreter on the installed copy alone: cwd outside the repository, the
    install folder first on the path."""
    run_dir = tmp_path / "run"
    run_dir.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(site), "ANCHOR_AVATARS": str(tmp_path / "avatars")}
    return subprocess.run([sys.executable, *args], cwd=run_dir, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_every_package_imports_from_the_installed_wheel(installed, tmp_path):
    _, site = installed
    run = run_installed(site, tmp_path, "-c", CHECK, str(site), json.dumps(source_packages()))
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    elsewhere = {name: path for name, path in found["where"].items()
                 if not path.startswith(found["site"] + os.sep)}
    assert not elsewhere, elsewhere
    assert found["blocked"] == "blocked"            # the shipped blocklist was read
    assert found["player"]                          # the player page is beside the server
    assert found["voices"]                          # the voice presets were read
    assert found["heavy"] == []


def test_the_installed_wheel_renders_a_demo_show(installed, tmp_path):
    _, site = installed
    out = tmp_path / "demo.mp4"
    run = run_installed(site, tmp_path, "-m", "anchor.cli", "render", "demo-news", "-o", str(out),
                        "-t", "3", "--size", "320x180")
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 0
    with av.open(str(out)) as container:
        kinds = {stream.type for stream in container.streams}
        assert {"video", "audio"} <= kinds
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 3 * 25 * 0.9
