"""Avatar kinds behind one registry: what `--avatar NAME` (or a show's `avatar:`) may name.

An avatar is an entry of some kind. The built-in presenter is the entry "presenter" of kind
"illustrated" (drawn by our own code); each pack folder under avatar_dir() is an entry whose
pack.toml names its kind ("photo": a portrait rigged with MediaPipe). A kind checks an entry
before a show starts and builds its animator from explicit arguments; a new kind is one more
`AvatarKind` in the table, never a new `if name == ...`.

    avatars = Avatars()                       # the built-in kinds; packs in avatar_dir()
    avatars.check("eileen")                   # AvatarError: unknown, incomplete, no consent
    animator = avatars.animator("eileen", height=720, fps=25, seed=0)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, Protocol

from anchor.errors import AvatarError
from avatars.base import Animator
from avatars.pack import PHOTO, avatar_dir, load_pack, pack_kind, pack_names

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AvatarEntry:
    """One avatar a name may mean."""
    name: str
    kind: str
    path: Path | None        # the pack folder; None for a built-in avatar
    description: str = ""


class Animate(Protocol):
    def __call__(self, entry: AvatarEntry, *, height: int, fps: int, seed: int) -> Animator: ...


@dataclass(frozen=True, slots=True)
class AvatarKind:
    name: str
    description: str
    animate: Animate                                  # the entry's animator
    check: Callable[[AvatarEntry, Callable[[str], None]], None]   # (entry, warn); AvatarError


def _illustrated(entry: AvatarEntry, *, height: int, fps: int, seed: int) -> Animator:
    from avatars.presenter import IllustratedPresenter
    return IllustratedPresenter(height=height, fps=fps, seed=seed)


def _photo(entry: AvatarEntry, *, height: int, fps: int, seed: int) -> Animator:
    from avatars.warp import PhotoAnimator
    pack = load_pack(entry.name, root=entry.path.parent, warn=lambda message: None)
    return PhotoAnimator(pack, height=height, fps=fps, seed=seed)


def _check_photo(entry: AvatarEntry, warn: Callable[[str], None]) -> None:
    load_pack(entry.name, root=entry.path.parent, warn=warn)


KINDS: Mapping[str, AvatarKind] = MappingProxyType({kind.name: kind for kind in (
    AvatarKind("illustrated", "drawn by Anchor's own code", _illustrated,
               lambda entry, warn: None),
    AvatarKind(PHOTO, "a portrait rigged with MediaPipe, animated by warping", _photo,
               _check_photo),
)})
BUILT_IN = (AvatarEntry("presenter", "illustrated", None, "built-in illustrated presenter"),)


class Avatars:
    """The avatars a name may mean: the built-in entries, then the packs under `root` (default:
    avatar_dir()), each animated by the kind it names in `kinds`."""

    def __init__(self, *, root: Path | None = None, kinds: Mapping[str, AvatarKind] = KINDS,
                 built_in: tuple[AvatarEntry, ...] = BUILT_IN,
                 warn: Callable[[str], None] = log.warning):
        self.root = Path(root) if root is not None else avatar_dir()
        self.kinds, self.built_in, self._warn = kinds, built_in, warn

    def entries(self) -> list[AvatarEntry]:
        """Every avatar: the built-in ones, then the packs by name."""
        packs = [entry for name in pack_names(self.root)
                 if (entry := self._pack(name)).name not in {b.name for b in self.built_in}]
        return [*self.built_in, *packs]

    def entry(self, name: str) -> AvatarEntry:
        """The avatar `name`; AvatarError naming the known ones if there is none, or if its
        kind is not one of `kinds`."""
        for entry in self.built_in:
            if entry.name == name:
                return self._known(entry)
        if isinstance(name, str) and name in pack_names(self.root):
            return self._known(self._pack(name))
        known = ", ".join(e.name for e in self.entries())
        raise AvatarError(f"unknown avatar {name!r} (known: {known}; packs live in {self.root})")

    def check(self, name: str) -> AvatarEntry:
        """The avatar `name`, checked as its kind checks (a pack: complete, with consent)."""
        entry = self.entry(name)
        self.kinds[entry.kind].check(entry, self._warn)
        return entry

    def animator(self, name: str, *, height: int, fps: int, seed: int) -> Animator:
        entry = self.entry(name)
        return self.kinds[entry.kind].animate(entry, height=height, fps=fps, seed=seed)

    def _pack(self, name: str) -> AvatarEntry:
        folder = self.root / name
        kind = pack_kind(folder)
        description = self.kinds[kind].description if kind in self.kinds else "unknown kind"
        return AvatarEntry(name, kind, folder, description)

    def _known(self, entry: AvatarEntry) -> AvatarEntry:
        if entry.kind not in self.kinds:
            raise AvatarError(f"avatar {entry.name!r} is of kind {entry.kind!r}, which this "
                              f"Anchor does not know (kinds: {', '.join(self.kinds)})")
        return entry
