"""The photo animator: a rigged portrait brought to life by warping its pixels.

Each facial action (jaw open, lip spread, rounding, bite, smile, blink, small head motion) is a
displacement field over the face region, built once from the rig. A frame is their weighted sum,
sampled with one cv2.remap; an open mouth gets a painted inside (dark cavity, upper teeth).

Fields are written in canvas pixels as "how far the picture at (x, y) moves for weight 1" and are
sampled backwards (destination p shows the source at p - d(p)), which is close enough for the
smooth fields used here. Where the lips part the field tears on purpose along the lip seam; the
painted mouth covers the tear.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np

from anchor.media import FaceDrive, Layer, PresenterFrame
from avatars.motion import IdleMotion, Pose
from avatars.rig import Rig

CAVITY_TOP = np.array([34, 8, 12], np.float32)       # RGB, the shadow under the upper teeth
CAVITY_BOTTOM = np.array([104, 30, 38], np.float32)  # RGB, tongue
TEETH = np.array([226, 218, 204], np.float32)         # RGB, off-white
LASHES = np.array([45, 32, 30], np.float32)           # RGB, the closed lid's lash line
LID_WARP = 0.35   # share of a blink done by warping the lid; a painted lid does the rest
SHAPES = ("open", "wide", "round", "bite", "smile", "blink")


def _smooth(t):
    """Smoothstep on [0, 1], clamped outside."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _interp(x, xs: np.ndarray, ys: np.ndarray):
    order = np.argsort(xs)
    return np.interp(x, xs[order], ys[order])


