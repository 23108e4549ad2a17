"""Consent to clone a voice: the one consent record (`anchor.consent`), kept next to the
reference recording, whose SHA-256 it names.

    # anna-consent.toml
    who = "Anna Example"
    statement = "I agree that Anchor may speak in a synthetic copy of my voice for the Evening News."
    date = 2025-05-01
    sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

A different or edited recording does not match and is refused. Everything here is checked
before a model loads.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from anchor.consent import Consent, consent_record as _record, check_consent as _check
from anchor.errors import VoiceError

NEEDED = "cloning a voice needs the written consent of the person whose voice it is"


def check_consent(*, reference: Path, consent: Path | None,
                  today: dt.date | None = None) -> Consent:
    """The consent for cloning the voice in `reference`; VoiceError if there is none, it is
    malformed or expired, or it was given for a different recording."""
    reference = Path(reference)
    if consent is None:
        raise VoiceError(f"{reference}: voice cloning needs a consent record (consent: FILE) "
                         f"from the person whose voice this is")
    return _check(consent, covers=reference, media="recording", error=VoiceError, needed=NEEDED,
                  today=today)


def consent_record(*, reference: Path, who: str, statement: str, date: dt.date,
                   valid_until: dt.date | None = None) -> str:
    """The text of a consent record for `reference` (write it to a .toml file)."""
    return _record(covers=reference, who=who, statement=statement, date=date,
                   valid_until=valid_until)
