"""The hand skeleton and its forward kinematics: a handshape (a few joint angles per finger)
becomes the 21 MediaPipe hand landmarks.

The hand's own frame, for a right hand, in centimetres from the wrist (MediaPipe's WRIST point):
u along the hand (wrist -> middle knuckle), v across it toward the thumb (radial), n out of the
palm (palmar); n = u x v. A left hand is the mirror image: the same local points with
n = v x u (`place` takes care of it), so every handshape is authored once, for the right hand.

Proportions: segment lengths as shares of hand length (wrist crease to middle fingertip) from
Buchholz, Armstrong & Goldstein, "Anthropometric data for describing the kinematics of the human
hand", Ergonomics 35(3), 1992, table 2 (phalanges; the thumb's metacarpal from its CMC joint),
for a hand 18.5 cm long; knuckle positions across the palm from the same hand's breadth (about
8.5 cm at the metacarpal heads). Joint limits: the active ranges of motion in the American
Academy of Orthopaedic Surgeons' "Joint motion: method of measuring and recording" (1965), with a
little hyperextension.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HAND_LENGTH = 18.5                      # cm, wrist crease to the middle fingertip
FINGERS = ("index", "middle", "ring", "pinky")
# Phalanx lengths (proximal, middle, distal) as shares of hand length (Buchholz et al. 1992).
PHALANX_SHARES = {"index": (0.265, 0.143, 0.097), "middle": (0.277, 0.170, 0.108),
                  "ring": (0.259, 0.165, 0.107), "pinky": (0.206, 0.117, 0.093)}
THUMB_SHARES = (0.251, 0.196, 0.158)    # metacarpal (CMC -> MCP), proximal, distal
# Knuckles (MCP joints): (distance from the wrist, offset across the palm toward the thumb,
# offset toward the palm: the metacarpal arch), cm; and each finger's resting direction,
# degrees from u toward the thumb (the slight fan of a relaxed flat hand).
KNUCKLES = {"index": (8.0, 2.3, 0.0), "middle": (8.23, 0.6, 0.0),
            "ring": (7.75, -1.1, 0.15), "pinky": (7.0, -2.6, 0.45)}
FAN = {"index": 3.0, "middle": 0.0, "ring": -3.0, "pinky": -7.0}
SPREAD = {"index": 12.0, "middle": 0.0, "ring": -9.0, "pinky": -18.0}   # at spread = 1
THUMB_CMC = (2.0, 2.1, 0.9)             # the thumb's carpometacarpal joint, cm

# Joint limits, degrees (flexion +, extension -; side + toward the thumb).
LIMITS = {"mcp": (-20.0, 90.0), "pip": (0.0, 110.0), "dip": (-10.0, 90.0), "side": (-25.0, 25.0),
          "spread": (0.0, 1.0),
          "thumb_spread": (-15.0, 90.0),   # CMC, in the palm's plane, from u toward the thumb
          "thumb_lift": (-10.0, 80.0),     # CMC, out of the palm's plane toward the palm side
          "thumb_rotation": (0.0, 100.0),  # CMC axial rotation: 0 bends across the palm, 90 toward it
          "thumb_mcp": (-10.0, 70.0), "thumb_ip": (-20.0, 90.0)}

# MediaPipe hand landmarks (pose-format names them the same)
WRIST = 0
THUMB = (1, 2, 3, 4)                    # CMC, MCP, IP, TIP
FINGER_POINTS = {"index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16),
                 "pinky": (17, 18, 19, 20)}                   # MCP, PIP, DIP, TIP
JOINTS = ("mcp", "pip", "dip", "tip")


class JointLimitError(ValueError):
    """A handshape asks a joint to go past its limit."""


@dataclass(frozen=True, slots=True)
class Finger:
    """Flexion of one finger's joints in degrees (0 straight), and its sideways angle at the
    knuckle (+ toward the thumb), added to the hand's spread."""
    mcp: float = 0.0
    pip: float = 0.0
    dip: float = 0.0
    side: float = 0.0


@dataclass(frozen=True, slots=True)
class Thumb:
    """The thumb's joints in degrees: at the CMC joint its spread (in the palm's plane, from
    the index's direction toward the thumb side), lift (out of the palm's plane, toward the palm
    side) and rotation (opposition: 0 the thumb bends across the palm, 90 it bends toward it);
    flexion of its MCP and IP joints."""
    spread: float = 50.0
    lift: float = 10.0
    rotation: float = 20.0
    mcp: float = 5.0
    ip: float = 5.0

    def angles(self) -> np.ndarray:
        return np.array([self.spread, self.lift, self.rotation, self.mcp, self.ip])


