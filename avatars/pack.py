"""Avatar packs: a rigged portrait saved as a folder, with the consent of the person shown.

    <avatar_dir>/<name>/image.png       the framed portrait (RGB)
                        landmarks.npy   (478, 2) float32 face landmarks in image pixels
                        pack.toml       kind, name, created, source file and its SHA-256,
                                        image size, rig version
                        consent.toml    the consent record for the portrait (anchor.consent)

A pack's `kind` names the avatar kind that animates it (avatars/kinds.py); a rigged portrait is
"photo", and a pack written before kinds existed, without one, is a photo pack too. Consent
given as a record (`--consent FILE.toml`: who, statement, date, the portrait's SHA-256) is
checked against the portrait and kept as consent.toml. Older packs keep a plain consent text
(consent.txt: the text, its SHA-256 and when it was recorded); they still load, with a warning,
and `create_pack` still takes such a text, with the same warning.

A pack is written to a temporary folder next to its final place and renamed into it, so a
crash never leaves a half-written pack.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from anchor.consent import Consent, check_consent, check_record, file_sha256, read_consent
from anchor.errors import AvatarError
from avatars.rig import RIG_VERSION, Rig, read_image, rig_portrait

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
FILES = ("image.png", "landmarks.npy", "pack.toml")
RECORD, PLAIN = "consent.toml", "consent.txt"        # the consent record; an older plain text
PHOTO = "photo"                                      # the kind of a rigged portrait
PLAIN_CONSENT = ("{path}: a plain consent text, not a consent record; give --consent a .toml "
                 "record (who, statement, date, sha256 of the portrait) to record who agreed "
                 "to what, and when")


@dataclass(frozen=True, slots=True, eq=False)
class AvatarPack:
    name: str
    path: Path
    image: np.ndarray        # HxWx3 uint8 RGB
    landmarks: np.ndarray    # (478, 2) float32, image pixels
    source: str              # file name of the original photo
    created: str             # ISO 8601, UTC
    rig_version: int
    consent_sha256: str      # of the consent file as given (a record or a plain text)
    consent: Consent | None = None    # None: an older pack with a plain consent text

    @property
    def rig(self) -> Rig:
        return Rig.from_landmarks(self.landmarks)


def avatar_dir() -> Path:
    """$ANCHOR_AVATARS if set, else $XDG_DATA_HOME/anchor/avatars (~/.local/share by default)."""
    explicit = os.environ.get("ANCHOR_AVATARS")
    if explicit:
        return Path(explicit).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser() / "anchor" / "avatars"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise AvatarError(f"avatar name {name!r} is not allowed: use 1-40 lowercase letters, "
                          f"digits, '-' or '_', starting with a letter or digit")
    return name


def read_consent_text(consent: Path) -> tuple[str, str]:
    """A plain consent text and its SHA-256, or AvatarError if the file is missing or empty."""
    consent = Path(consent)
    try:
        raw = consent.read_bytes()
    except FileNotFoundError:
        raise AvatarError(f"{consent}: consent file not found; an avatar needs the written "
                          f"consent of the person shown") from None
    except OSError as exc:
        raise AvatarError(f"{consent}: cannot read the consent file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AvatarError(f"{consent}: the consent file must be UTF-8 text") from None
    if not text.strip():
        raise AvatarError(f"{consent}: the consent file is empty")
    return text, hashlib.sha256(raw).hexdigest()


def pack_kind(folder: Path) -> str:
    """The kind a pack folder's pack.toml names ("photo" when it names none)."""
    return _kind(_read_toml(folder / "pack.toml"), folder)


def _kind(meta: dict, folder: Path) -> str:
    kind = meta.get("kind", PHOTO)
    if not isinstance(kind, str) or not kind:
        raise AvatarError(f"{folder / 'pack.toml'}: 'kind' must be the name of an avatar kind")
    return kind


def create_pack(portrait: Path, *, name: str, consent: Path, root: Path | None = None,
                overwrite: bool = False, now: datetime | None = None,
                warn: Callable[[str], None] = log.warning) -> AvatarPack:
    """Rig `portrait` and save it as the pack `name` under `root` (default: avatar_dir()).
    `consent` is a consent record (.toml) for exactly this portrait, or a plain text (warned)."""
    check_name(name)
    consent = Path(consent)
    portrait = Path(portrait)
    if consent.suffix == ".toml":                      # before any slow work
        check_consent(consent, covers=portrait, media="portrait", error=AvatarError,
                      needed="an avatar needs the written consent of the person shown")
        record_bytes = consent.read_bytes()         # kept as given, byte for byte
        consent_sha = hashlib.sha256(record_bytes).hexdigest()
    else:
        consent_text, consent_sha = read_consent_text(consent)
    root = Path(root) if root is not None else avatar_dir()
    final = root / name
    if final.exists() and not overwrite:
        raise AvatarError(f"avatar {name!r} already exists in {root}; choose another name or "
                          f"overwrite it")
    rigged = rig_portrait(portrait)
    created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    stamp = created.isoformat(timespec="seconds")

    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=root))
    try:
        _write_png(tmp / "image.png", rigged.image)
        np.save(tmp / "landmarks.npy", rigged.landmarks.astype(np.float32))
        h, w = rigged.image.shape[:2]
        (tmp / "pack.toml").write_text(
            f"kind = {_toml_str(PHOTO)}\n"
            f"name = {_toml_str(name)}\n"
            f"created = {_toml_str(stamp)}\n"
            f"source = {_toml_str(rigged.source)}\n"
            f"source_sha256 = {_toml_str(file_sha256(portrait))}\n"
            f"width = {w}\n"
            f"height = {h}\n"
            f"rig_version = {RIG_VERSION}\n", encoding="utf-8")
        if consent.suffix == ".toml":
            (tmp / RECORD).write_bytes(record_bytes)
        else:
            body = consent_text if consent_text.endswith("\n") else consent_text + "\n"
            (tmp / PLAIN).write_text(
                f"{body}\n---\n"
                f"consent file: {consent.name}\n"
                f"sha256: {consent_sha}\n"
                f"recorded: {stamp}\n", encoding="utf-8")
        _move_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if consent.suffix != ".toml":
        warn(PLAIN_CONSENT.format(path=consent))
    return load_pack(name, root=root, warn=lambda message: None)


