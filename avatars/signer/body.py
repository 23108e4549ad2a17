"""The signer's upper body: where the shoulders, face and signing locations are, an arm placed
by simple two-bone inverse kinematics from where its hand must be, and the 33 MediaPipe body
landmarks and 468 face landmarks of one frame.

Body frame, centimetres: origin midway between the shoulder joints; x to the viewer's right
(the signer's left), y down, z toward the camera. `side` is -1 for the signer's right (the
dominant hand, on the viewer's left) and +1 for the left. The face is a neutral template
(data/face.json, measured by MediaPipe FaceMesh, see tests/make_sign_data.py); the head turns
and nods as a rotation about the neck.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from anchor.media import SIGN_SHOULDER_CENTRE, SIGN_SHOULDER_WIDTH

SHOULDER_HALF = 18.0            # cm: shoulder joints 36 cm apart (SIGN_SHOULDER_WIDTH pixels)
PIXELS_PER_CM = SIGN_SHOULDER_WIDTH / (2 * SHOULDER_HALF)
UPPER_ARM = 29.0                # shoulder to elbow, cm
FOREARM = 25.5                  # elbow to wrist, cm
FACE_ORIGIN = np.array([0.0, -20.5, 1.0])   # where the face template's origin sits
NECK = np.array([0.0, -8.0, -1.0])          # the head turns and nods about this point
HIP_HALF, HIP_DROP = 14.0, 50.0
FACE_FILE = Path(__file__).with_name("data") / "face.json"

# Signing locations for the dominant (right) hand; a location is mirrored for the other hand.
# "face:N" places it at face landmark N, with a small offset toward the camera.
LOCATIONS = {
    "neutral": (-9.0, 22.0, 30.0), "centre": (0.0, 20.0, 28.0), "high": (-10.0, -12.0, 30.0),
    "fingerspell": (-16.0, -2.0, 27.0), "chest": (-3.0, 13.0, 14.0),
    "chest-centre": (0.0, 13.0, 14.0), "stomach": (0.0, 34.0, 16.0),
    "shoulder": (-16.0, -1.0, 9.0), "other-shoulder": (16.0, -1.0, 9.0),
    "side": (-30.0, 18.0, 12.0), "low": (-9.0, 38.0, 26.0),
    "chin": "face:152", "mouth": "face:13", "nose": "face:1", "forehead": "face:151",
    "eye": "face:159", "cheek": "face:50", "temple": "face:54", "ear": "face:234",
    "head-top": "face:10",
}
FACE_OFFSET = 2.5               # cm in front of the face for a location on it
# Directions, signer-relative; "in" is toward the body's midline (for the right hand, the
# viewer's right), "out" away from it; "left" and "right" are the signer's own.
DIRECTIONS = {"up": (0, -1, 0), "down": (0, 1, 0), "forward": (0, 0, 1), "back": (0, 0, -1),
              "in": (1, 0, 0), "out": (-1, 0, 0), "left": (1, 0, 0), "right": (-1, 0, 0)}
SIDED = {"in", "out"}


class BodyError(ValueError):
    """A location or direction that is not known."""


@cache
def face_template() -> np.ndarray:
    """(468, 3) the neutral face in the body frame, cm."""
    points = np.array(json.loads(FACE_FILE.read_text(encoding="utf-8"))["points"])
    return points + FACE_ORIGIN


def head_rotation(turn: float = 0.0, nod: float = 0.0, tilt: float = 0.0) -> np.ndarray:
    """(3, 3) rotation of the head: turn to the signer's left (+, degrees), nod down (+),
    tilt toward the signer's left shoulder (+)."""
    t, n, r = (math.radians(a) for a in (turn, nod, tilt))
    yaw = np.array([[math.cos(t), 0, math.sin(t)], [0, 1, 0], [-math.sin(t), 0, math.cos(t)]])
    pitch = np.array([[1, 0, 0], [0, math.cos(n), -math.sin(n)], [0, math.sin(n), math.cos(n)]])
    roll = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return yaw @ pitch @ roll


def face_points(rotation: np.ndarray | None = None) -> np.ndarray:
    face = face_template()
    if rotation is None:
        return face
    return (face - NECK) @ rotation.T + NECK


def direction(words: str, side: int) -> np.ndarray:
    """A unit vector from words such as "up", "forward-in", "down-out" (joined by '-')."""
    total = np.zeros(3)
    for word in str(words).split("-"):
        if word not in DIRECTIONS:
            raise BodyError(f"unknown direction {word!r} (one of {', '.join(DIRECTIONS)})")
        v = np.array(DIRECTIONS[word], dtype=float)
        if word in SIDED:
            v[0] *= -side          # "in" for the right hand (side -1) is +x
        total += v
    norm = np.linalg.norm(total)
    if norm == 0:
        raise BodyError(f"direction {words!r} cancels out")
    return total / norm


def location(name: str, side: int, face: np.ndarray | None = None) -> np.ndarray:
    """Where a named location is for the hand on `side`, in the body frame."""
    spec = LOCATIONS.get(name)
    if spec is None:
        raise BodyError(f"unknown location {name!r} (one of {', '.join(LOCATIONS)})")
    if isinstance(spec, str):
        face = face_template() if face is None else face
        index = int(spec.split(":")[1])
        point = face[index].copy()
        if side > 0 and index not in (1, 10, 13, 151, 152):     # mirror to the left side
            point = face[_mirror_index(index)].copy()
        return point + np.array([0.0, 0.0, FACE_OFFSET])
    x, y, z = spec
    return np.array([x * -side, y, z], dtype=float)


