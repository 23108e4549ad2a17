"""Consent of the person shown or heard: one small TOML record for a face or a voice.

    # anna-consent.toml
    who = "Anna Example"
    statement = "I agree that Anchor may speak in a synthetic copy of my voice for the Evening News."
    date = 2025-05-01              # when the consent was given
    valid_until = 2026-05-01       # optional: the last day it holds
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

The record names the person, what they agreed to and when, and the SHA-256 of the exact file
they gave (the reference recording of a cloned voice, the portrait of a photo avatar): a
different or edited file does not match and is refused. `consent_record` writes one for a file.
Records written before faces had them name the hash `reference_sha256`; that name still reads.

On the ground floor because `voices` and `avatars` both check consent and may import nothing
of each other; each passes its own error type, so a voice's problem stays a VoiceError.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from anchor.errors import AnchorError

FIELDS = ("who", "statement", "date", "valid_until", "sha256")
OLD_NAMES = {"reference_sha256": "sha256"}      # voices' records before the one record type


@dataclass(frozen=True, slots=True)
class Consent:
    who: str
    statement: str                   # what they agreed to: the use it covers
    date: dt.date                    # when it was given
    sha256: str                      # of the photo or recording it covers, lowercase hex
    valid_until: dt.date | None = None


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as lowercase hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_consent(path: Path, *, error: type[AnchorError] = AnchorError,
                 needed: str = "") -> Consent:
    """Parse and check a consent record; `error` names the file and the bad field. `needed`
    says, when the file is missing, what needs it."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: consent record not found" + (f"; {needed}" if needed else "")) \
            from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: cannot read the consent record ({exc})") from None
    data = {OLD_NAMES.get(key, key): value for key, value in data.items()}
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise error(f"{path}: unknown field(s) {', '.join(sorted(unknown))} "
                    f"(a consent record has {', '.join(FIELDS)})")
    for key in ("who", "statement", "sha256"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise error(f"{path}: '{key}' must be non-empty text")
    date = _date(data.get("date"), "date", path, error)
    until = data.get("valid_until")
    until = None if until is None else _date(until, "valid_until", path, error)
    if until is not None and until < date:
        raise error(f"{path}: 'valid_until' {until} is before the consent's date {date}")
    sha = data["sha256"].strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise error(f"{path}: 'sha256' must be 64 hexadecimal digits")
    return Consent(who=data["who"].strip(), statement=data["statement"].strip(), date=date,
                   sha256=sha, valid_until=until)


def check_consent(path: Path, *, covers: Path, media: str, error: type[AnchorError] = AnchorError,
                  needed: str = "", today: dt.date | None = None) -> Consent:
    """The consent record at `path` for the file `covers` (a `media` such as "recording" or
    "portrait"); `error` if it is malformed, has expired by `today`, or was given for another
    file."""
    record = read_consent(path, error=error, needed=needed)
    covers = Path(covers)
    try:
        actual = file_sha256(covers)
    except OSError as exc:
        raise error(f"{covers}: cannot read the {media} ({exc.strerror or exc})") from None
    return check_record(record, path=path, sha256=actual, covers=covers.name, media=media,
                        error=error, today=today)


def check_record(record: Consent, *, path: Path, sha256: str, covers: str, media: str,
                 error: type[AnchorError] = AnchorError, today: dt.date | None = None) -> Consent:
    """`record` (read from `path`) if it holds on `today` for the file named `covers` whose
    SHA-256 is `sha256`; else `error`. The one check behind every consent."""
    today = today or dt.date.today()
    if record.valid_until is not None and today > record.valid_until:
        raise error(f"{path}: the consent expired on {record.valid_until}")
    if sha256 != record.sha256:
        raise error(f"{path}: the consent was given for another {media} (its sha256 does not "
                    f"match {covers}, whose SHA-256 is {sha256 or 'not recorded'})")
    return record


def consent_record(*, covers: Path, who: str, statement: str, date: dt.date,
                   valid_until: dt.date | None = None) -> str:
    """The text of a consent record for the file `covers` (write it to a .toml file)."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    until = f"valid_until = {valid_until.isoformat()}\n" if valid_until is not None else ""
    return (f"who = {quoted(who)}\nstatement = {quoted(statement)}\ndate = {date.isoformat()}\n"
            f"{until}sha256 = \"{file_sha256(Path(covers))}\"\n")


def _date(value, key: str, path: Path, error: type[AnchorError]) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise error(f"{path}: '{key}' must be a TOML date such as 2025-05-01, not {value!r}")
    return value
