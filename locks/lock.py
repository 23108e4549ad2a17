"""The locks: the exact set of packages the tests passed with, one file per install flavour.

    python3 locks/lock.py refresh          re-resolve every lock from pyproject.toml (needs PyPI)
    python3 locks/lock.py check FLAVOUR    does locks/FLAVOUR.lock.txt still satisfy pyproject.toml?

`pyproject.toml` keeps version ranges for people who use Anchor as a library; `setup.sh` (and so
CI) installs the application from a lock, so a new release of any dependency cannot break a
fresh install overnight. `refresh` runs `uv pip compile` (installed into a throwaway virtualenv
when `uv` is not on PATH) as a universal resolution with hashes, for every platform and Python
that pyproject.toml allows. `check` runs offline with the interpreter of the environment the
lock was installed into (it needs the `packaging` module, which every lock carries): every
requirement of the flavour must be pinned in the lock at a version inside its range, so a
dependency added to or narrowed in pyproject.toml without a refresh fails with a clear line.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

LOCKS = Path(__file__).resolve().parent
PYPROJECT = LOCKS.parent / "pyproject.toml"
# flavour -> the extras it installs (setup.sh: no flag, --neural, --test)
FLAVOURS = {"default": (), "neural": ("neural",), "test": ("test", "neural")}
REFRESH = "python3 locks/lock.py refresh"


def lock_path(flavour: str) -> Path:
    return LOCKS / f"{flavour}.lock.txt"


def refresh() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        uv = shutil.which("uv") or _throwaway_uv(Path(scratch))
        for flavour, extras in FLAVOURS.items():
            command = [uv, "pip", "compile", str(PYPROJECT), "--universal", "--generate-hashes",
                       "--python-version", _lowest_python(), "--quiet",
                       "--custom-compile-command", REFRESH, "-o", str(lock_path(flavour))]
            for extra in extras:
                command += ["--extra", extra]
            print(f"lock: {lock_path(flavour).relative_to(LOCKS.parent)} "
                  f"({', '.join(extras) or 'no extras'})")
            subprocess.run(command, check=True, cwd=LOCKS.parent)
    return 0


def _throwaway_uv(scratch: Path) -> str:
    subprocess.run([sys.executable, "-m", "venv", str(scratch / "uv")], check=True)
    subprocess.run([str(scratch / "uv/bin/pip"), "install", "-q", "uv"], check=True)
    return str(scratch / "uv/bin/uv")


def _lowest_python() -> str:
    requires = tomllib.loads(PYPROJECT.read_text())["project"]["requires-python"]
    return requires.removeprefix(">=").split(",")[0].strip()


def pins(path: Path) -> dict[str, list[tuple[str, str]]]:
    """name -> [(version, environment marker)] of a compiled lock ("name==version ; marker")."""
    from packaging.utils import canonicalize_name

    found: dict[str, list[tuple[str, str]]] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-", "--")):
            continue
        spec = line.split("\\")[0].strip()
        requirement, _, marker = spec.partition(";")
        name, sep, version = requirement.partition("==")
        if sep:
            found.setdefault(canonicalize_name(name.split("[")[0].strip()), []).append(
                (version.strip(), marker.strip()))
    return found


def problems(flavour: str, *, pyproject: Path = PYPROJECT, lock: Path | None = None) -> list[str]:
    """What keeps the flavour's lock from satisfying pyproject.toml here (empty: it does)."""
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    path = lock or lock_path(flavour)
    if not path.is_file():
        return [f"{path}: missing"]
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in FLAVOURS[flavour]:
        wanted += project["optional-dependencies"][extra]
    locked, found = pins(path), []
    for text in wanted:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        here = [version for version, marker in locked.get(canonicalize_name(requirement.name), [])
                if not marker or Marker(marker).evaluate()]
        if not here:
            found.append(f"{path.name}: {requirement.name} is required by pyproject.toml "
                         f"({text}) but not locked")
        elif not any(requirement.specifier.contains(v, prereleases=True) for v in here):
            found.append(f"{path.name}: {requirement.name}=={here[0]} is locked, but "
                         f"pyproject.toml asks for {requirement.specifier}")
    return found


def check(flavour: str) -> int:
    found = problems(flavour)
    for line in found:
        print(f"lock: {line}", file=sys.stderr)
    if found:
        print(f"lock: the lock no longer satisfies pyproject.toml; refresh the locks with "
              f"`{REFRESH}` and commit them", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["refresh"] and len(argv) == 1:
        return refresh()
    if argv[:1] == ["check"] and len(argv) == 2 and argv[1] in FLAVOURS:
        return check(argv[1])
    print(f"usage: {os.path.basename(sys.argv[0])} refresh | check {{{'|'.join(FLAVOURS)}}}",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
