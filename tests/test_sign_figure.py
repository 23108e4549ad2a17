"""The signer figure: drawn from pose data, depth-ordered, palm and back told apart, readable
by a real hand tracker; and `anchor sign render`."""
from __future__ import annotations

import json
import math

import av
import numpy as np
import pytest

from anchor.cli import main
from anchor.media import PresenterFrame, holistic_slice
from anchor.studio import Studio
from anchor.studio.layout import signer_main_layout
from avatars.signer.figure import PALM, SignerAnimator, SignerFigure
from avatars.signer.fingerspelling import fingerspell
from avatars.signer.lexicon import load_lexicon
from avatars.signer.poses import write_pose

RIGHT = holistic_slice("RIGHT_HAND_LANDMARKS")
FACE = holistic_slice("FACE_LANDMARKS")
NOSE = 1


@pytest.fixture(scope="module")
def ase():
    return load_lexicon("ase")


def held(lexicon, gloss: str) -> np.ndarray:
    track = lexicon.track(gloss)
    return track.landmarks[track.frames // 2].copy()


def flat(frame: PresenterFrame, w: int, h: int) -> np.ndarray:
    """base and patch over mid grey, as RGB float."""
    out = np.full((h, w, 3), 128.0)
    for layer in (frame.base, frame.patch):
        a = layer.image[..., 3:].astype(float) / 255
        region = out[layer.y:layer.y + layer.height, layer.x:layer.x + layer.width]
        region[:] = layer.image[..., :3] * a + region * (1 - a)
    return out


def to_px(figure: SignerFigure, point) -> tuple[int, int]:
    return (int(round((point[0] - figure.origin[0]) * figure.unit)),
            int(round((point[1] - figure.origin[1]) * figure.unit)))


def rotate_about(points: np.ndarray, centre, axis, degrees: float) -> np.ndarray:
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    t = math.radians(degrees)
    v = points - centre
    return centre + v * math.cos(t) + np.cross(k, v) * math.sin(t) + \
        np.outer(v @ k, k) * (1 - math.cos(t))


def test_letters_look_different_in_the_hand_region(ase):
    figure = SignerFigure(height=288)
    a, b = (held(ase, letter) for letter in "AB")
    img_a, img_b = (flat(figure.frame(lm), figure.width, figure.height) for lm in (a, b))
    hand = np.concatenate([a[RIGHT], b[RIGHT]])[:, :2]
    (x0, y0), (x1, y1) = to_px(figure, hand.min(axis=0)), to_px(figure, hand.max(axis=0))
    diff = np.abs(img_a[y0:y1, x0:x1] - img_b[y0:y1, x0:x1]).max(axis=2)
    assert (diff > 40).mean() > 0.1          # a fist and a flat hand: a tenth of the box changes
    assert figure.frame(a).patch.image.shape[2] == 4


def _hand_at_face(lm: np.ndarray, dz: float) -> np.ndarray:
    """The right hand moved so its palm centre is over the nose, at the nose's depth + dz."""
    out = lm.copy()
    hand = out[RIGHT]
    centre = hand[list(PALM)].mean(axis=0)
    nose = out[FACE][NOSE]
    out[RIGHT] = hand + (nose - centre) + (0, 0, dz)
    return out


def test_a_hand_in_front_of_the_face_covers_it(ase):
    figure = SignerFigure(height=720)
    lm = held(ase, "B")
    nose = to_px(figure, lm[FACE][NOSE])
    face = flat(figure.frame(lm), figure.width, figure.height)[nose[1], nose[0]]
    front = flat(figure.frame(_hand_at_face(lm, 40.0)), figure.width, figure.height)[nose[1], nose[0]]
    behind = flat(figure.frame(_hand_at_face(lm, -120.0)), figure.width, figure.height)[nose[1], nose[0]]
    palm = np.array(figure.style.palm, float)
    assert np.abs(front - palm).max() < 6, (front, palm)      # B's palm faces the viewer
    assert np.abs(face - palm).max() > 10
    assert np.abs(behind - face).max() < 3                    # behind the head: hidden


def test_palm_and_back_have_different_tones(ase):
    figure = SignerFigure(height=720)
    lm = held(ase, "B")
    hand = lm[RIGHT]
    turned = lm.copy()
    turned[RIGHT] = rotate_about(hand, hand[0], hand[9] - hand[0], 180.0)
    assert figure.palm_faces_camera(hand, "right") and not figure.palm_faces_camera(turned[RIGHT], "right")
    colours = []
    for pose in (lm, turned):
        centre = to_px(figure, pose[RIGHT][[0, 5, 17]].mean(axis=0))
        colours.append(flat(figure.frame(pose), figure.width, figure.height)[centre[1], centre[0]])
    assert np.abs(colours[0] - np.array(figure.style.palm)).max() < 6
    assert np.abs(colours[1] - np.array(figure.style.back)).max() < 6
    # the left hand mirrors: its palm faces the camera when the mirrored right hand's does
    mirrored = hand * (-1, 1, 1)
    assert figure.palm_faces_camera(mirrored, "left")


def test_the_animator_resamples_to_the_program_fps(ase):
    track = ase.track("A")
    frames = list(SignerAnimator(height=120, fps=50).frames(track))
    assert len(frames) == 2 * track.frames
    first = list(SignerAnimator(height=120, fps=25).frames(track))
    assert len(first) == track.frames
    # an unchanged torso is one base object
    assert len({id(f.base) for f in first}) == 1


def test_sign_render_writes_a_labelled_mp4(tmp_path, ase, capsys):
    pose = tmp_path / "ab.pose"
    track = fingerspell(ase, "AB")
    write_pose(track, pose)
    out = tmp_path / "ab.mp4"
    assert main(["sign", "render", str(pose), "-o", str(out), "--size", "320x240", "--fps", "10"]) == 0
    assert "wrote" in capsys.readouterr().out
    with av.open(str(out)) as c:
        aigc = json.loads(c.metadata["AIGC"])
        images = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(images) == round(track.frames * 10 / track.fps)
    assert images[0].shape == (240, 320, 3)
    assert aigc["Label"] == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ab.mp4", "ab.pose"]


def test_a_corrupt_pose_file_is_one_line_and_exit_2(tmp_path, capsys):
    pose = tmp_path / "bad.pose"
    pose.write_bytes(b"\x00\x01not a pose file")
    out = tmp_path / "bad.mp4"
    assert main(["sign", "render", str(pose), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(pose) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.pose"]


def test_a_real_hand_tracker_finds_the_signing_hand(ase):
    """MediaPipe Hands on the ASL alphabet at full size (1280x720, the signer 720 px high):
    measured 25 of 26 letters (96%); the issue's target is 80%."""
    import mediapipe as mp

    layout = signer_main_layout(1280, 720, "center")
    box = layout.box("signer")
    studio = Studio(width=1280, height=720, background="#14213d", language="en", layout=layout)
    figure = SignerFigure(height=box.h, width=box.w)
    found = 0
    with mp.solutions.hands.Hands(static_image_mode=True, model_complexity=1, max_num_hands=2,
                                  min_detection_confidence=0.5) as hands:
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            lm = held(ase, letter)
            image = studio.compose(None, signer=figure.frame(lm))
            result = hands.process(image)
            wx, wy = to_px(figure, lm[RIGHT][0])
            wrist = (box.x + wx, box.y + wy)
            for hand in result.multi_hand_landmarks or ():
                p = hand.landmark[0]
                if math.dist((p.x * 1280, p.y * 720), wrist) < 0.1 * 720:
                    found += 1
                    break
    print(f"MediaPipe Hands found the signing hand in {found} of 26 letters")
    assert found >= 22, found        # >= 85%
