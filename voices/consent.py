"""Consent to clone a voice: a small TOML record kept next to the reference recording.

    # anna-consent.toml
    who = "Anna Example"
    statement = "I agree that Anchor may speak in a synthetic copy of my voice for the Evening News."
    date = 2025-05-01
    reference_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

The record names the person whose voice it is, what they agreed to and when, and the SHA-256
of the exact recording they gave: a different or edited recording does not match and is refused.
`consent_record` writes one for a recording. Everything here is checked before a model loads.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from anchor.errors import VoiceError

FIELDS = ("who", "statement", "date", "reference_sha256")


@dataclass(frozen=True, slots=True)
class Consent:
    who: str
    statement: str
    date: dt.date
    reference_sha256: str


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_consent(path: Path) -> Consent:
    """Parse and check a consent record; a VoiceError names the file and the bad field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VoiceError(f"{path}: consent record not found; cloning a voice needs the written "
                         f"consent of the person whose voice it is") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise VoiceError(f"{path}: cannot read the consent record ({exc})") from None
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise VoiceError(f"{path}: unknown field(s) {', '.join(sorted(unknown))} "
                         f"(a consent record has {', '.join(FIELDS)})")
    for key in ("who", "statement", "reference_sha256"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise VoiceError(f"{path}: '{key}' must be non-empty text")
    date = data.get("date")
    if isinstance(date, dt.datetime):
        date = date.date()
    if not isinstance(date, dt.date):
        raise VoiceError(f"{path}: 'date' must be a TOML date such as 2025-05-01, not {date!r}")
    sha = data["reference_sha256"].strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise VoiceError(f"{path}: 'reference_sha256' must be 64 hexadecimal digits")
    return Consent(who=data["who"].strip(), statement=data["statement"].strip(), date=date,
                   reference_sha256=sha)


def check_consent(*, reference: Path, consent: Path | None) -> Consent:
    """The consent for cloning the voice in `reference`; VoiceError if there is none, it is
    malformed, or it was given for a different recording."""
    reference = Path(reference)
    if consent is None:
        raise VoiceError(f"{reference}: voice cloning needs a consent record (consent: FILE) "
                         f"from the person whose voice this is")
    record = read_consent(consent)
    try:
        actual = file_sha256(reference)
    except OSError as exc:
        raise VoiceError(f"{reference}: cannot read the reference recording "
                         f"({exc.strerror or exc})") from None
    if actual != record.reference_sha256:
        raise VoiceError(f"{consent}: the consent was given for another recording "
                         f"(its reference_sha256 does not match {reference.name}, "
                         f"whose SHA-256 is {actual})")
    return record


def consent_record(*, reference: Path, who: str, statement: str, date: dt.date) -> str:
    """The text of a consent record for `reference` (write it to a .toml file)."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return (f"who = {quoted(who)}\nstatement = {quoted(statement)}\ndate = {date.isoformat()}\n"
            f"reference_sha256 = \"{file_sha256(Path(reference))}\"\n")
