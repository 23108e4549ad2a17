"""The sign lexicon: authored entries described in TOML under lexicon/ (one folder of files
per language, plus handshapes shared by both), each turned into a pose track by the skeleton.

    lexicon/handshapes.toml       [handshape.NAME] shared handshapes (B, 5, 1, ...)
    lexicon/ase/*.toml            [meta] origin, licence, status, note
                                  [handshape.NAME] this language's own handshapes
                                  [sign.GLOSS] words, kind, handshape, fingers, palm, location,
                                               movement ... (avatars/signer/signing.py)

The index of a language is its entries: gloss, words, language, kind (letter | number | sign),
origin, licence, status (authored | recorded | edited); every authored entry is approximate.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from anchor.errors import AvatarError
from anchor.media import PoseTrack
from avatars.signer.body import BodyError, direction, location
from avatars.signer.handshapes import HandshapeError, parse_handshape
from avatars.signer.hand import Handshape
from avatars.signer.signing import TOUCH_POINTS, Circle, HandPlan, SignPlan, sign_track

LEXICON_DIR = Path(__file__).with_name("lexicon")
LANGUAGES = {"ase": "American Sign Language", "csl": "Chinese Sign Language"}
KINDS = ("letter", "number", "sign")
STATUSES = ("authored", "recorded", "edited")
HAND_KEYS = {"handshape", "fingers", "palm", "location", "touch", "end_handshape", "end_fingers",
             "end_palm", "to", "path", "circle", "repeat", "twist", "shake"}
SIGN_KEYS = HAND_KEYS | {"words", "kind", "hands", "weak", "duration", "note", "origin",
                         "licence", "status", "pose"}


class LexiconError(AvatarError):
    """A lexicon file or entry that is wrong; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    gloss: str
    words: tuple[str, ...]
    language: str
    kind: str                   # letter | number | sign
    origin: str
    licence: str
    status: str                 # authored | recorded | edited
    plan: SignPlan = field(repr=False, compare=False)
    source: Path = field(repr=False, compare=False)
    note: str = ""

    @property
    def approximate(self) -> bool:
        return self.status == "authored"


class Lexicon:
    """The entries of one language, by gloss."""

    def __init__(self, language: str, entries: dict[str, LexiconEntry]):
        self.language = language
        self.entries = entries
        self._words = {w.casefold(): e for e in entries.values() for w in e.words}

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, gloss: str) -> LexiconEntry:
        try:
            return self.entries[gloss]
        except KeyError:
            raise LexiconError(f"{self.language}: no sign {gloss!r} in the lexicon") from None

    def for_word(self, word: str) -> LexiconEntry | None:
        return self._words.get(word.casefold())

    def letter(self, letter: str) -> LexiconEntry:
        entry = self.entries.get(letter.upper())
        if entry is None or entry.kind != "letter":
            raise LexiconError(f"{self.language}: the manual alphabet has no letter {letter!r}")
        return entry

    def track(self, gloss: str, fps: float = 25.0) -> PoseTrack:
        return sign_track(self.entry(gloss).plan, fps)


def check_language(language: str, field_name: str = "--lang") -> str:
    if language not in LANGUAGES:
        raise LexiconError(f"{field_name}: unknown sign language {language!r} "
                           f"(one of {', '.join(LANGUAGES)})")
    return language


@cache
def load_lexicon(language: str, root: Path = LEXICON_DIR) -> Lexicon:
    check_language(language, "language")
    shared = root / "handshapes.toml"
    shapes = _handshapes(shared, _read(shared).get("handshape", {}), {})
    files = sorted((root / language).glob("*.toml"))
    tables = [(path, _read(path)) for path in files]
    for path, table in tables:
        shapes = _handshapes(path, table.get("handshape", {}), shapes)
    entries: dict[str, LexiconEntry] = {}
    for path, table in tables:
        meta = table.get("meta", {})
        for gloss, spec in table.get("sign", {}).items():
            if gloss in entries:
                raise LexiconError(f"{path}: sign {gloss}: already defined in "
                                   f"{entries[gloss].source.name}")
            entries[gloss] = _entry(path, language, gloss, spec, meta, shapes)
    return Lexicon(language, entries)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise LexiconError(f"{path}: {e}") from None


def _handshapes(path: Path, table: dict, known: dict[str, Handshape]) -> dict[str, Handshape]:
    shapes = dict(known)
    for name, spec in table.items():
        try:
            shapes[name] = parse_handshape(name, spec)
        except HandshapeError as e:
            raise LexiconError(f"{path}: {e}") from None
    return shapes


