"""The house's import rule, read from the source: imports run downward only.

`voices`, `avatars` and `streaming` import nothing of `anchor` but its ground floor (media, clock,
errors, and consent: the record faces and voices share) and never each other; inside `anchor`
each subpackage imports only the layers below it (lazy imports inside functions count too), so
no two stages can form a cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("anchor", "voices", "avatars", "streaming")
GROUND = {"anchor", "anchor.media", "anchor.clock", "anchor.errors"}
FLOOR = GROUND | {"anchor.consent"}       # all that voices, avatars and streaming may import

# bottom first; a unit may import units of lower layers only
LAYERS = [
    GROUND | {"anchor.logs"},
    {"anchor.consent"},                   # raises the errors of the floor below it
    {"voices", "avatars", "streaming"},
    {"anchor.text"},                      # what a character is, folding: for all above
    {"anchor.moderation", "anchor.studio", "anchor.sign"},
    {"anchor.show"},
    {"anchor.language_model"},
    {"anchor.rewriter"},
    {"anchor.answers"},
    {"anchor.program"},
    {"anchor.live"},
    {"anchor.render", "anchor.sign_render", "anchor.doctor"},
    {"anchor.cli"},
]
LAYER = {unit: i for i, units in enumerate(LAYERS) for unit in units}


def unit(module: str) -> str:
    """The unit a module belongs to: a top-level package, or anchor's module or subpackage."""
    parts = module.split(".")
    return parts[0] if parts[0] != "anchor" or len(parts) == 1 else ".".join(parts[:2])


def imports() -> dict[str, set[str]]:
    """unit -> the other units its modules import (ours only)."""
    found: dict[str, set[str]] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            source = unit(module.removesuffix(".__init__"))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                    if node.module == "anchor":     # from anchor import <module>
                        names += [f"anchor.{alias.name}" for alias in node.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] in PACKAGES and unit(name) != source:
                        found.setdefault(source, set()).add(unit(name))
    return found


def test_every_unit_has_a_layer():
    units = set(imports()) | {u for targets in imports().values() for u in targets}
    assert units - {"anchor"} <= set(LAYER), sorted(units - set(LAYER))


def test_voices_avatars_and_streaming_import_only_the_ground_floor():
    for package in ("voices", "avatars", "streaming"):
        assert imports().get(package, set()) <= FLOOR, (package, imports()[package])


def test_imports_run_downward_only():
    upward = sorted((source, target) for source, targets in imports().items()
                    for target in targets if LAYER[target] >= LAYER[source])
    assert not upward, upward