@cache
def _mirror_index(index: int) -> int:
    face = face_template()
    target = face[index] * np.array([-1.0, 1.0, 1.0])
    return int(np.argmin(np.linalg.norm(face - target, axis=1)))


def shoulder(side: int) -> np.ndarray:
    return np.array([side * SHOULDER_HALF, 0.0, 0.0])


def elbow_for(side: int, wrist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(elbow, wrist): the elbow of a two-bone arm whose wrist must be at `wrist`, the elbow
    hanging down and out; a wrist out of reach is pulled in to the arm's length."""
    s = shoulder(side)
    to_wrist = wrist - s
    d = float(np.linalg.norm(to_wrist))
    reach = UPPER_ARM + FOREARM - 0.5
    shortest = abs(UPPER_ARM - FOREARM) + 2.0
    axis = to_wrist / d if d > 1e-9 else np.array([0.0, 1.0, 0.0])
    d = min(max(d, shortest), reach)
    wrist = s + axis * d
    a = (UPPER_ARM ** 2 - FOREARM ** 2 + d ** 2) / (2 * d)
    h = math.sqrt(max(UPPER_ARM ** 2 - a ** 2, 0.0))
    pole = np.array([side * 0.6, 1.0, -0.35])
    pole -= axis * float(pole @ axis)
    if np.linalg.norm(pole) < 1e-6:
        pole = np.array([side * 1.0, 0.0, 0.0]) - axis * float(axis[0] * side)
    pole /= np.linalg.norm(pole)
    return s + axis * a + pole * h, wrist


@dataclass(frozen=True, slots=True, eq=False)
class Arm:
    """One arm in one frame, body frame cm: its joints and its hand's 21 landmarks."""
    side: int
    shoulder: np.ndarray
    elbow: np.ndarray
    wrist: np.ndarray
    hand: np.ndarray


BODY = {  # MediaPipe Pose landmark numbers (the signer's own left and right)
    "NOSE": 0, "LEFT_EYE_INNER": 1, "LEFT_EYE": 2, "LEFT_EYE_OUTER": 3, "RIGHT_EYE_INNER": 4,
    "RIGHT_EYE": 5, "RIGHT_EYE_OUTER": 6, "LEFT_EAR": 7, "RIGHT_EAR": 8, "MOUTH_LEFT": 9,
    "MOUTH_RIGHT": 10, "LEFT_SHOULDER": 11, "RIGHT_SHOULDER": 12, "LEFT_ELBOW": 13,
    "RIGHT_ELBOW": 14, "LEFT_WRIST": 15, "RIGHT_WRIST": 16, "LEFT_PINKY": 17, "RIGHT_PINKY": 18,
    "LEFT_INDEX": 19, "RIGHT_INDEX": 20, "LEFT_THUMB": 21, "RIGHT_THUMB": 22, "LEFT_HIP": 23,
    "RIGHT_HIP": 24}
# face mesh points standing for the body model's face points (the signer's left is +x)
FACE_FOR_BODY = {"NOSE": (1,), "LEFT_EYE_INNER": (362,), "LEFT_EYE": (386, 374),
                 "LEFT_EYE_OUTER": (263,), "RIGHT_EYE_INNER": (133,), "RIGHT_EYE": (159, 145),
                 "RIGHT_EYE_OUTER": (33,), "LEFT_EAR": (454,), "RIGHT_EAR": (234,),
                 "MOUTH_LEFT": (291,), "MOUTH_RIGHT": (61,)}
EAR_DEPTH = 3.0                 # cm: the ear sits behind the cheek's edge
LEGS = range(25, 33)            # knees, ankles, heels, feet: out of the picture


def body_points(face: np.ndarray, right: Arm, left: Arm) -> tuple[np.ndarray, np.ndarray]:
    """(33, 3) MediaPipe Pose landmarks in the body frame, and their (33,) confidence."""
    points = np.zeros((33, 3))
    confidence = np.ones(33)
    for name, indices in FACE_FOR_BODY.items():
        points[BODY[name]] = face[list(indices)].mean(axis=0)
    points[[BODY["LEFT_EAR"], BODY["RIGHT_EAR"]], 2] -= EAR_DEPTH
    for arm, tag in ((left, "LEFT"), (right, "RIGHT")):
        points[BODY[f"{tag}_SHOULDER"]] = arm.shoulder
        points[BODY[f"{tag}_ELBOW"]] = arm.elbow
        points[BODY[f"{tag}_WRIST"]] = arm.wrist
        points[BODY[f"{tag}_PINKY"]] = arm.hand[17]
        points[BODY[f"{tag}_INDEX"]] = arm.hand[5]
        points[BODY[f"{tag}_THUMB"]] = arm.hand[3]
    points[BODY["LEFT_HIP"]] = (HIP_HALF, HIP_DROP, 0.0)
    points[BODY["RIGHT_HIP"]] = (-HIP_HALF, HIP_DROP, 0.0)
    for i, leg in enumerate(LEGS):               # below the frame: placed, but not seen
        side = 1 if i % 2 == 0 else -1
        points[leg] = (side * HIP_HALF, HIP_DROP + 45.0 * (1 + i // 2), 0.0)
        confidence[leg] = 0.0
    return points, confidence


def to_pixels(points: np.ndarray) -> np.ndarray:
    """Body-frame centimetres -> pose-track pixels of the SIGN_FRAME reference frame."""
    px = np.asarray(points, dtype=np.float64) * PIXELS_PER_CM
    px[..., 0] += SIGN_SHOULDER_CENTRE[0]
    px[..., 1] += SIGN_SHOULDER_CENTRE[1]
    return px
