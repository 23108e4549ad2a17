"""Handshapes from small readable descriptions (TOML tables in lexicon/*.toml), turned into a
`Handshape` of joint angles; a thumb that touches a finger is placed by a small inverse
kinematics on its five joint angles, within their limits, so contacts are described by what
touches what, never by coordinates.

    [handshape.O]
    fingers = "round"                             # all four fingers; or index = ..., middle = ...
    thumb = { touch = "index+middle.tip" }        # the thumb's tip meets the tips of index and middle
    spread = 0.0                                  # 0 together .. 1 wide apart (or "together"/"apart")

A finger is a named level (FINGER_LEVELS), [mcp, pip, dip] degrees, or a table
{ flex = level or [..], side = degrees toward the thumb }. A thumb is a named position
(THUMB_POSITIONS), a table of its angles {spread, lift, rotation, mcp, ip}, or a contact
{ touch = "FINGER.JOINT" or "F1+F2.JOINT", side = "palm" | "back" | "radial" | "ulnar" |
"distal" | "proximal" (or a list), gap = cm, from = a named position to start from }.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from avatars.signer.hand import (FINGERS, JOINTS, LIMITS, Finger, Handshape,
                                 Thumb, finger_chain, thumb_chain)

FINGER_LEVELS = {                      # (mcp, pip, dip) degrees
    "straight": (0.0, 0.0, 0.0),
    "bent": (85.0, 0.0, 0.0),           # flat bend at the knuckle (B bent, ASL "flat O" base)
    "half": (30.0, 40.0, 25.0),         # a gentle curve (C)
    "round": (50.0, 65.0, 40.0),        # rounded (O)
    "hooked": (10.0, 95.0, 70.0),       # bent at the two finger joints, knuckle straight (X)
    "curled": (88.0, 100.0, 60.0),      # into the palm: the fist
    "tight": (80.0, 110.0, 85.0),       # tips curled down hard (E)
}
THUMB_POSITIONS = {                    # spread, lift, rotation, mcp, ip
    "out": Thumb(55.0, 15.0, 20.0, 0.0, 0.0),           # extended away from the hand (5)
    "up": Thumb(85.0, 0.0, 0.0, 0.0, -5.0),             # at a right angle to the index (L)
    "side": Thumb(8.0, 0.0, 5.0, 5.0, 0.0),             # straight along the index's side (A)
    "across": Thumb(10.0, 45.0, 85.0, 35.0, 15.0),      # folded across the palm (B)
    "relaxed": Thumb(35.0, 25.0, 40.0, 10.0, 10.0),
}
SIDES = {"palm": (0, 0, 1), "back": (0, 0, -1), "radial": (0, 1, 0), "ulnar": (0, -1, 0),
         "distal": (1, 0, 0), "proximal": (-1, 0, 0)}
FINGER_THICKNESS = 0.9                 # cm: the default gap of a contact on a finger's side
CONTACT_TOLERANCE = 0.6                # cm: a contact the thumb cannot reach closer is an error


class HandshapeError(ValueError):
    """A handshape description that cannot be read or formed."""


def _finger(value: Any, where: str) -> Finger:
    side = 0.0
    if isinstance(value, dict):
        unknown = set(value) - {"flex", "side"}
        if unknown:
            raise HandshapeError(f"{where}: unknown key {sorted(unknown)[0]!r} (flex, side)")
        side = float(value.get("side", 0.0))
        value = value.get("flex", "straight")
    if isinstance(value, str):
        if value not in FINGER_LEVELS:
            raise HandshapeError(f"{where}: unknown finger level {value!r} "
                                 f"(one of {', '.join(FINGER_LEVELS)})")
        mcp, pip, dip = FINGER_LEVELS[value]
    elif isinstance(value, list) and len(value) == 3:
        mcp, pip, dip = (float(v) for v in value)
    else:
        raise HandshapeError(f"{where}: a finger is a level name or [mcp, pip, dip], not {value!r}")
    return Finger(mcp=mcp, pip=pip, dip=dip, side=side)


def _spread(value: Any, where: str) -> float:
    named = {"together": 0.0, "apart": 1.0, "slightly": 0.4}
    if isinstance(value, str):
        if value not in named:
            raise HandshapeError(f"{where}: spread is a number 0..1 or one of {', '.join(named)}")
        return named[value]
    return float(value)


def parse_handshape(name: str, table: dict) -> Handshape:
    """A Handshape from its description; HandshapeError naming it when it is wrong."""
    where = f"handshape {name}"
    known = {"fingers", "thumb", "spread", "note", *FINGERS}
    unknown = set(table) - known
    if unknown:
        raise HandshapeError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    fingers = {f: _finger(table.get(f, table.get("fingers", "straight")), f"{where}: {f}")
               for f in FINGERS}
    spread = _spread(table.get("spread", 0.0), where)
    shape = Handshape(**fingers, thumb=THUMB_POSITIONS["relaxed"], spread=spread, name=name)
    thumb = table.get("thumb", "relaxed")
    if isinstance(thumb, str):
        if thumb not in THUMB_POSITIONS:
            raise HandshapeError(f"{where}: unknown thumb position {thumb!r} "
                                 f"(one of {', '.join(THUMB_POSITIONS)}, or a table)")
        shape = replace(shape, thumb=THUMB_POSITIONS[thumb])
    elif isinstance(thumb, dict) and "touch" in thumb:
        shape = replace(shape, thumb=_reach(shape, thumb, where))
    elif isinstance(thumb, dict):
        unknown = set(thumb) - {"spread", "lift", "rotation", "mcp", "ip"}
        if unknown:
            raise HandshapeError(f"{where}: thumb: unknown key {sorted(unknown)[0]!r}")
        shape = replace(shape, thumb=replace(THUMB_POSITIONS["relaxed"],
                                             **{k: float(v) for k, v in thumb.items()}))
    else:
        raise HandshapeError(f"{where}: thumb is a position name or a table, not {thumb!r}")
    try:
        shape.check()
    except ValueError as e:
        raise HandshapeError(str(e)) from None
    return shape


def _target(shape: Handshape, contact: dict, where: str) -> np.ndarray:
    touch = str(contact["touch"])
    fingers, _, joint = touch.partition(".")
    joint = joint or "tip"
    names = fingers.split("+")
    if joint not in JOINTS or not all(f in FINGERS for f in names):
        raise HandshapeError(f"{where}: thumb touch {touch!r} must be FINGER.JOINT or "
                             f"F1+F2.JOINT (fingers {', '.join(FINGERS)}; joints {', '.join(JOINTS)})")
    k = JOINTS.index(joint)
    point = np.mean([finger_chain(f, shape.finger(f), shape.spread)[k] for f in names], axis=0)
    sides = contact.get("side", [])
    sides = [sides] if isinstance(sides, str) else list(sides)
    if any(s not in SIDES for s in sides):
        raise HandshapeError(f"{where}: thumb side must be among {', '.join(SIDES)}")
    if sides:
        direction = np.sum([SIDES[s] for s in sides], axis=0).astype(float)
        point = point + direction / np.linalg.norm(direction) * float(contact.get("gap", FINGER_THICKNESS))
    return point


def _reach(shape: Handshape, contact: dict, where: str) -> Thumb:
    """Thumb angles that put its tip on the contact point (damped least squares on the five
    angles, clipped to their limits, from a few starts; the closest wins)."""
    unknown = set(contact) - {"touch", "side", "gap", "from"}
    if unknown:
        raise HandshapeError(f"{where}: thumb: unknown key {sorted(unknown)[0]!r}")
    target = _target(shape, contact, where)
    keys = ("thumb_spread", "thumb_lift", "thumb_rotation", "thumb_mcp", "thumb_ip")
    lo = np.array([LIMITS[k][0] for k in keys])
    hi = np.array([LIMITS[k][1] for k in keys])
    starts = [THUMB_POSITIONS[contact["from"]].angles()] if "from" in contact else []
    starts += [t.angles() for t in THUMB_POSITIONS.values()]
    best, best_cost = None, np.inf
    for start in starts:
        p = start.astype(float)
        for _ in range(80):
            r = _residual(p, target, start)
            jac = np.empty((r.size, 5))
            for i in range(5):
                q = p.copy()
                q[i] += 0.5
                jac[:, i] = (_residual(q, target, start) - r) / 0.5
            step = np.linalg.solve(jac.T @ jac + 1e-4 * np.eye(5), -jac.T @ r)
            p = np.clip(p + np.clip(step, -15, 15), lo, hi)
            if np.abs(step).max() < 1e-3:
                break
        r = _residual(p, target, start)
        cost = float(r @ r)
        if cost < best_cost:
            best, best_cost = p, cost
    miss = float(np.linalg.norm(thumb_chain(best)[3] - target))
    if miss > CONTACT_TOLERANCE:
        raise HandshapeError(f"{where}: the thumb cannot reach {contact['touch']} "
                             f"within its joint limits ({miss:.1f} cm short)")
    return Thumb(*(round(float(a), 2) for a in best))


REGULARISE = 0.01                      # cm per degree away from the start: the nearest way wins


def _residual(angles: np.ndarray, target: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Tip to target, a penalty for a thumb behind the back of the hand, and a small pull
    toward the start position."""
    chain = thumb_chain(angles)
    behind = np.maximum(0.0, -0.3 - chain[2:, 2])
    return np.concatenate([chain[3] - target, 3 * behind, REGULARISE * (angles - start)])

