"""The default presenter: an illustrated news/shop host drawn entirely by our own code.

Speed comes from drawing almost nothing per frame. At construction the body (neck, shirt,
jacket, arms, hands) becomes one base layer and the head (hair, ears, face, nose) one image per
expression. Eyes with brows and the mouth are small sprites, drawn on first use from the head's
own supersampled pixels and kept in caches keyed by quantised parameters. A frame is then a
copy of the head image, two sprite pastes and one small affine warp for the idle head motion.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Iterable, Iterator

import cv2
import numpy as np

from anchor.errors import AvatarError
from anchor.media import EXPRESSIONS, FaceDrive, Layer, MouthShape, PresenterFrame
from avatars.drawing import Sketch, bleed
from avatars.motion import IdleMotion
from avatars.presenter_look import (CHIN, EYE_DX, EYE_Y, MOUTH, NECK_BASE, NOSE_TIP,
                                    PresenterStyle, draw_body, draw_cheeks, draw_eyes,
                                    draw_head, draw_mouth)
from avatars.presenter_rig import REST, ArmJoints, ArmPose, PresenterRig, arm_joints

__all__ = ["IllustratedPresenter", "PresenterStyle", "PresenterRig", "ArmPose"]

HEAD_BOX = (214.0, 70.0, 540.0, 480.0)     # design units: hair, face and the top of the neck
EYES_BOX = (288.0, 198.0, 462.0, 290.0)    # both eyes and brows
MOUTH_BOX = (330.0, 318.0, 420.0, 384.0)
HEAD_PIVOT = (375.0, 440.0)                # the head tilts about the base of the skull/neck
OPEN_STEPS, WIDE_STEPS, ROUND_STEPS, BLINK_STEPS = 10, 4, 4, 5
MOUTH_CACHE = 640


def _q(value: float, steps: int) -> int:
    return int(round(min(1.0, max(0.0, value)) * (steps - 1)))


class IllustratedPresenter:
    """An `Animator`: one PresenterFrame per FaceDrive, on a canvas 0.75 x height wide."""

    def __init__(self, *, height: int, fps: float, seed: int = 0,
                 style: PresenterStyle | None = None):
        if height < 120:
            raise AvatarError(f"presenter height: {height} px is too small (at least 120)")
        if not fps > 0:
            raise AvatarError(f"presenter fps: {fps} must be positive")
        self.height, self.width = int(height), int(round(0.75 * height))
        self.fps = fps
        self.style = style or PresenterStyle()
        self._u = self.height / 1000.0
        self._motion = IdleMotion(fps=fps, seed=seed)
        self._px = self.height / 720.0             # idle motion is tuned in 720p pixels
        self._arms = (REST, REST)
        self.base = Layer(self._draw_base())
        self._build_head()
        self._eyes: dict[tuple[int, str], np.ndarray] = {}
        self._mouths: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.rig = self._make_rig()

    # ------------------------------------------------------------ construction
    def _box(self, box: tuple[float, float, float, float], pad: int = 0) -> tuple[int, int, int, int]:
        u = self._u
        return (math.floor(box[0] * u) - pad, math.floor(box[1] * u) - pad,
                math.ceil(box[2] * u) + pad, math.ceil(box[3] * u) + pad)

    def _draw_base(self) -> np.ndarray:
        sk = Sketch(self.width, self.height, unit=self._u, scale=3)
        joints = (arm_joints(-1, self._arms[0]), arm_joints(1, self._arms[1]))
        draw_body(sk, self.style, joints)
        return sk.image()

    def _build_head(self) -> None:
        margin = max(4, round(8 * self._px))        # room for the head to move inside the patch
        x0, y0, x1, y1 = self._box(HEAD_BOX, margin)
        self._head_xy = (x0, y0)
        u = self._u
        sk = Sketch(x1 - x0, y1 - y0, unit=u, scale=4, origin=(x0 / u, y0 / u))
        draw_head(sk, self.style)
        sk.fade_rows(444.0, 480.0)
        ex0, ey0, ex1, ey1 = self._box(EYES_BOX)
        mx0, my0, mx1, my1 = self._box(MOUTH_BOX)
        self._eyes_at = (ey0 - y0, ey1 - y0, ex0 - x0, ex1 - x0)     # rows, columns in the patch
        self._mouth_at = (my0 - y0, my1 - y0, mx0 - x0, mx1 - x0)
        self._head: dict[str, np.ndarray] = {}
        self._eyes_hires: dict[str, Sketch] = {}
        self._mouth_hires: dict[str, Sketch] = {}
        for expression in EXPRESSIONS:
            s = sk.copy()
            draw_cheeks(s, self.style, expression)
            self._head[expression] = bleed(s.image())
            self._eyes_hires[expression] = s.crop(ex0 - x0, ey0 - y0, ex1 - x0, ey1 - y0)
            self._mouth_hires[expression] = s.crop(mx0 - x0, my0 - y0, mx1 - x0, my1 - y0)
        self._pivot = (HEAD_PIVOT[0] * u - x0, HEAD_PIVOT[1] * u - y0)

    def _make_rig(self) -> PresenterRig:
        u = self._u

        def p(pt):
            return (pt[0] * u, pt[1] * u)

        def arm(j: ArmJoints) -> ArmJoints:
            return ArmJoints(shoulder=p(j.shoulder), elbow=p(j.elbow), wrist=p(j.wrist),
                             finger_bases=tuple(map(p, j.finger_bases)),
                             fingers=tuple(tuple(map(p, f)) for f in j.fingers),
                             thumb=tuple(map(p, j.thumb)), hand_angle=j.hand_angle)

        return PresenterRig(head_pivot=p(HEAD_PIVOT), right_eye=p((375 - EYE_DX, EYE_Y)),
                            left_eye=p((375 + EYE_DX, EYE_Y)), nose_tip=p(NOSE_TIP), mouth=p(MOUTH),
                            chin=p(CHIN), neck_base=p(NECK_BASE),
                            right_arm=arm(arm_joints(-1, self._arms[0])),
                            left_arm=arm(arm_joints(1, self._arms[1])))

    def set_arms(self, right: ArmPose = REST, left: ArmPose = REST) -> None:
        """Pose the arms by joint angles (the presenter's own right and left); the base layer
        is redrawn once, so frames after this carry a new base object."""
        self._arms = (right, left)
        self.base = Layer(self._draw_base())
        self.rig = self._make_rig()

    # ------------------------------------------------------------ sprites
    def _eye_sprite(self, blink: int, expression: str) -> np.ndarray:
        key = (blink, expression)
        sprite = self._eyes.get(key)
        if sprite is None:
            s = self._eyes_hires[expression].copy()
            draw_eyes(s, self.style, blink / (BLINK_STEPS - 1), expression)
            sprite = self._eyes[key] = s.image()
        return sprite

    def _mouth_sprite(self, mouth: MouthShape, expression: str) -> np.ndarray:
        key = (_q(mouth.open, OPEN_STEPS), _q(mouth.wide, WIDE_STEPS), _q(mouth.round, ROUND_STEPS),
               int(mouth.bite >= 0.5), expression)
        sprite = self._mouths.get(key)
        if sprite is not None:
            self._mouths.move_to_end(key)
            return sprite
        s = self._mouth_hires[expression].copy()
        draw_mouth(s, self.style, key[0] / (OPEN_STEPS - 1), key[1] / (WIDE_STEPS - 1),
                   key[2] / (ROUND_STEPS - 1), float(key[3]), expression)
        sprite = self._mouths[key] = s.image()
        if len(self._mouths) > MOUTH_CACHE:
            self._mouths.popitem(last=False)
        return sprite

    # ------------------------------------------------------------ frames
    def frames(self, drives: Iterable[FaceDrive]) -> Iterator[PresenterFrame]:
        (er0, er1, ec0, ec1), (mr0, mr1, mc0, mc1) = self._eyes_at, self._mouth_at
        hx, hy = self._head_xy
        for drive in drives:
            pose = self._motion.step(drive.speaking)
            expression = drive.expression if drive.expression in self._head else "neutral"
            head = self._head[expression].copy()
            head[er0:er1, ec0:ec1] = self._eye_sprite(_q(pose.blink, BLINK_STEPS), expression)
            head[mr0:mr1, mc0:mc1] = self._mouth_sprite(drive.mouth, expression)
            tx = pose.yaw * 1.3 * self._px
            ty = (pose.pitch * 1.1 - (pose.breath + 1.0) * 0.75) * self._px
            ix, iy = math.floor(tx), math.floor(ty)
            m = cv2.getRotationMatrix2D(self._pivot, -pose.roll, 1.0)
            m[0, 2] += tx - ix
            m[1, 2] += ty - iy
            patch = cv2.warpAffine(head, m, (head.shape[1], head.shape[0]), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
            yield PresenterFrame(self.base, Layer(patch, hx + ix, hy + iy))

    def mouth_region(self, frame: PresenterFrame) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) in presenter canvas pixels around the mouth as drawn in `frame`."""
        hx, hy = self._head_xy
        dx, dy = (frame.patch.x - hx, frame.patch.y - hy) if frame.patch is not None else (0, 0)
        r0, r1, c0, c1 = self._mouth_at
        pad = max(2, round(3 * self._px))     # the head's tilt moves the mouth a few pixels
        return (max(0, hx + c0 + dx - pad), max(0, hy + r0 + dy - pad),
                min(self.width, hx + c1 + dx + pad), min(self.height, hy + r1 + dy + pad))
