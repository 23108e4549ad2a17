"""`anchor sign lexicon` and `anchor sign pose --fingerspell`, run in-process."""
from __future__ import annotations

import numpy as np

from anchor.cli import main
from avatars.signer.lexicon import load_lexicon
from avatars.signer.poses import read_pose
from avatars.signer.signing import sign_track


def test_lexicon_lists_origin_licence_and_status(capsys):
    assert main(["sign", "lexicon", "--lang", "csl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(load_lexicon("csl"))
    zh = next(line for line in lines if line.startswith("ZH "))
    assert "letter" in zh and "authored (approximate)" in zh and "Apache-2.0" in zh
    assert "汉语手指字母方案" in zh


def test_pose_fingerspells_letter_by_letter(tmp_path, capsys):
    out = tmp_path / "anchor.pose"
    assert main(["sign", "pose", "ANCHOR", "--lang", "ase", "--fingerspell", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    track = read_pose(out)
    lexicon = load_lexicon("ase")
    first = sign_track(lexicon.letter("A").plan, 25.0)
    np.testing.assert_allclose(track.landmarks[0], first.landmarks[0], atol=1e-4)
    assert track.frames > 6 * 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anchor.pose"]


def test_an_unknown_language_is_one_line_naming_the_field(tmp_path, capsys):
    out = tmp_path / "x.pose"
    assert main(["sign", "pose", "HI", "--lang", "bsl", "--fingerspell", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "anchor: error: --lang: unknown sign language 'bsl' (one of ase, csl)"
    assert not out.exists()


def test_a_character_without_a_letter_is_named(tmp_path, capsys):
    out = tmp_path / "x.pose"
    assert main(["sign", "pose", "HÉ", "--lang", "ase", "--fingerspell", "-o", str(out)]) == 2
    assert "no letter for 'É'" in capsys.readouterr().err
    assert not out.exists()
