"""The signer figure: an upper-body signer in the illustrated presenter's house style (its palette,
its head artwork, the same supersampled `Sketch`), drawn from pose data alone.

Each frame of a PoseTrack (MediaPipe Holistic layout, SIGN_FRAME pixels, z toward the camera)
becomes parts: torso and neck (always behind), the head (the presenter's head, placed by an
affine map of three face landmarks, so it turns, nods and tilts with the face), each arm's upper
arm and forearm, each hand's palm and its 15 finger segments. The parts are painted back to
front by their depth (z), so a hand in front of the face covers it, the nearer hand covers the
other, and fingers behind the palm are drawn before it. Palm and back of the hand have different
tones, chosen by the sign of the palm normal toward the camera.

The projection is orthographic: pose x and y are already image coordinates; z only orders.
Design units are SIGN_FRAME pixels; VIEW is the window of that frame the figure shows (3:4).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from anchor.errors import AvatarError
from anchor.media import Layer, PresenterFrame, holistic_slice
from avatars.drawing import Sketch, bleed, lerp_color, paint_over, subtract
from avatars.presenter_look import (CHIN, EYE_DX, EYE_Y, PresenterStyle, draw_cheeks, draw_eyes,
                                    draw_head, draw_mouth)
from avatars.presenter_rig import MIDLINE

VIEW = (91.0, 40.0, 421.0, 480.0)        # x0, y0, x1, y1 in SIGN_FRAME pixels (330 x 440, 3:4)
HEAD_BOX = (214.0, 70.0, 540.0, 480.0)   # the presenter's head, in its design units
POSE, FACE = holistic_slice("POSE_LANDMARKS"), holistic_slice("FACE_LANDMARKS")
HANDS = {"right": holistic_slice("RIGHT_HAND_LANDMARKS"), "left": holistic_slice("LEFT_HAND_LANDMARKS")}
# MediaPipe Pose: shoulders, elbows, wrists, hips (the signer's own sides)
SHOULDER, ELBOW, WRIST, HIP = {"left": 11, "right": 12}, {"left": 13, "right": 14}, \
    {"left": 15, "right": 16}, {"left": 23, "right": 24}
EYE_POINTS = {"right": (159, 145), "left": (386, 374)}    # FaceMesh: upper and lower lid
CHIN_POINT = 152
# The 15 finger segments of a hand: thumb then index..pinky, each three bones.
FINGER_CHAINS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
FINGER_WIDTH = (9.6, 8.4, 8.6, 8.0, 7.0)    # SIGN_FRAME pixels (about 2.2 .. 1.6 cm)
PALM = (0, 1, 2, 5, 9, 13, 17)               # outline of the palm polygon (with the thumb's web)
UPPER_ARM_WIDTH, FOREARM_WIDTH, WRIST_WIDTH = (46.0, 38.0), (38.0, 31.0), 17.0


@dataclass(frozen=True, slots=True)
class SignerStyle:
    """The presenter's palette, and the two tones of the hand."""
    look: PresenterStyle = PresenterStyle()
    palm: tuple[int, int, int] = (250, 218, 196)       # the inside of the hand: lighter, pinker
    back: tuple[int, int, int] = (226, 176, 146)       # the back of the hand: the shaded skin
    outline: tuple[int, int, int] = (150, 92, 76)


def _presenter_head(unit: float, scale: int, look: PresenterStyle) -> tuple[np.ndarray, float, float]:
    """The presenter's head (hair, face, neutral eyes and a closed mouth) as straight RGBA at
    `unit` pixels per design unit, and the pixel position of its design origin (HEAD_BOX corner)."""
    x0, y0, x1, y1 = HEAD_BOX
    w, h = math.ceil((x1 - x0) * unit), math.ceil((y1 - y0) * unit)
    sk = Sketch(w, h, unit=unit, scale=scale, origin=(x0, y0))
    draw_head(sk, look)
    draw_cheeks(sk, look, "neutral")
    draw_eyes(sk, look, 0.0, "neutral")
    draw_mouth(sk, look, 0.0, 0.0, 0.0, 0.0, "neutral")
    sk.fade_rows(430.0, 470.0)
    return bleed(sk.image()), x0, y0


@cache
def _head_sprite(unit_q: int, look: PresenterStyle):
    unit = unit_q / 1000.0
    rgba, x0, y0 = _presenter_head(unit, 2, look)
    rgb = rgba[..., :3].astype(np.float32) / 255
    a = rgba[..., 3].astype(np.float32) / 255
    return rgb, a, unit, x0, y0


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else v