@dataclass(frozen=True, slots=True)
class Handshape:
    """What one hand does with its fingers: each finger's flexion, how far they spread
    (0 together .. 1 wide apart), and the thumb's joints. `name` is for messages only."""
    index: Finger = Finger()
    middle: Finger = Finger()
    ring: Finger = Finger()
    pinky: Finger = Finger()
    thumb: Thumb = Thumb()
    spread: float = 0.0
    name: str = ""

    def finger(self, name: str) -> Finger:
        return getattr(self, name)

    def check(self) -> None:
        """JointLimitError naming the handshape, joint and range if any angle is outside its limit."""
        def within(key: str, value: float, what: str) -> None:
            lo, hi = LIMITS[key]
            if not (lo - 1e-6 <= value <= hi + 1e-6) or not math.isfinite(value):
                raise JointLimitError(f"handshape {self.name or '?'}: {what} = {value:g} is "
                                      f"outside {lo:g}..{hi:g}")
        for f in FINGERS:
            finger = self.finger(f)
            for joint in ("mcp", "pip", "dip", "side"):
                within(joint, getattr(finger, joint), f"{f} {joint}")
        within("spread", self.spread, "spread")
        for joint in ("spread", "lift", "rotation", "mcp", "ip"):
            within(f"thumb_{joint}", getattr(self.thumb, joint), f"thumb {joint}")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _rotate(v: np.ndarray, axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rodrigues' rotation of v about a unit axis."""
    t = math.radians(degrees)
    return (v * math.cos(t) + np.cross(axis, v) * math.sin(t)
            + axis * float(axis @ v) * (1 - math.cos(t)))


U, V, N = np.eye(3)                      # the hand's own axes in local coordinates


def finger_chain(name: str, finger: Finger, spread: float) -> np.ndarray:
    """(4, 3) local points of one finger: MCP, PIP, DIP, tip."""
    dist, across, arch = KNUCKLES[name]
    mcp = np.array([math.sqrt(dist ** 2 - across ** 2), across, arch])
    heading = FAN[name] + SPREAD[name] * spread + finger.side
    direction = _rotate(U, N, heading)              # in the palm's plane
    axis = _unit(np.cross(direction, N))            # flexion turns the finger toward n
    points = [mcp]
    bend = 0.0
    for joint, share in zip((finger.mcp, finger.pip, finger.dip), PHALANX_SHARES[name]):
        bend += joint
        points.append(points[-1] + _rotate(direction, axis, bend) * share * HAND_LENGTH)
    return np.array(points)


def thumb_chain(angles: np.ndarray) -> np.ndarray:
    """(4, 3) local points of the thumb: CMC, MCP, IP, tip, from (spread, lift, rotation, mcp, ip)."""
    spread, lift, rotation, mcp, ip = (float(a) for a in angles)
    cmc = np.array(THUMB_CMC)
    in_plane = _rotate(U, N, spread)
    axis_lift = _unit(np.cross(in_plane, N))
    d = _rotate(in_plane, axis_lift, lift)          # lift toward the palm side (+n)
    # the direction the thumb bends in: across the palm (ulnar) at rotation 0, turned about the
    # thumb's own axis toward the palm side as the thumb opposes
    across = -V - d * float(-V @ d)
    across = _unit(across)
    toward_palm = _unit(np.cross(d, across))
    if toward_palm @ N < 0:
        toward_palm = -toward_palm
    bend_dir = _unit(across * math.cos(math.radians(rotation))
                     + toward_palm * math.sin(math.radians(rotation)))
    axis = _unit(np.cross(d, bend_dir))
    lengths = [share * HAND_LENGTH for share in THUMB_SHARES]
    p1 = cmc + d * lengths[0]
    d1 = _rotate(d, axis, mcp)
    p2 = p1 + d1 * lengths[1]
    d2 = _rotate(d1, axis, ip)
    p3 = p2 + d2 * lengths[2]
    return np.array([cmc, p1, p2, p3])


def hand_points(shape: Handshape) -> np.ndarray:
    """(21, 3) landmarks of a right hand in its own frame (cm), MediaPipe order. Raises
    JointLimitError when the handshape is outside the joint limits."""
    shape.check()
    points = np.zeros((21, 3))
    points[list(THUMB)] = thumb_chain(shape.thumb.angles())
    for name in FINGERS:
        points[list(FINGER_POINTS[name])] = finger_chain(name, shape.finger(name), shape.spread)
    return points


def place(local: np.ndarray, wrist: np.ndarray, along: np.ndarray, radial: np.ndarray,
          palmar: np.ndarray) -> np.ndarray:
    """Local hand points in a world frame: the wrist's position and the hand's three axes
    (unit vectors, world coordinates)."""
    basis = np.stack([along, radial, palmar])
    return wrist + local @ basis