class FaceFields:
    """The displacement fields of one face (canvas pixels). Each method takes x and y arrays of
    the same shape and returns (dx, dy) for weight 1 of its action."""

    def __init__(self, rig: Rig):
        lm = rig.landmarks
        self.rig = rig
        up, lo = rig.lips_inner_upper, rig.lips_inner_lower
        seam = (up + lo) / 2
        self.seam_x, self.seam_y = seam[:, 0], seam[:, 1]
        self.mw = max(rig.mouth_width, 4.0)
        self.mx = float(rig.mouth_corners[:, 0].mean())
        self.my = float(rig.mouth_center[1])
        self.hm = self.mw / 2
        self.hm_in = max(float(up[-1, 0] - up[0, 0]) / 2, 2.0)
        self.t_in = max(0.8, 0.03 * self.mw)
        self.face_w, self.face_h = rig.face_width, max(rig.face_height, 8.0)
        self.chin_y = float(rig.chin[1])
        self.nose_y = float(rig.nose_base[1])
        self.lower_mid = float(lm[14, 1] + lm[17, 1]) / 2
        self.lower_thick = max(float(lm[17, 1] - lm[14, 1]), 0.12 * self.mw)
        self.jaw_drop = 0.36 * self.mw

    def seam(self, x):
        return _interp(x, self.seam_x, self.seam_y)

    def below_seam(self, x, y):
        """0 above the lip seam, 1 below: sharp between the lips, soft beyond the corners."""
        ax = np.abs(x - self.mx)
        t = self.t_in + (0.6 * self.mw - self.t_in) * _smooth((ax - self.hm_in) / (0.5 * self.hm))
        return _smooth((y - self.seam(x)) / t + 0.5)

    def open(self, x, y):
        ax = np.abs(x - self.mx)
        ys = self.seam(x)
        below = self.below_seam(x, y)
        # the lips part most in the middle; deeper down the chin moves as one piece
        lips = 1.0 - 0.8 * _smooth((ax - 0.25 * self.hm_in) / (0.75 * self.hm_in))
        depth = _smooth((y - ys) / (0.7 * max(self.chin_y - self.my, 4.0)))
        profile = lips + (1.0 - lips) * depth
        side = 1.0 - _smooth((ax / (0.5 * self.face_w) - 0.45) / 0.5)
        neck = 1.0 - _smooth((y - self.chin_y) / (0.3 * self.face_h))
        jaw = self.jaw_drop * below * profile * side * neck
        # the upper lip rises a little, fading out towards the nose
        lift = (0.12 * self.jaw_drop * (1.0 - below) * np.exp(-((x - self.mx) / self.hm) ** 2)
                * (1.0 - _smooth((ys - y) / max(ys.mean() - self.nose_y, 2.0))))
        return np.zeros_like(jaw), jaw - lift

    def _stretch(self, x, y):
        """Odd horizontal profile: linear across the mouth, fading beyond the corners."""
        r = (x - self.mx) / self.hm
        g = np.clip(r, -1.0, 1.0) * np.exp(-(np.maximum(np.abs(r) - 1.0, 0.0) / 0.6) ** 2)
        ey = np.exp(-((y - self.my) / (0.45 * self.mw)) ** 2)
        return g, ey

    def wide(self, x, y):
        g, ey = self._stretch(x, y)
        return 0.10 * self.mw * g * ey, np.zeros_like(g)

    def round(self, x, y):
        g, ey = self._stretch(x, y)
        ex = np.exp(-((x - self.mx) / self.hm) ** 2)
        pout = np.clip((y - self.my) / (0.3 * self.mw), -1.0, 1.0) * ey * ex
        return -0.14 * self.mw * g * ey, 0.05 * self.mw * pout

    def bite(self, x, y):
        bump = (np.exp(-((x - self.mx) / (0.9 * self.hm)) ** 2)
                * np.exp(-((y - self.lower_mid) / (1.2 * self.lower_thick)) ** 2))
        dy = -0.55 * self.lower_thick * self.below_seam(x, y) * bump
        return np.zeros_like(dy), dy

    def smile(self, x, y):
        dx = np.zeros(np.broadcast(x, y).shape, np.float64)
        dy = np.zeros_like(dx)
        sigma = 0.3 * self.mw
        for (cx, cy), side in zip(self.rig.mouth_corners, (-1.0, 1.0)):
            g = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma))
            dx += side * 0.035 * self.mw * g
            dy -= 0.07 * self.mw * g
        return dx, dy

    def blink(self, x, y):
        """The upper lid slides down to the lower lid, stretching the skin under the brow."""
        dy = np.zeros(np.broadcast(x, y).shape, np.float64)
        for eye, brow in ((self.rig.left_eye, self.rig.left_brow),
                          (self.rig.right_eye, self.rig.right_brow)):
            y_u = _interp(x, eye.upper[:, 0], eye.upper[:, 1])
            y_l = _interp(x, eye.lower[:, 0], eye.lower[:, 1])
            h = np.maximum(y_l - y_u, 0.0)
            ecx = float(eye.upper[:, 0].mean())
            ew = max(eye.width, 2.0)
            wx = 1.0 - _smooth((np.abs(x - ecx) - ew / 2) / (0.2 * ew))
            reach = max(0.8 * float(eye.upper[4, 1] - brow[:, 1].mean()), 1.6 * eye.opening, 2.0)
            # right above the lashes the lid follows the lid gap h(x); higher up the skin moves
            # evenly (by the mean gap), so the crease and brow keep their shape
            broad = eye.opening * (1.0 - _smooth((np.abs(x - ecx) - 0.25 * ew) / (0.6 * ew)))
            q = _smooth((y_u - y) / (0.4 * reach))
            above = (h * wx * (1.0 - q) + 0.7 * broad * q) * (1.0 - _smooth((y_u - y) / reach))
            under = h * wx * (1.0 - _smooth((y - y_l - 0.5) / 1.5))
            dy += np.where(y < y_u, above, under)
        return np.zeros_like(dy), dy


@dataclass(frozen=True, slots=True, eq=False)
class _Basis:
    rows: slice           # where the field is not zero, within the patch
    cols: slice
    dx: np.ndarray | None  # float32, None where zero
    dy: np.ndarray | None


@dataclass(frozen=True, slots=True, eq=False)
class _Lid:
    line: np.ndarray      # (12, 2) the open upper lid, canvas pixels
    gap: np.ndarray       # (12,) distance down to the lower lid
    skin: np.ndarray      # RGB float32
    at: np.ndarray        # eye centre, canvas pixels
    ix: int               # eye centre in the patch, for the head-motion mask
    iy: int
    width: float