def load_pack(name: str, root: Path | None = None, *,
              warn: Callable[[str], None] = log.warning) -> AvatarPack:
    """The photo pack `name` under `root`; `warn` hears about a plain consent text."""
    root = Path(root) if root is not None else avatar_dir()
    folder = root / name
    if not NAME_RE.fullmatch(name) or not (folder / "pack.toml").is_file():
        known = ", ".join(pack_names(root)) or "none"
        raise AvatarError(f"unknown avatar {name!r} in {root} (known: {known})")
    for file in FILES:
        if not (folder / file).is_file():
            raise AvatarError(f"{folder / file}: missing; the avatar pack is incomplete")
    meta = _read_toml(folder / "pack.toml")
    kind = _kind(meta, folder)
    if kind != PHOTO:
        raise AvatarError(f"{folder / 'pack.toml'}: a pack of kind {kind!r}, not a photo pack")
    try:
        landmarks = np.load(folder / "landmarks.npy", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise AvatarError(f"{folder / 'landmarks.npy'}: unreadable ({exc})") from None
    if landmarks.shape != (478, 2):
        raise AvatarError(f"{folder / 'landmarks.npy'}: expected 478 (x, y) points, "
                          f"got shape {landmarks.shape}")
    image = read_image(folder / "image.png")
    size = (meta.get("width"), meta.get("height"))
    if size != (image.shape[1], image.shape[0]):
        raise AvatarError(f"{folder / 'pack.toml'}: image size {size} does not match image.png "
                          f"({image.shape[1]}, {image.shape[0]})")
    version = meta.get("rig_version")
    if version != RIG_VERSION:
        raise AvatarError(f"{folder / 'pack.toml'}: rig_version {version!r} is not supported "
                          f"(expected {RIG_VERSION}); create the pack again")
    record, consent_sha = _pack_consent(folder, meta, warn)
    return AvatarPack(name=name, path=folder, image=image,
                      landmarks=landmarks.astype(np.float32), source=str(meta.get("source", "")),
                      created=str(meta.get("created", "")), rig_version=version,
                      consent_sha256=consent_sha, consent=record)


def _pack_consent(folder: Path, meta: dict, warn: Callable[[str], None]) -> tuple[Consent | None, str]:
    """The pack's consent record (checked against the portrait's SHA-256 kept in pack.toml)
    and the SHA-256 of its consent file; an older pack's plain text gives no record."""
    if (folder / RECORD).is_file():
        record = read_consent(folder / RECORD, error=AvatarError)
        check_record(record, path=folder / RECORD, sha256=str(meta.get("source_sha256", "")),
                     covers=str(meta.get("source", "")) or "the portrait", media="portrait",
                     error=AvatarError)
        return record, file_sha256(folder / RECORD)
    if not (folder / PLAIN).is_file():
        raise AvatarError(f"{folder / RECORD}: missing; the avatar pack is incomplete")
    consent_sha = ""
    for line in (folder / PLAIN).read_text(encoding="utf-8").splitlines():
        if line.startswith("sha256: "):
            consent_sha = line[len("sha256: "):].strip()
    if not consent_sha:
        raise AvatarError(f"{folder / PLAIN}: no consent hash recorded")
    warn(PLAIN_CONSENT.format(path=folder / PLAIN))
    return None, consent_sha


def list_packs(root: Path | None = None) -> list[AvatarPack]:
    root = Path(root) if root is not None else avatar_dir()
    return [load_pack(name, root, warn=lambda message: None) for name in pack_names(root)
            if pack_kind(root / name) == PHOTO]


def pack_names(root: Path) -> list[str]:
    """The names of the pack folders under `root`, of any kind."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if NAME_RE.fullmatch(p.name) and (p / "pack.toml").is_file())


def _move_into_place(tmp: Path, final: Path) -> None:
    """Rename the finished folder into place; an old pack is swapped out, then removed."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{os.getpid()}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)
    try:
        os.rename(tmp, final)
    except OSError:
        if old is not None:
            os.rename(old, final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_png(path: Path, rgb: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(rgb, mode="RGB").save(path, format="PNG")


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise AvatarError(f"{path}: {exc}") from None
