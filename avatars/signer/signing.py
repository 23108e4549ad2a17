"""A sign's description becomes a pose track: each frame, each hand's handshape (FK), its
orientation and its place along the movement path; the arms follow by IK; the face is the
neutral template. Coordinates are never typed: they come from the skeleton.

A hand's plan (`HandPlan`) says: handshape (and the one it ends in), where the hand points
("fingers": the direction of wrist -> knuckles) and where the palm faces, in the words of
body.DIRECTIONS ("up", "forward-in", ...), the location (body.LOCATIONS, or "weak-palm" /
"weak-back" on the other hand) and which point of the hand goes there ("touch": palm, or a
fingertip), and the movement: `to` another location, a `path` of straight strokes
("down-in 8" = 8 cm down and in), a `circle` {size, plane, turns}, `repeat` (out and back),
`twist` (degrees about the hand's axis over the sign) and `shake` (a twist back and forth).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np

from anchor.media import HOLISTIC_POINTS, PoseTrack, holistic_slice
from avatars.signer.body import (Arm, body_points, direction, elbow_for, face_points,
                                 location, to_pixels)
from avatars.signer.hand import FINGER_POINTS, FINGERS, Finger, Handshape, Thumb, hand_points, place

RIGHT, LEFT = -1, 1
HOLD = 0.18                     # share of a sign held still at each end
PLANES = {"front": ((1, 0, 0), (0, -1, 0)), "flat": ((1, 0, 0), (0, 0, 1)),
          "side": ((0, 0, 1), (0, -1, 0))}
TOUCH_POINTS = {"palm": None, "wrist": (0,), "thumb": (4,), "index": (8,), "middle": (12,),
                "ring": (16,), "pinky": (20,), "knuckles": (5, 9, 13, 17),
                "index+middle": (8, 12), "thumb+index": (4, 8)}
REST_SHAPE = Handshape(index=Finger(15, 20, 10), middle=Finger(18, 25, 10),
                       ring=Finger(20, 28, 12), pinky=Finger(22, 30, 12),
                       thumb=Thumb(30.0, 15.0, 30.0, 10.0, 10.0), name="rest")


@dataclass(frozen=True, slots=True)
class Circle:
    size: float = 8.0            # diameter, cm
    plane: str = "front"         # front (facing the viewer) | flat (horizontal) | side
    turns: float = 1.0


@dataclass(frozen=True, slots=True)
class HandPlan:
    handshape: Handshape
    fingers: str = "up"
    palm: str = "forward"
    location: str = "neutral"
    touch: str = "palm"
    end_handshape: Handshape | None = None
    end_fingers: str | None = None
    end_palm: str | None = None
    to: str | None = None
    path: tuple[tuple[str, float], ...] = ()
    circle: Circle | None = None
    repeat: int = 1
    twist: float = 0.0
    shake: float = 0.0


REST = HandPlan(handshape=REST_SHAPE, fingers="down", palm="in", location="rest")


@dataclass(frozen=True, slots=True)
class SignPlan:
    """One sign: the dominant (right) hand's plan and the other hand's (None: it rests)."""
    gloss: str
    dominant: HandPlan
    weak: HandPlan | None = None
    duration: float = 0.8        # seconds


def _lerp_shape(a: Handshape, b: Handshape | None, t: float) -> Handshape:
    if b is None or t <= 0:
        return a
    def mix(x, y):
        return type(x)(**{f.name: getattr(x, f.name) * (1 - t) + getattr(y, f.name) * t
                          for f in fields(x)})
    return replace(a, **{f: mix(a.finger(f), b.finger(f)) for f in FINGERS},
                   thumb=mix(a.thumb, b.thumb), spread=a.spread * (1 - t) + b.spread * t)


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def _progress(t: float) -> float:
    """Time (0..1 over the sign) -> progress of the movement (0..1): held at both ends."""
    if t <= HOLD:
        return 0.0
    if t >= 1 - HOLD:
        return 1.0
    return (t - HOLD) / (1 - 2 * HOLD)


def _rest_point(side: int) -> np.ndarray:
    return np.array([side * 21.0, 50.0, 7.0])


def _place(plan: HandPlan, side: int) -> np.ndarray:
    if plan.location == "rest":
        return _rest_point(side)
    return location(plan.location, side)


def _offset(plan: HandPlan, side: int, s: float) -> np.ndarray:
    """The movement's displacement at progress s (0..1), cm."""
    out = np.zeros(3)
    if plan.to is not None:
        out += (location(plan.to, side) - _place(plan, side)) * _ease(s)
    if plan.path:
        reps = max(plan.repeat, 1)
        phase = s * reps
        frac = phase - min(int(phase), reps - 1)
        strokes = [direction(d, side) * cm for d, cm in plan.path]
        if reps > 1:             # out and back, `repeat` times
            frac = 1 - abs(1 - 2 * frac)
        pos = frac * len(strokes)
        for i, stroke in enumerate(strokes):
            out += stroke * _ease(min(max(pos - i, 0.0), 1.0))
    if plan.circle is not None:
        a_dir, b_dir = (np.array(v, dtype=float) for v in PLANES[plan.circle.plane])
        a_dir[0] *= -side if plan.circle.plane != "side" else 1     # mirrored for the left hand
        angle = 2 * math.pi * plan.circle.turns * _ease(s)
        r = plan.circle.size / 2
        out += r * (a_dir * (1 - math.cos(angle)) + b_dir * math.sin(angle))
    return out


