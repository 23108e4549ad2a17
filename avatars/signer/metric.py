"""The handshape metric of issue 10: two hands compared on their 21 landmarks after taking away
where the hand is, how big it is and how it is turned.

Normalisation: the wrist moves to the origin; the scale is the wrist -> middle knuckle length;
the rotation is the hand's own frame (y along wrist -> middle knuckle, x from the pinky knuckle
to the index knuckle made perpendicular to y, z = x cross y). A left hand is mirrored (x -> -x)
first, so either hand compares with a right-handed alphabet. The distance is the mean, over the
21 points, of the Euclidean distance between the two normalised hands (in wrist -> middle
knuckle lengths).
"""
from __future__ import annotations

import numpy as np

WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17


def hand_frame(points: np.ndarray) -> np.ndarray:
    """(3, 3) rows x, y, z of a right hand's own frame from its (21, 3) landmarks."""
    p = np.asarray(points, dtype=np.float64)
    y = p[MIDDLE_MCP] - p[WRIST]
    y /= np.linalg.norm(y)
    x = p[INDEX_MCP] - p[PINKY_MCP]
    x -= y * (x @ y)
    x /= np.linalg.norm(x)
    return np.stack([x, y, np.cross(x, y)])


def normalise_hand(points: np.ndarray, *, left: bool = False) -> np.ndarray:
    """(21, 3) landmarks: wrist-centred, scale- and rotation-normalised."""
    p = np.asarray(points, dtype=np.float64)
    if left:
        p = p * np.array([-1.0, 1.0, 1.0])
    centred = p - p[WRIST]
    scale = np.linalg.norm(centred[MIDDLE_MCP])
    local = centred @ hand_frame(p).T / scale
    return local


def handshape_distance(a: np.ndarray, b: np.ndarray, *, a_left: bool = False,
                       b_left: bool = False) -> float:
    """Mean point distance between two normalised hands (wrist -> middle knuckle lengths)."""
    return float(np.linalg.norm(normalise_hand(a, left=a_left) - normalise_hand(b, left=b_left),
                                axis=1).mean())


def orientation_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Degrees of rotation between two hands' own frames (how differently they are turned)."""
    r = hand_frame(a) @ hand_frame(b).T
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1.0, 1.0))))
