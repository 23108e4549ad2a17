"""The illustrated presenter's skeleton: named joints known by construction.

Design units: the presenter canvas is 750 units wide and 1000 tall (so one unit is
height/1000 program pixels); x grows to the viewer's right, y downward; the body's midline is
x = 375. "Left" and "right" are the presenter's own: the presenter's right arm is on the
viewer's left.

An arm is driven by joint angles (`ArmPose`) and `arm_joints` turns them into points; the
drawing reads only those points, so moving an arm is a matter of angles.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

Point = tuple[float, float]

MIDLINE = 375.0
UPPER_ARM = 215.0
FOREARM = 190.0
PALM = 72.0
FINGERS = (  # (offset across the knuckle line from the hand's axis, proximal, distal lengths)
    (-22.0, 36.0, 28.0),   # index
    (-7.5, 40.0, 31.0),    # middle
    (7.5, 37.0, 29.0),     # ring
    (21.0, 30.0, 24.0),    # little
)
THUMB = (36.0, 30.0)


@dataclass(frozen=True, slots=True)
class ArmPose:
    """Joint angles of one arm, in degrees. Zero everywhere is the arm hanging straight down
    with a straight hand.

    shoulder: swing of the upper arm away from the body (+) or across it (-);
    elbow:    bend of the forearm toward the midline (+);
    wrist:    bend of the hand toward the midline (+);
    finger_curl: 0 straight .. 1 a loose fist (all four fingers);
    thumb:    spread of the thumb from the index side of the hand."""
    shoulder: float = 6.0
    elbow: float = 64.0
    wrist: float = 12.0
    finger_curl: float = 0.15
    thumb: float = 20.0


REST = ArmPose()


@dataclass(frozen=True, slots=True)
class ArmJoints:
    """Where one arm's joints are. finger_bases: index, middle, ring, little knuckles;
    fingers: for each of those, (knuckle, middle joint, tip); thumb: (base, joint, tip)."""
    shoulder: Point
    elbow: Point
    wrist: Point
    finger_bases: tuple[Point, ...]
    fingers: tuple[tuple[Point, Point, Point], ...]
    thumb: tuple[Point, Point, Point]
    hand_angle: float          # direction of the hand, degrees from straight down, + outward


def shoulder_point(side: int) -> Point:
    """side: -1 for the presenter's right (viewer's left), +1 for the left."""
    return (MIDLINE + side * 158.0, 540.0)


def _step(p: Point, side: int, angle: float, length: float) -> Point:
    """`length` along a direction `angle` degrees from straight down, + away from the midline."""
    r = math.radians(angle)
    return (p[0] + side * length * math.sin(r), p[1] + length * math.cos(r))


def arm_joints(side: int, pose: ArmPose = REST) -> ArmJoints:
    """Forward kinematics of one arm, in design units."""
    shoulder = shoulder_point(side)
    a_upper = pose.shoulder
    elbow = _step(shoulder, side, a_upper, UPPER_ARM)
    a_fore = a_upper - pose.elbow
    wrist = _step(elbow, side, a_fore, FOREARM)
    a_hand = a_fore - pose.wrist
    knuckle_mid = _step(wrist, side, a_hand, PALM)
    # across the hand; the thumb goes on the upper side (the back of the hand faces us)
    r = math.radians(a_hand)
    ax, ay = side * math.sin(r), math.cos(r)          # along the hand
    nx, ny = -ay, ax                                   # across it
    if ny > 0 or (ny == 0 and side * nx < 0):
        nx, ny = -nx, -ny
    bases, fingers = [], []
    for i, (off, l1, l2) in enumerate(FINGERS):
        knuckle = (knuckle_mid[0] - nx * off, knuckle_mid[1] - ny * off)
        bend = pose.finger_curl * (55.0 + 6 * i)
        mid = _step(knuckle, side, a_hand - bend * 0.6, l1)
        tip = _step(mid, side, a_hand - bend * 1.6, l2)
        bases.append(knuckle)
        fingers.append((knuckle, mid, tip))
    t_base = (wrist[0] + nx * 18.0 + ax * 14.0, wrist[1] + ny * 18.0 + ay * 14.0)
    c, sn = math.cos(math.radians(pose.thumb)), math.sin(math.radians(pose.thumb))
    dx, dy = c * ax + sn * nx, c * ay + sn * ny
    t_mid = (t_base[0] + dx * THUMB[0], t_base[1] + dy * THUMB[0])
    t_tip = (t_mid[0] + ax * THUMB[1], t_mid[1] + ay * THUMB[1])
    bases.insert(0, t_base)
    return ArmJoints(shoulder=shoulder, elbow=elbow, wrist=wrist, finger_bases=tuple(bases),
                     fingers=tuple(fingers), thumb=(t_base, t_mid, t_tip), hand_angle=a_hand)


@dataclass(frozen=True, slots=True)
class PresenterRig:
    """Named points of the presenter at rest, in presenter canvas pixels."""
    head_pivot: Point
    left_eye: Point
    right_eye: Point
    nose_tip: Point
    mouth: Point
    chin: Point
    neck_base: Point
    left_arm: ArmJoints
    right_arm: ArmJoints
