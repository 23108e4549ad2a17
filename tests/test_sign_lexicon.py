"""The lexicon: both manual alphabets tell every letter apart by the handshape metric (or, where
the published alphabet forms two letters with one handshape, by orientation or movement);
numbers and signs are there; every entry has its origin, licence and status; an entry's track
is what its .pose file gives back."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from avatars.signer.lexicon import LexiconError, load_lexicon
from avatars.signer.metric import handshape_distance, orientation_angle
from avatars.signer.poses import read_pose, write_pose

# Two letters' handshapes must be at least this far apart: the mean distance of the 21
# normalised points, in wrist -> middle knuckle lengths (0.03 is one fingertip moved by about
# half that length, or the thumb's tip and joint moved by a third of it).
THRESHOLD = 0.03
# Letters the published alphabets form with one handshape, told apart otherwise.
SAME_HANDSHAPE = {"ase": {("H", "U"), ("G", "Q"), ("K", "P"), ("I", "J")},
                  "csl": {("G", "I"), ("L", "R"), ("F", "V")}}
MIN_TURN = 45.0             # degrees between their orientations, or a movement


def letter_hands(language: str) -> dict[str, tuple[np.ndarray, bool]]:
    """letter -> (the right hand's landmarks in its first frame, whether the letter moves)."""
    lexicon = load_lexicon(language)
    out = {}
    for entry in lexicon:
        if entry.kind == "letter":
            track = lexicon.track(entry.gloss)
            plan = entry.plan.dominant
            out[entry.gloss] = (track.component("RIGHT_HAND_LANDMARKS")[0],
                                bool(plan.path or plan.twist or plan.shake or plan.circle))
    return out


@pytest.mark.parametrize("language,count", [("ase", 26), ("csl", 30)])
def test_every_letter_is_told_apart(language, count):
    hands = letter_hands(language)
    assert len(hands) == count
    distances = sorted((handshape_distance(hands[a][0], hands[b][0]), a, b)
                       for a, b in itertools.combinations(sorted(hands), 2))
    shared = SAME_HANDSHAPE[language]
    distinct = [(d, a, b) for d, a, b in distances if (a, b) not in shared]
    smallest = distinct[0]
    print(f"\n{language}: smallest handshape distance between letters {smallest[0]:.3f} "
          f"({smallest[1]}/{smallest[2]}), threshold {THRESHOLD}")
    assert smallest[0] >= THRESHOLD, distinct[:5]
    for a, b in shared:           # one handshape by the published description: turned, or moving
        turn = orientation_angle(hands[a][0], hands[b][0])
        moves = hands[a][1] != hands[b][1]
        print(f"{language}: {a}/{b} share a handshape; turned {turn:.0f} degrees"
              f"{', and one moves' if moves else ''}")
        assert turn >= MIN_TURN or moves, (a, b, turn)


def test_j_and_z_move():
    hands = letter_hands("ase")
    assert hands["J"][1] and hands["Z"][1]
    track = load_lexicon("ase").track("Z")
    tip = track.component("RIGHT_HAND_LANDMARKS")[:, 8]
    assert np.ptp(tip[:, 0]) > 15 and np.ptp(tip[:, 1]) > 15      # pixels: a Z's width and height


@pytest.mark.parametrize("language", ["ase", "csl"])
def test_numbers_zero_to_ten_and_signs(language):
    lexicon = load_lexicon(language)
    numbers = {w for e in lexicon if e.kind == "number" for w in e.words}
    assert {str(n) for n in range(11)} <= numbers
    signs = [e for e in lexicon if e.kind == "sign"]
    assert len(signs) >= 35
    for entry in lexicon:
        assert entry.origin.startswith("authored by the Anchor project from the published description")
        assert entry.licence == "Apache-2.0"
        assert entry.status == "authored" and entry.approximate
        assert entry.words


@pytest.mark.parametrize("language,gloss", [("ase", "THANK-YOU"), ("ase", "J"), ("csl", "谢谢"),
                                            ("csl", "ZH")])
def test_an_entrys_track_is_what_its_pose_file_gives_back(tmp_path, language, gloss):
    track = load_lexicon(language).track(gloss)
    path = tmp_path / "entry.pose"
    write_pose(track, path)
    back = read_pose(path)
    assert back.fps == track.fps and back.frames == track.frames
    np.testing.assert_array_equal(back.landmarks, track.landmarks)
    np.testing.assert_array_equal(back.confidence, track.confidence)


def test_a_bad_entry_names_its_file_and_sign(tmp_path):
    (tmp_path / "ase").mkdir()
    (tmp_path / "handshapes.toml").write_text('[handshape.B]\nfingers = "straight"\n')
    (tmp_path / "ase" / "signs.toml").write_text(
        '[meta]\norigin = "ours"\nlicence = "Apache-2.0"\n'
        '[sign.WAVE]\nhandshape = "B"\nlocation = "knee"\n')
    with pytest.raises(LexiconError, match=r"signs\.toml: sign WAVE: unknown location 'knee'"):
        load_lexicon("ase", tmp_path)


def test_an_entry_without_origin_is_refused(tmp_path):
    (tmp_path / "ase").mkdir()
    (tmp_path / "handshapes.toml").write_text('[handshape.B]\nfingers = "straight"\n')
    (tmp_path / "ase" / "signs.toml").write_text('[sign.WAVE]\nhandshape = "B"\n')
    with pytest.raises(LexiconError, match=r"sign WAVE: every entry needs an origin and a licence"):
        load_lexicon("ase", tmp_path)
