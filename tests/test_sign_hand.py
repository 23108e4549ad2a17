"""The hand skeleton: proportions kept, joint limits respected (in the angles and in the
landmarks they produce), the left hand a mirror of the right."""
from __future__ import annotations

import numpy as np
import pytest

from avatars.signer.hand import (FINGER_POINTS, FINGERS, HAND_LENGTH, LIMITS, PHALANX_SHARES,
                                 THUMB, THUMB_SHARES, Finger, Handshape, JointLimitError,
                                 hand_points)
from avatars.signer.handshapes import HandshapeError, parse_handshape
from avatars.signer.lexicon import load_lexicon
from avatars.signer.metric import handshape_distance
from anchor.media import holistic_slice


def every_handshape() -> list[Handshape]:
    shapes = {}
    for language in ("ase", "csl"):
        for entry in load_lexicon(language):
            for plan in (entry.plan.dominant, entry.plan.weak):
                if plan is not None:
                    for shape in (plan.handshape, plan.end_handshape):
                        if shape is not None:
                            shapes[(language, shape.name)] = shape
    return list(shapes.values())


def bend(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Degrees a chain turns at b (0 straight)."""
    u, v = b - a, c - b
    return float(np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1))))


def test_bones_keep_their_published_lengths():
    shape = parse_handshape("fist", {"fingers": "curled", "thumb": "across"})
    points = hand_points(shape)
    for name in FINGERS:
        chain = points[list(FINGER_POINTS[name])]
        lengths = np.linalg.norm(np.diff(chain, axis=0), axis=1)
        np.testing.assert_allclose(lengths, np.array(PHALANX_SHARES[name]) * HAND_LENGTH, rtol=1e-9)
    thumb = np.linalg.norm(np.diff(points[list(THUMB)], axis=0), axis=1)
    np.testing.assert_allclose(thumb, np.array(THUMB_SHARES) * HAND_LENGTH, rtol=1e-9)


def test_no_lexicon_handshape_goes_past_a_joint_limit():
    shapes = every_handshape()
    assert len(shapes) > 40
    for shape in shapes:
        shape.check()                                   # the angles
        points = hand_points(shape)
        for name in FINGERS:                            # and the landmarks they make
            mcp, pip, dip, tip = (points[i] for i in FINGER_POINTS[name])
            for joint, turned in (("pip", bend(mcp, pip, dip)), ("dip", bend(pip, dip, tip))):
                assert turned <= max(abs(x) for x in LIMITS[joint]) + 1e-6, (shape.name, name, joint)
        thumb = points[list(THUMB)]
        assert bend(*thumb[:3]) <= max(abs(x) for x in LIMITS["thumb_mcp"]) + 1e-6, shape.name
        assert bend(*thumb[1:]) <= max(abs(x) for x in LIMITS["thumb_ip"]) + 1e-6, shape.name
        # no fingertip or thumb tip behind the back of the hand
        assert points[[4, 8, 12, 16, 20], 2].min() > -1.0, shape.name


@pytest.mark.parametrize("finger,joint,value", [("index", "pip", 130.0), ("ring", "mcp", -40.0),
                                                ("pinky", "dip", 100.0), ("middle", "side", 40.0)])
def test_an_angle_past_its_limit_is_refused(finger, joint, value):
    shape = Handshape(**{finger: Finger(**{joint: value})}, name="bad")
    with pytest.raises(JointLimitError, match=rf"handshape bad: {finger} {joint} = "):
        hand_points(shape)


def test_a_contact_the_thumb_cannot_reach_is_an_error():
    with pytest.raises(HandshapeError, match="cannot reach pinky.tip"):
        parse_handshape("stretch", {"fingers": "straight", "thumb": {"touch": "pinky.tip"}})


def test_a_described_contact_is_reached():
    shape = parse_handshape("O", {"fingers": "round", "thumb": {"touch": "index.tip"}})
    points = hand_points(shape)
    assert np.linalg.norm(points[4] - points[8]) < 0.6


def test_the_left_hand_is_the_right_hands_mirror():
    track = load_lexicon("ase").track("CITY")           # both hands, mirrored
    right = track.component("RIGHT_HAND_LANDMARKS")[0]
    left = track.component("LEFT_HAND_LANDMARKS")[0]
    assert handshape_distance(right, left, b_left=True) < 1e-6
    assert right[:, 0].mean() < left[:, 0].mean()       # the right hand on the viewer's left
    pose = track.component("POSE_LANDMARKS")[0]
    assert pose[12, 0] < pose[11, 0]                    # RIGHT_SHOULDER left of LEFT_SHOULDER
    np.testing.assert_allclose(track.landmarks[0, holistic_slice("RIGHT_HAND_LANDMARKS")][0],
                               pose[16], atol=1e-3)     # the hand's wrist is the arm's wrist