def _entry(path: Path, language: str, gloss: str, spec: dict, meta: dict,
           shapes: dict[str, Handshape]) -> LexiconEntry:
    where = f"{path}: sign {gloss}"
    unknown = set(spec) - SIGN_KEYS
    if unknown:
        raise LexiconError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    kind = spec.get("kind", meta.get("kind", "sign"))
    status = spec.get("status", meta.get("status", "authored"))
    if kind not in KINDS:
        raise LexiconError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if status not in STATUSES:
        raise LexiconError(f"{where}: status must be one of {', '.join(STATUSES)}")
    origin, licence = spec.get("origin", meta.get("origin")), spec.get("licence", meta.get("licence"))
    if not origin or not licence:
        raise LexiconError(f"{where}: every entry needs an origin and a licence ([meta] or its own)")
    words = spec.get("words", [gloss.lower()])
    dominant = _hand(where, spec, shapes)
    hands = spec.get("hands", "one")
    if hands not in ("one", "both"):
        raise LexiconError(f"{where}: hands is 'one' or 'both' (the other hand mirrors), not {hands!r}")
    weak = None
    if "weak" in spec:
        weak = _hand(f"{where}: weak", {"location": "neutral", **spec["weak"]}, shapes)
    elif hands == "both":
        weak = dominant
    try:
        plan = SignPlan(gloss=gloss, dominant=dominant, weak=weak,
                        duration=float(spec.get("duration", 0.8)))
    except (TypeError, ValueError) as e:
        raise LexiconError(f"{where}: {e}") from None
    return LexiconEntry(gloss=gloss, words=tuple(words), language=language, kind=kind,
                        origin=origin, licence=licence, status=status, plan=plan, source=path,
                        note=spec.get("note", ""))


def _hand(where: str, spec: dict, shapes: dict[str, Handshape]) -> HandPlan:
    unknown = set(spec) - SIGN_KEYS
    if unknown:
        raise LexiconError(f"{where}: unknown key {sorted(unknown)[0]!r}")

    def shape(key: str) -> Handshape | None:
        name = spec.get(key)
        if name is None:
            return None
        if name not in shapes:
            raise LexiconError(f"{where}: {key}: unknown handshape {name!r}")
        return shapes[name]

    if "handshape" not in spec:
        raise LexiconError(f"{where}: no handshape")
    try:
        for fingers, palm in (("fingers", "palm"), ("end_fingers", "end_palm")):
            f = direction(spec.get(fingers, spec.get("fingers", "up")), -1)
            p = direction(spec.get(palm, spec.get("palm", "forward")), -1)
            if np.linalg.norm(np.cross(f, p)) < 0.3:
                raise ValueError(f"{palm} {spec.get(palm, spec.get('palm', 'forward'))!r} cannot "
                                 f"face along {fingers} {spec.get(fingers, spec.get('fingers', 'up'))!r}")
        for key in ("location", "to"):
            if key in spec and spec[key] not in ("weak-palm", "weak-back"):
                location(spec[key], -1)
        path = tuple(_stroke(s) for s in spec.get("path", ()))
        circle = Circle(**spec["circle"]) if "circle" in spec else None
        touch = spec.get("touch", "palm")
        if touch not in TOUCH_POINTS:
            raise ValueError(f"touch must be one of {', '.join(TOUCH_POINTS)}")
        return HandPlan(handshape=shape("handshape"), fingers=spec.get("fingers", "up"),
                        palm=spec.get("palm", "forward"), location=spec.get("location", "neutral"),
                        touch=touch, end_handshape=shape("end_handshape"),
                        end_fingers=spec.get("end_fingers"), end_palm=spec.get("end_palm"),
                        to=spec.get("to"), path=path, circle=circle,
                        repeat=int(spec.get("repeat", 1)), twist=float(spec.get("twist", 0.0)),
                        shake=float(spec.get("shake", 0.0)))
    except (BodyError, TypeError, ValueError) as e:
        raise LexiconError(f"{where}: {e}") from None


def _stroke(text: Any) -> tuple[str, float]:
    words, _, cm = str(text).rpartition(" ")
    try:
        return words.strip(), float(cm)
    except ValueError:
        raise ValueError(f"a path stroke is 'DIRECTION CM' such as 'down-in 8', not {text!r}") from None
