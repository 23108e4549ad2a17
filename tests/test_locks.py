"""The locks in locks/ satisfy pyproject.toml, and a drift between the two is named."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("lock", ROOT / "locks" / "lock.py")
lock = importlib.util.module_from_spec(spec)
sys.modules["lock"] = lock
spec.loader.exec_module(lock)


@pytest.mark.parametrize("flavour", sorted(lock.FLAVOURS))
def test_each_lock_pins_every_requirement_of_its_flavour_within_range(flavour):
    assert lock.problems(flavour) == []
    pinned = lock.pins(lock.lock_path(flavour))
    assert ("torch" in pinned) == ("neural" in lock.FLAVOURS[flavour])
    assert ("pytest" in pinned) == (flavour == "test")


def test_the_installed_packages_are_the_locked_ones():
    from importlib.metadata import version

    from packaging.markers import Marker

    for name in ("av", "aiortc", "numpy", "transformers", "torch"):
        here = [v for v, marker in lock.pins(lock.lock_path("test"))[name]
                if not marker or Marker(marker).evaluate()]
        assert here == [version(name)], name


def test_a_range_narrowed_or_a_dependency_added_without_refresh_is_named(tmp_path):
    text = (ROOT / "pyproject.toml").read_text()
    assert '"aiortc>=1.16"' in text
    narrowed = tmp_path / "pyproject.toml"
    narrowed.write_text(text.replace('"aiortc>=1.16"', '"aiortc>=9", "left-pad-zero>=1"'))
    found = lock.problems("default", pyproject=narrowed)
    assert len(found) == 2
    assert found[0].startswith("default.lock.txt: aiortc==") and "asks for >=9" in found[0]
    assert found[1] == ("default.lock.txt: left-pad-zero is required by pyproject.toml "
                        "(left-pad-zero>=1) but not locked")
