"""The one consent record for faces and voices (`anchor.consent`)."""
from __future__ import annotations

import datetime as dt

import pytest

from anchor.consent import check_consent, consent_record, read_consent
from anchor.errors import AvatarError, VoiceError

MAY_1 = dt.date(2025, 5, 1)


@pytest.fixture
def recording(tmp_path):
    path = tmp_path / "anna.wav"
    path.write_bytes(b"RIFF fake but fixed bytes")
    return path


def test_a_record_round_trips_and_holds_for_its_file_until_it_expires(tmp_path, recording):
    path = tmp_path / "anna.toml"
    path.write_text(consent_record(covers=recording, who="Anna Example", statement="my voice",
                                   date=MAY_1, valid_until=dt.date(2026, 4, 30)))
    record = check_consent(path, covers=recording, media="recording", error=VoiceError,
                           today=dt.date(2026, 4, 30))
    assert (record.who, record.statement, record.date) == ("Anna Example", "my voice", MAY_1)
    with pytest.raises(VoiceError, match=r"anna\.toml: the consent expired on 2026-04-30"):
        check_consent(path, covers=recording, media="recording", error=VoiceError,
                      today=dt.date(2026, 5, 1))
    recording.write_bytes(b"another take")
    with pytest.raises(AvatarError, match=r"the consent was given for another portrait .*anna\.wav"):
        check_consent(path, covers=recording, media="portrait", error=AvatarError, today=MAY_1)


def test_voices_records_written_before_the_one_record_type_still_read(tmp_path, recording):
    path = tmp_path / "old.toml"
    path.write_text(consent_record(covers=recording, who="Anna", statement="yes", date=MAY_1)
                    .replace("sha256 =", "reference_sha256 ="))
    assert check_consent(path, covers=recording, media="recording", today=MAY_1).who == "Anna"


@pytest.mark.parametrize("text, problem", [
    ('who = "A"\nstatement = "yes"\ndate = 2025-05-01\n', "'sha256' must be non-empty text"),
    ('who = "A"\nstatement = "yes"\ndate = "May"\nsha256 = "00"\n', "'date' must be a TOML date"),
    ('who = "A"\nstatement = "yes"\ndate = 2025-05-01\nsha256 = "00"\n', "64 hexadecimal digits"),
    ('who = "A"\nstatement = "yes"\ndate = 2025-05-01\nvalid_until = 2025-04-01\nsha256 = "'
     + "0" * 64 + '"\n', "'valid_until' 2025-04-01 is before the consent's date 2025-05-01"),
    ('who = "A"\nstatement = "yes"\ndate = 2025-05-01\nwhen = 1\nsha256 = "00"\n',
     "unknown field.s. when"),
])
def test_a_bad_record_names_its_file_and_field(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(AvatarError, match=rf"bad\.toml: .*{problem}"):
        read_consent(path, error=AvatarError)