class SignerFigure:
    """Draws one pose frame as a `PresenterFrame` of width x height (3:4; width defaults to
    0.75 x height, rounded even). `scale` is the supersampling factor (2: drawn at twice the
    size and box-filtered down)."""

    def __init__(self, *, height: int, width: int | None = None, style: SignerStyle | None = None,
                 scale: int = 2):
        if height < 96:
            raise AvatarError(f"signer height: {height} px is too small (at least 96)")
        self.height = int(height)
        self.width = int(width) if width else max(2, int(round(0.75 * height / 2)) * 2)
        self.style = style or SignerStyle()
        self.scale = scale
        vx0, vy0, vx1, vy1 = VIEW
        self.unit = min(self.height / (vy1 - vy0), self.width / (vx1 - vx0))   # px per design unit
        cx = (vx0 + vx1) / 2
        self.origin = (cx - self.width / (2 * self.unit), vy0)
        self.line = max(1.6, 1.1 / self.unit)            # outline, design units (>= ~1 px)
        self._base_key: tuple | None = None
        self.base: Layer | None = None

    # ------------------------------------------------------------ public
    def frame(self, landmarks: np.ndarray, confidence: np.ndarray | None = None) -> PresenterFrame:
        """One frame: landmarks (543, 3), confidence (543,) (a hand whose wrist was not seen
        is not drawn)."""
        lm = np.asarray(landmarks, np.float64)
        conf = np.ones(len(lm)) if confidence is None else np.asarray(confidence)
        pose, face = lm[POSE], lm[FACE]
        base = self._torso_layer(pose, face)
        sk = self._sketch()
        parts: list[tuple[float, object]] = []
        parts.append((float(np.median(face[:, 2])), lambda: self._head(sk, face)))
        for side in ("right", "left"):
            s, e, w = pose[SHOULDER[side]], pose[ELBOW[side]], pose[WRIST[side]]
            hand = lm[HANDS[side]]
            seen = conf[HANDS[side]][0] > 0
            wrist = hand[0] if seen else w
            parts.append(((s[2] + e[2]) / 2, lambda s=s, e=e: self._upper_arm(sk, s, e)))
            parts.append(((e[2] + wrist[2]) / 2, lambda e=e, w=wrist: self._forearm(sk, e, w)))
            if seen:
                parts.extend(self._hand_parts(sk, hand, side))
        for _, draw in sorted(parts, key=lambda p: p[0]):
            draw()
        return PresenterFrame(base, self._patch(sk))

    # ------------------------------------------------------------ canvas
    def _sketch(self) -> Sketch:
        return Sketch(self.width, self.height, unit=self.unit, scale=self.scale, origin=self.origin)

    def _patch(self, sk: Sketch) -> Layer:
        img = sk.image()
        alpha = img[..., 3]
        rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
        if not len(rows):
            return Layer(img[:1, :1].copy())
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        return Layer(np.ascontiguousarray(img[y0:y1, x0:x1]), int(x0), int(y0))

    # ------------------------------------------------------------ torso (the base layer)
    def _torso_layer(self, pose: np.ndarray, face: np.ndarray) -> Layer:
        key = tuple(np.round(pose[[11, 12, 23, 24], :2]).astype(int).ravel()) + \
            tuple(np.round(face[[152], :2]).astype(int).ravel())
        if key != self._base_key:
            sk = self._sketch()
            self._draw_torso(sk, pose, face)
            self.base, self._base_key = Layer(sk.image()), key
        return self.base

    def _draw_torso(self, sk: Sketch, pose: np.ndarray, face: np.ndarray) -> None:
        look = self.style.look
        ls, rs = pose[SHOULDER["left"], :2], pose[SHOULDER["right"], :2]
        lh, rh = pose[HIP["left"], :2], pose[HIP["right"], :2]
        mid = (ls + rs) / 2
        across = _unit(ls - rs)                 # toward the signer's left (viewer's right)
        down = np.array([-across[1], across[0]])
        half = np.linalg.norm(ls - rs) / 2
        def at(a, d):
            p = mid + across * a * half + down * d * half
            return float(p[0]), float(p[1])
        hip_mid = (lh + rh) / 2
        bottom = float(max(hip_mid[1], VIEW[3])) + 20
        torso = [at(-1.0, -0.28), at(-1.22, -0.05), at(-1.28, 0.4), at(-1.2, 1.6),
                 (float(rh[0]) - 0.12 * half, bottom), (float(lh[0]) + 0.12 * half, bottom),
                 at(1.2, 1.6), at(1.28, 0.4), at(1.22, -0.05), at(1.0, -0.28), at(0.3, -0.36),
                 at(-0.3, -0.36)]
        m = sk.polygon(torso)
        sk.paint(m, look.jacket)
        sk.tint(subtract(m, sk.blur(sk.shift(m, -8, -3), 8)), look.jacket_shade, 0.8)
        chin = face[CHIN_POINT, :2]
        neck_w = 0.33 * half
        neck_top = float(chin[1]) - 0.2 * half
        neck = sk.polygon([(mid[0] - neck_w, neck_top), (mid[0] + neck_w, neck_top),
                           (mid[0] + neck_w * 1.05, mid[1] - 0.25 * half), at(0, 0.05),
                           (mid[0] - neck_w * 1.05, mid[1] - 0.25 * half)])
        shirt = sk.polygon([at(-0.34, -0.36), at(0.34, -0.36), at(0, 1.25)])
        sk.paint(shirt, look.shirt)
        sk.paint(neck, look.skin)
        sk.tint(subtract(neck, sk.blur(sk.shift(neck, -4, 0), 3)), look.skin_shade, 0.7)
        for side in (-1, 1):                         # collar flaps and lapels
            flap = [at(side * 0.34, -0.4), at(side * 0.2, -0.08), at(0, 0.12),
                    at(side * 0.36, 0.2), at(side * 0.46, -0.2)]
            fm = sk.polygon(flap)
            sk.paint(sk.blur(sk.shift(fm, 1, 2.5), 1.5), (0, 0, 0), 0.25)
            sk.paint(fm, look.shirt)
            sk.tint(subtract(fm, sk.shift(fm, -side * 2.5, -2.5)), look.shirt_shade, 0.8)
            lapel = [at(side * 0.42, -0.34), at(0, 1.25), at(side * 0.62, 0.6), at(side * 0.74, 0.3),
                     at(side * 0.66, 0.26), at(side * 0.68, -0.1), at(side * 0.56, -0.3)]
            lm = sk.polygon(lapel)
            sk.paint(sk.blur(sk.shift(lm, side * 1.5, 2.5), 2), (0, 0, 0), 0.3)
            sk.paint(lm, look.jacket_light if side < 0 else look.jacket)
            sk.paint(sk.stroke(lapel[1:6], 0.9), look.jacket_shade, 0.9)
        sk.paint(sk.stroke([at(0, 1.25), (float(mid[0]), bottom)], 1.1), look.jacket_shade)

    # ------------------------------------------------------------ head
    def _head(self, sk: Sketch, face: np.ndarray) -> None:
        """The presenter's head, mapped by the affine transform that takes its eyes and chin to
        the face landmarks' (so it turns, nods and tilts with them)."""
        dst = np.array([face[list(EYE_POINTS["right"]), :2].mean(axis=0),
                        face[list(EYE_POINTS["left"]), :2].mean(axis=0),
                        face[CHIN_POINT, :2]])
        k = sk.k
        dst_px = np.stack([dst[:, 0] * k - sk.ox, dst[:, 1] * k - sk.oy], axis=1)
        eye_gap = float(np.linalg.norm(dst_px[1] - dst_px[0]))
        head_unit = max(eye_gap, 1.0) / (2 * EYE_DX)        # hires pixels per presenter unit
        rgb, a, unit, x0, y0 = _head_sprite(int(round(head_unit * 1000)), self.style.look)
        src = np.array([[MIDLINE - EYE_DX, EYE_Y], [MIDLINE + EYE_DX, EYE_Y], list(CHIN)])
        src_px = ((src - (x0, y0)) * unit).astype(np.float32)
        m = cv2.getAffineTransform(src_px, dst_px.astype(np.float32))
        h, w = a.shape
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ m.T
        H, W = sk.a.shape
        bx0, by0 = max(0, int(corners[:, 0].min()) - 1), max(0, int(corners[:, 1].min()) - 1)
        bx1, by1 = min(W, int(corners[:, 0].max()) + 2), min(H, int(corners[:, 1].max()) + 2)
        if bx1 <= bx0 or by1 <= by0:
            return
        m[:, 2] -= (bx0, by0)
        size = (bx1 - bx0, by1 - by0)
        rgb_w = cv2.warpAffine(rgb, m, size, flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        a_w = cv2.warpAffine(a, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
        paint_over(sk.rgb[by0:by1, bx0:bx1], sk.a[by0:by1, bx0:bx1], a_w, rgb_w)

    # ------------------------------------------------------------ arms
    def _limb(self, sk: Sketch, a, b, widths, fill, shade) -> None:
        pts = [(float(a[0]), float(a[1])), (float(b[0]), float(b[1]))]
        line = self.line
        outer = sk.stroke(pts, [widths[0] + 2 * line, widths[1] + 2 * line])
        inner = sk.stroke(pts, list(widths))
        sk.paint(outer, shade)
        sk.paint(inner, fill)
        # volume without a blur: a lit stripe along the upper-left edge
        d = np.array([pts[1][0] - pts[0][0], pts[1][1] - pts[0][1]])
        n = _unit(np.array([d[1], -d[0]]))
        if n[0] + n[1] > 0:
            n = -n
        off = [(x + n[0] * widths[0] * 0.22, y + n[1] * widths[0] * 0.22) for x, y in pts]
        sk.paint(sk.stroke(off, [widths[0] * 0.3, widths[1] * 0.3]), lerp_color(fill, (255, 255, 255), 0.06))

    def _upper_arm(self, sk: Sketch, shoulder, elbow) -> None:
        look = self.style.look
        self._limb(sk, shoulder, elbow, UPPER_ARM_WIDTH, look.jacket, look.jacket_shade)

    def _forearm(self, sk: Sketch, elbow, wrist) -> None:
        look = self.style.look
        e, w = np.asarray(elbow[:2]), np.asarray(wrist[:2])
        sleeve_end = w + (e - w) * 0.12
        self._limb(sk, e, sleeve_end, FOREARM_WIDTH, look.jacket_light, look.jacket_shade)
        self._limb(sk, sleeve_end, w + (e - w) * 0.02, (WRIST_WIDTH * 1.35, WRIST_WIDTH * 1.3),
                   look.shirt, look.shirt_shade)

    # ------------------------------------------------------------ hands
    def palm_faces_camera(self, hand: np.ndarray, side: str) -> bool:
        """Whether the inside of the hand is toward the camera: the sign of the palm normal
        (wrist -> index knuckle x wrist -> little-finger knuckle; mirrored for the left hand)."""
        n = np.cross(hand[5] - hand[0], hand[17] - hand[0])
        return bool(n[2] < 0) if side == "right" else bool(n[2] > 0)

    def _hand_parts(self, sk: Sketch, hand: np.ndarray, side: str):
        st = self.style
        tone = st.palm if self.palm_faces_camera(hand, side) else st.back
        finger_tone = lerp_color(tone, st.look.skin, 0.35)
        parts = []
        palm_z = float(hand[list(PALM), 2].mean())
        parts.append((palm_z, lambda: self._palm(sk, hand, tone)))
        for chain, width in zip(FINGER_CHAINS, FINGER_WIDTH):
            for i, (a, b) in enumerate(zip(chain, chain[1:])):
                z = float((hand[a, 2] + hand[b, 2]) / 2)
                w0, w1 = width * (1 - 0.07 * i), width * (1 - 0.07 * (i + 1))
                parts.append((z + 1e-3 * i, lambda a=hand[a], b=hand[b], w=(w0, w1):
                              self._segment(sk, a, b, w, finger_tone)))
        return parts

    def _palm(self, sk: Sketch, hand: np.ndarray, tone) -> None:
        pts = [(float(x), float(y)) for x, y in hand[list(PALM), :2]]
        m = sk.polygon(pts)
        sk.paint(sk.stroke(pts + pts[:1], 2 * self.line + 1.5), self.style.outline)
        sk.paint(sk.stroke(pts + pts[:1], 1.5), tone)
        sk.paint(m, tone)

    def _segment(self, sk: Sketch, a, b, widths, tone) -> None:
        pts = [(float(a[0]), float(a[1])), (float(b[0]), float(b[1]))]
        line = self.line
        sk.paint(sk.stroke(pts, [widths[0] + 2 * line, widths[1] + 2 * line]), self.style.outline)
        sk.paint(sk.stroke(pts, list(widths)), tone)


class SignerAnimator:
    """An `Animator` for the signer: a PoseTrack becomes PresenterFrames at the program `fps`
    (landmarks interpolated linearly where the track's fps differs)."""

    def __init__(self, *, height: int, fps: float, width: int | None = None,
                 style: SignerStyle | None = None, scale: int = 2):
        if not fps > 0:
            raise AvatarError(f"signer fps: {fps} must be positive")
        self.fps = float(fps)
        self.figure = SignerFigure(height=height, width=width, style=style, scale=scale)
        self.width, self.height = self.figure.width, self.figure.height

    def frame_count(self, track) -> int:
        """How many program frames a track lasts."""
        return max(1, int(round(track.frames * self.fps / track.fps)))

    def frames(self, track):
        if track.frames == 0:
            return
        last = track.frames - 1
        for n in range(self.frame_count(track)):
            t = min(last, n * track.fps / self.fps)
            i = int(math.floor(t))
            j, f = min(last, i + 1), t - math.floor(t)
            if f < 1e-6 or i == j:
                lm, conf = track.landmarks[i], track.confidence[i]
            else:
                lm = track.landmarks[i] * (1 - f) + track.landmarks[j] * f
                conf = np.minimum(track.confidence[i], track.confidence[j])
            yield self.figure.frame(lm, conf)