class PhotoAnimator:
    """Animates an avatar pack's portrait. `pack` is an avatars.pack.AvatarPack (or anything
    with `image` and `landmarks`)."""

    def __init__(self, pack, *, height: int, fps: float, seed: int = 0):
        src = np.asarray(pack.image)
        sh, sw = src.shape[:2]
        self.height = int(height)
        self.width = max(2, int(round(sw * self.height / sh)))
        sx, sy = self.width / sw, self.height / sh
        interp = cv2.INTER_AREA if sy < 1 else cv2.INTER_CUBIC
        self._rgb = np.ascontiguousarray(cv2.resize(src, (self.width, self.height),
                                                    interpolation=interp))
        self._base = Layer(cv2.cvtColor(self._rgb, cv2.COLOR_RGB2RGBA))
        self.rig = Rig.from_landmarks(pack.landmarks).scaled(sx, sy)
        self._fields = FaceFields(self.rig)
        self._motion = IdleMotion(fps=fps, seed=seed)
        self._ease = min(1.0, 6.0 / fps)      # expressions settle in about 1/6 s
        self._smile = 0.0
        self._recent: OrderedDict[int, tuple[PresenterFrame, tuple[int, int, int, int]]] = \
            OrderedDict()
        self._build()

    # ---- set-up -------------------------------------------------------------------------------
    def _build(self) -> None:
        f, rig = self._fields, self.rig
        x0, y0, x1, y1 = rig.face_box
        fw, fh = f.face_w, f.face_h
        px0 = max(0, int(x0 - 0.3 * fw))
        px1 = min(self.width, int(math.ceil(x1 + 0.3 * fw)))
        py0 = max(0, int(y0 - 0.25 * fh))
        py1 = min(self.height, int(math.ceil(y1 + 0.45 * fh)))
        self._box = (px0, py0, px1, py1)
        gx, gy = np.meshgrid(np.arange(px0, px1, dtype=np.float32),
                             np.arange(py0, py1, dtype=np.float32))
        self._gx, self._gy = gx, gy
        # every field fades to nothing at the patch border, so the patch meets the base unseen
        ramp_x, ramp_y = max(2.0, 0.1 * (px1 - px0)), max(2.0, 0.1 * (py1 - py0))
        border = (_smooth(np.minimum(gx - px0, px1 - 1 - gx) / ramp_x)
                  * _smooth(np.minimum(gy - py0, py1 - 1 - gy) / ramp_y)).astype(np.float32)
        self._bases: dict[str, _Basis] = {}
        for name in SHAPES:
            dx, dy = getattr(f, name)(gx.astype(np.float64), gy.astype(np.float64))
            self._bases[name] = self._as_basis(dx * border, dy * border)
        # head motion: the face region moves as one, softly masked
        oval = np.zeros(gx.shape, np.uint8)
        cv2.fillPoly(oval, [np.round(rig.face_oval - (px0, py0)).astype(np.int32)], 255)
        sigma = max(1.0, 0.12 * fw)
        mask = cv2.GaussianBlur(oval.astype(np.float32) / 255.0, (0, 0), sigma)
        mask = np.clip(mask * 1.6, 0.0, 1.0) * border
        self._pivot = (float(rig.chin[0]), float(rig.chin[1] + 0.3 * fh))
        self._mask = mask
        self._mask_ry = mask * (gy - self._pivot[1])
        self._mask_rx = mask * (gx - self._pivot[0])
        # the same fields at the lips, to place the painted mouth
        up, lo = rig.lips_inner_upper, rig.lips_inner_lower
        probe = 1.5 * f.t_in
        self._lip_points = np.concatenate([up, lo, rig.lips_outer_upper, rig.lips_outer_lower])
        probes = self._lip_points.astype(np.float64).copy()
        n = len(up)
        probes[:n, 1] -= probe
        probes[n:2 * n, 1] += probe
        self._lip_moves = {}
        for name in SHAPES:
            dx, dy = getattr(f, name)(probes[:, 0], probes[:, 1])
            self._lip_moves[name] = np.stack([dx, dy], axis=1).astype(np.float32)
        ix = np.clip(np.round(self._lip_points[:, 0]).astype(int) - px0, 0, px1 - px0 - 1)
        iy = np.clip(np.round(self._lip_points[:, 1]).astype(int) - py0, 0, py1 - py0 - 1)
        self._lip_mask = mask[iy, ix]
        self._lids = [self._lid(eye, px0, py0) for eye in (rig.left_eye, rig.right_eye)]

    def _lid(self, eye, px0: int, py0: int) -> "_Lid":
        xs = np.linspace(eye.upper[:, 0].min(), eye.upper[:, 0].max(), 12)
        top = _interp(xs, eye.upper[:, 0], eye.upper[:, 1])
        bottom = _interp(xs, eye.lower[:, 0], eye.lower[:, 1])
        # the lid's own colour: the skin in a band above the lashes, middle of the eye
        ew = max(eye.width, 2.0)
        cx, cy = float(xs.mean()), float(top.min())
        band = self._rgb[max(0, int(cy - 0.25 * ew)):max(1, int(cy - 0.06 * ew)),
                         max(0, int(cx - 0.3 * ew)):int(cx + 0.3 * ew) + 1]
        skin = (np.median(band.reshape(-1, 3), axis=0) if band.size
                else self._rgb[int(cy), int(cx)]).astype(np.float32)
        at = np.array([cx, cy], np.float32)
        ix = int(np.clip(round(cx) - px0, 0, self._mask.shape[1] - 1))
        iy = int(np.clip(round(cy) - py0, 0, self._mask.shape[0] - 1))
        return _Lid(np.stack([xs, top], 1).astype(np.float32),
                    np.maximum(bottom - top, 0.0).astype(np.float32), skin, at, ix, iy, ew)

    @staticmethod
    def _as_basis(dx: np.ndarray, dy: np.ndarray) -> _Basis:
        live = (np.abs(dx) > 0.01) | (np.abs(dy) > 0.01)
        if not live.any():
            return _Basis(slice(0, 0), slice(0, 0), None, None)
        rows, cols = np.flatnonzero(live.any(axis=1)), np.flatnonzero(live.any(axis=0))
        r, c = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
        keep = lambda a: (np.ascontiguousarray(a[r, c], dtype=np.float32)
                          if np.abs(a).max() > 0.01 else None)
        return _Basis(r, c, keep(dx), keep(dy))

    # ---- frames -------------------------------------------------------------------------------
    def frames(self, drives: Iterable[FaceDrive]) -> Iterator[PresenterFrame]:
        for drive in drives:
            yield self.render(drive, self._motion.step(drive.speaking))

    def render(self, drive: FaceDrive, pose: Pose) -> PresenterFrame:
        """One frame for a drive and an explicit pose (frames() takes poses from IdleMotion)."""
        m = drive.mouth
        target = {"smile": 1.0, "serious": -0.4}.get(drive.expression, 0.0)
        self._smile += (target - self._smile) * self._ease
        weights = {"open": m.open, "wide": m.wide, "round": m.round, "bite": m.bite,
                   "smile": self._smile, "blink": LID_WARP * pose.blink}
        weights = {k: float(np.clip(v, -1.0, 1.0)) for k, v in weights.items()}
        f = self._fields
        tx = math.radians(pose.yaw) * 0.5 * f.face_w
        ty = math.radians(pose.pitch) * 0.45 * f.face_h + pose.breath * 0.004 * f.face_h
        roll = math.radians(pose.roll)

        dx = cv2.addWeighted(self._mask, tx, self._mask_ry, -roll, 0.0)
        dy = cv2.addWeighted(self._mask, ty, self._mask_rx, roll, 0.0)
        for name, w in weights.items():
            if abs(w) < 1e-3:
                continue
            b = self._bases[name]
            if b.dx is not None:
                dx[b.rows, b.cols] += w * b.dx
            if b.dy is not None:
                dy[b.rows, b.cols] += w * b.dy
        np.subtract(self._gx, dx, out=dx)
        np.subtract(self._gy, dy, out=dy)
        patch = cv2.remap(self._rgb, dx, dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

        # where the lips went: their own fields plus the head motion
        pts = self._lip_points.copy()
        for name, w in weights.items():
            if abs(w) >= 1e-3:
                pts += w * self._lip_moves[name]
        px, py = self._pivot
        mk = self._lip_mask
        pts[:, 0] += mk * (tx - roll * (self._lip_points[:, 1] - py))
        pts[:, 1] += mk * (ty + roll * (self._lip_points[:, 0] - px))
        x0, y0 = self._box[:2]
        n = len(self.rig.lips_inner_upper)
        inner_up, inner_lo = pts[:n] - (x0, y0), pts[n:2 * n] - (x0, y0)
        self._paint_mouth(patch, inner_up, inner_lo, weights["open"], weights["bite"])
        if pose.blink > 0.02:
            for lid in self._lids:
                shift = self._mask[lid.iy, lid.ix] * np.array(
                    [tx - roll * (lid.at[1] - py), ty + roll * (lid.at[0] - px)], np.float32)
                self._paint_lid(patch, lid, pose.blink, shift - (x0, y0))

        frame = PresenterFrame(base=self._base,
                               patch=Layer(cv2.cvtColor(patch, cv2.COLOR_RGB2RGBA), x0, y0))
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = 0.1 * f.mw
        box = (max(0, int(lo[0] - pad)), max(0, int(lo[1] - pad)),
               min(self.width, int(math.ceil(hi[0] + pad))),
               min(self.height, int(math.ceil(hi[1] + pad))))
        self._recent[id(frame)] = (frame, box)
        while len(self._recent) > 16:
            self._recent.popitem(last=False)
        return frame

    def mouth_region(self, frame: PresenterFrame) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) around the lips in canvas pixels, for one of the last 16 frames this
        animator made; for any other frame, the box the mouth can reach at all."""
        known = self._recent.get(id(frame))
        if known is not None and known[0] is frame:
            return known[1]
        f = self._fields
        lips = np.concatenate([self.rig.lips_outer_upper, self.rig.lips_outer_lower])
        lo, hi = lips.min(axis=0), lips.max(axis=0)
        reach = 0.15 * f.mw + 0.05 * f.face_h
        return (max(0, int(lo[0] - reach)), max(0, int(lo[1] - reach)),
                min(self.width, int(math.ceil(hi[0] + reach))),
                min(self.height, int(math.ceil(hi[1] + f.jaw_drop + reach))))

    # ---- closing eyelids --------------------------------------------------------------------------
    def _paint_lid(self, patch: np.ndarray, lid: _Lid, blink: float, shift: np.ndarray) -> None:
        """Paint the lid from the (partly warped) lash line down to where the blink puts it."""
        top = lid.line + shift
        top[:, 1] += LID_WARP * blink * lid.gap - 0.08 * lid.width   # cover the warped lashes
        low = lid.line + shift
        low[:, 1] += blink * lid.gap + 0.5
        allp = np.concatenate([top, low])
        h, w = patch.shape[:2]
        bx0, by0 = max(0, int(allp[:, 0].min()) - 2), max(0, int(allp[:, 1].min()) - 2)
        bx1 = min(w, int(math.ceil(allp[:, 0].max())) + 3)
        by1 = min(h, int(math.ceil(allp[:, 1].max())) + 3)
        if bx1 - bx0 < 2 or by1 - by0 < 2:
            return
        cover = np.zeros((by1 - by0, bx1 - bx0), np.uint8)
        poly = np.round((np.concatenate([top, low[::-1]]) - (bx0, by0)) * 8).astype(np.int32)
        cv2.fillPoly(cover, [poly], 255, lineType=cv2.LINE_AA, shift=3)
        lash = np.zeros_like(cover)
        thick = max(1, int(round(0.035 * lid.width)))
        cv2.polylines(lash, [np.round((low[1:-1] - (bx0, by0)) * 8).astype(np.int32)], False, 255,
                      thickness=thick, lineType=cv2.LINE_AA, shift=3)
        cover = cv2.GaussianBlur(cover, (3, 3), 0.6).astype(np.float32)[..., None] / 255.0
        lash = lash.astype(np.float32)[..., None] / 255.0 * (0.75 * float(_smooth(blink / 0.6)))
        yy = np.arange(by0, by1, dtype=np.float32)[:, None, None]
        v = _smooth((yy - float(top[:, 1].min())) / max(float(low[:, 1].max() - top[:, 1].min()), 1.0))
        lid_rgb = lid.skin * (1.04 - 0.16 * v)
        region = patch[by0:by1, bx0:bx1].astype(np.float32)
        region += (lid_rgb - region) * cover * float(_smooth(blink / 0.1))
        region += (LASHES - region) * lash
        patch[by0:by1, bx0:bx1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)

    # ---- the inside of the mouth ----------------------------------------------------------------
    def _paint_mouth(self, patch: np.ndarray, upper: np.ndarray, lower: np.ndarray,
                     opening: float, bite: float) -> None:
        show = float(_smooth(opening / 0.15))
        if show <= 0.0 and bite < 1e-3:
            return
        f = self._fields
        gap = np.maximum(lower[:, 1] - upper[:, 1], 0.0)
        teeth_h = np.minimum(0.45 * gap, 0.11 * f.mw) * float(_smooth((gap.max() - 2.0) / 4.0))
        bite_h = bite * 0.6 * f.lower_thick * np.exp(-((upper[:, 0] - upper[:, 0].mean())
                                                       / f.hm) ** 2)
        teeth_h = np.maximum(teeth_h, bite_h)
        band_low = upper + np.stack([np.zeros_like(teeth_h), teeth_h], axis=1)
        allp = np.concatenate([upper, lower, band_low])
        h, w = patch.shape[:2]
        bx0 = max(0, int(allp[:, 0].min()) - 3)
        by0 = max(0, int(allp[:, 1].min()) - 3)
        bx1 = min(w, int(math.ceil(allp[:, 0].max())) + 4)
        by1 = min(h, int(math.ceil(allp[:, 1].max())) + 4)
        if bx1 - bx0 < 2 or by1 - by0 < 2:
            return
        size = (by1 - by0, bx1 - bx0)

        def coverage(poly: np.ndarray) -> np.ndarray:
            canvas = np.zeros(size, np.uint8)
            fixed = np.round((poly - (bx0, by0)) * 8).astype(np.int32)
            cv2.fillPoly(canvas, [fixed], 255, lineType=cv2.LINE_AA, shift=3)
            return cv2.GaussianBlur(canvas, (3, 3), 0.7).astype(np.float32) / 255.0

        mouth = coverage(np.concatenate([upper, lower[::-1]]))
        band = coverage(np.concatenate([upper, band_low[::-1]]))
        yy, xx = np.mgrid[by0:by1, bx0:bx1].astype(np.float32)
        cx = float(upper[:, 0].mean())
        half = max(float(upper[:, 0].max() - upper[:, 0].min()) / 2, 1.0)
        side = np.clip(1.0 - 0.5 * ((xx - cx) / half) ** 2, 0.4, 1.0)[..., None]
        top, bottom = float(upper[:, 1].min()), float(lower[:, 1].max())
        v = _smooth((yy - top) / max(bottom - top, 1.0))[..., None]
        cavity = (CAVITY_TOP + (CAVITY_BOTTOM - CAVITY_TOP) * v) * side
        teeth = TEETH * (0.65 + 0.35 * side)
        region = patch[by0:by1, bx0:bx1].astype(np.float32)
        a = (mouth * show)[..., None]
        region = region + (cavity - region) * a
        t = (band * np.maximum(mouth * show, min(1.0, bite * 2.0)))[..., None]
        region = region + (teeth - region) * t
        patch[by0:by1, bx0:bx1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