def _frame_hand(plan: HandPlan, side: int, s: float, weak: np.ndarray | None) -> np.ndarray:
    """(21, 3) body-frame landmarks of one hand at movement progress s."""
    shape = _lerp_shape(plan.handshape, plan.end_handshape, _ease(s))
    fingers = direction(plan.fingers, side)
    palm = direction(plan.palm, side)
    if plan.end_fingers or plan.end_palm:
        e = _ease(s)
        fingers = (1 - e) * fingers + e * direction(plan.end_fingers or plan.fingers, side)
        palm = (1 - e) * palm + e * direction(plan.end_palm or plan.palm, side)
    u = fingers / np.linalg.norm(fingers)
    n = palm - u * float(palm @ u)
    if np.linalg.norm(n) < 1e-6:
        raise ValueError(f"palm {plan.palm!r} is along the fingers {plan.fingers!r}")
    n /= np.linalg.norm(n)
    twist = plan.twist * _ease(s) + plan.shake * math.sin(2 * math.pi * 2 * s)
    if twist:
        t = math.radians(twist) * -side
        n = n * math.cos(t) + np.cross(u, n) * math.sin(t)
    v = np.cross(n, u) if side == RIGHT else np.cross(u, n)
    local = hand_points(shape)
    if plan.location in ("weak-palm", "weak-back") and weak is not None:
        facing = 1.0 if plan.location == "weak-palm" else -1.0
        target = _palm_centre(weak) + _palm_normal(weak, -side) * facing * 2.5
    else:
        target = _place(plan, side)
    target = target + _offset(plan, side, s)
    placed = place(local, np.zeros(3), u, v, n)
    indices = TOUCH_POINTS[plan.touch]
    ref = _palm_centre(placed) if indices is None else placed[list(indices)].mean(axis=0)
    return placed + (target - ref)


def _palm_centre(points: np.ndarray) -> np.ndarray:
    return points[[0, 5, 9, 13, 17]].mean(axis=0)


def _palm_normal(points: np.ndarray, side: int) -> np.ndarray:
    """Out of the palm of a hand on `side`, from its landmarks."""
    a, b = points[FINGER_POINTS["middle"][0]] - points[0], points[5] - points[17]
    n = np.cross(a, b) if side == RIGHT else np.cross(b, a)
    return n / np.linalg.norm(n)


def _arm(side: int, hand: np.ndarray) -> Arm:
    elbow, wrist = elbow_for(side, hand[0])
    hand = hand + (wrist - hand[0])            # pulled in with the wrist when out of reach
    return Arm(side=side, shoulder=np.array([side * 18.0, 0.0, 0.0]), elbow=elbow, wrist=wrist,
               hand=hand)


def sign_frames(plan: SignPlan, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 543, 3) body-frame cm and (frames, 543) confidence of one sign."""
    count = max(2, round(plan.duration * fps))
    face = face_points()
    out = np.zeros((count, HOLISTIC_POINTS, 3))
    conf = np.ones((count, HOLISTIC_POINTS))
    for i in range(count):
        s = _progress(i / (count - 1))
        weak_plan = plan.weak or REST
        weak = _frame_hand(weak_plan, LEFT, s if plan.weak else 0.0, None)
        strong = _frame_hand(plan.dominant, RIGHT, s, weak)
        right, left = _arm(RIGHT, strong), _arm(LEFT, weak)
        body, body_conf = body_points(face, right, left)
        out[i, holistic_slice("POSE_LANDMARKS")] = body
        conf[i, holistic_slice("POSE_LANDMARKS")] = body_conf
        out[i, holistic_slice("FACE_LANDMARKS")] = face
        out[i, holistic_slice("RIGHT_HAND_LANDMARKS")] = right.hand
        out[i, holistic_slice("LEFT_HAND_LANDMARKS")] = left.hand
    return out, conf


def sign_track(plan: SignPlan, fps: float = 25.0) -> PoseTrack:
    cm, conf = sign_frames(plan, fps)
    return PoseTrack(fps=float(fps), landmarks=to_pixels(cm).astype(np.float32),
                     confidence=conf.astype(np.float32))


def join(tracks: list[PoseTrack], *, gap: int = 4) -> PoseTrack:
    """Tracks one after another, `gap` frames of linear interpolation between each pair."""
    if not tracks:
        raise ValueError("nothing to join")
    fps = tracks[0].fps
    parts_lm, parts_conf = [tracks[0].landmarks], [tracks[0].confidence]
    for track in tracks[1:]:
        a, b = parts_lm[-1][-1], track.landmarks[0]
        for k in range(1, gap + 1):
            t = _ease(k / (gap + 1))
            parts_lm.append(((1 - t) * a + t * b)[None].astype(np.float32))
            parts_conf.append(np.minimum(parts_conf[-1][-1:], track.confidence[:1]))
        parts_lm.append(track.landmarks)
        parts_conf.append(track.confidence)
    return PoseTrack(fps=fps, landmarks=np.concatenate(parts_lm),
                     confidence=np.concatenate(parts_conf))
