"""Anti-aliased vector drawing for illustrated characters.

A `Sketch` is a supersampled RGBA canvas (premultiplied float32) addressed in *design units*:
shapes are rasterised by Pillow at `scale` times the output size, painted with alpha-over,
softened with Gaussian blur where shading needs it, and box-filtered down to the output size,
which gives clean anti-aliased edges. Masks carry their own bounding box, so painting a small
shape on a large canvas only touches the pixels it covers.

`paint_over` and `straight_rgba` are the RGBA kit itself: the one alpha-over of a colour
through a coverage mask onto a premultiplied surface, and the one way such a surface becomes
straight-alpha uint8. The studio's `Canvas` (anchor/studio/graphics.py) draws with them too;
they live here because avatars may import nothing of anchor's studio, while it may import them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Color = tuple[int, int, int]


# ---------------------------------------------------------------- the RGBA kit

def paint_over(rgb: np.ndarray, alpha: np.ndarray, coverage: np.ndarray, colour) -> None:
    """Lay `colour` (in the surface's colour units; a triple or an array broadcastable to the
    region) through `coverage` (0..1) over a premultiplied surface given as views of one region,
    in place."""
    keep = 1 - coverage
    rgb[...] = colour * coverage[..., None] + rgb * keep[..., None]
    alpha[...] = coverage + alpha * keep


def straight_rgba(rgb: np.ndarray, alpha: np.ndarray, *, full: float) -> np.ndarray:
    """A premultiplied surface whose colours run 0..`full` as straight-alpha RGBA uint8."""
    out = np.empty((*alpha.shape, 4), np.uint8)
    safe = np.where(alpha > 0, alpha, 1)[..., None]
    out[..., :3] = np.clip(rgb / safe * (255 / full) + 0.5, 0, 255)
    out[..., 3] = np.clip(alpha * 255 + 0.5, 0, 255)
    return out


# ---------------------------------------------------------------- curves

def spline(points: Sequence[Point], *, closed: bool = True, steps: int = 10) -> list[Point]:
    """A smooth Catmull-Rom curve through `points` (closed: back to the first one)."""
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    if n < 3:
        return [tuple(q) for q in p]
    if closed:
        idx = [(i + d) % n for i in range(n) for d in (-1, 0, 1, 2)]
        segs = p[idx].reshape(n, 4, 2)
    else:
        ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
        segs = np.stack([ext[i:i + 4] for i in range(n - 1)])
    t = np.linspace(0.0, 1.0, steps, endpoint=False)[:, None]
    t2, t3 = t * t, t * t * t
    out = []
    for p0, p1, p2, p3 in segs:
        c = 0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                   + (-p0 + 3 * p1 - 3 * p2 + p3) * t3)
        out.extend(map(tuple, c))
    if not closed:
        out.append(tuple(p[-1]))
    return out


def bezier(p0: Point, p1: Point, p2: Point, p3: Point | None = None, *, steps: int = 16) -> list[Point]:
    """A quadratic (three points) or cubic (four points) Bezier curve, end points included."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    a, b, c = (np.asarray(q, dtype=np.float64) for q in (p0, p1, p2))
    if p3 is None:
        pts = (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t ** 2 * c
    else:
        d = np.asarray(p3, dtype=np.float64)
        pts = (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * d
    return [tuple(q) for q in pts]


def mirror(points: Iterable[Point], cx: float) -> list[Point]:
    """Points reflected about the vertical line x = cx."""
    return [(2 * cx - x, y) for x, y in points]


def lerp_color(a: Color, b: Color, t: float) -> Color:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


# ---------------------------------------------------------------- masks

@dataclass(frozen=True, slots=True, eq=False)
class Mask:
    """Coverage in [0, 1] (float32) of a box of the hires canvas with top-left (x, y)."""
    alpha: np.ndarray
    x: int
    y: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        h, w = self.alpha.shape
        return self.x, self.y, self.x + w, self.y + h


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _window(m: Mask, box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return m.alpha[y0 - m.y:y1 - m.y, x0 - m.x:x1 - m.x]


def intersect(a: Mask, b: Mask) -> Mask:
    """Coverage of both (the product), over the box of `a`."""
    out = np.zeros_like(a.alpha)
    box = _overlap(a.box, b.box)
    if box:
        x0, y0, x1, y1 = box
        out[y0 - a.y:y1 - a.y, x0 - a.x:x1 - a.x] = _window(a, box) * _window(b, box)
    return Mask(out, a.x, a.y)


def subtract(a: Mask, b: Mask) -> Mask:
    """Coverage of `a` outside `b`."""
    out = a.alpha.copy()
    box = _overlap(a.box, b.box)
    if box:
        x0, y0, x1, y1 = box
        out[y0 - a.y:y1 - a.y, x0 - a.x:x1 - a.x] *= 1.0 - _window(b, box)
    return Mask(out, a.x, a.y)


def scaled(m: Mask, factor: float) -> Mask:
    return Mask(m.alpha * np.float32(factor), m.x, m.y)


# ---------------------------------------------------------------- canvas

class Sketch:
    """A supersampled RGBA canvas. `unit` is output pixels per design unit; `origin` is the
    design-unit point at the canvas' top-left corner."""

    def __init__(self, width: int, height: int, *, unit: float, scale: int = 4,
                 origin: Point = (0.0, 0.0)):
        self.width, self.height, self.scale = width, height, scale
        self.k = unit * scale                  # hires pixels per design unit
        self.ox, self.oy = origin[0] * self.k, origin[1] * self.k
        H, W = height * scale, width * scale
        self.rgb = np.zeros((H, W, 3), np.float32)   # premultiplied, 0..1
        self.a = np.zeros((H, W), np.float32)

    # -- geometry
    def px(self, pts: Iterable[Point]) -> list[tuple[float, float]]:
        k, ox, oy = self.k, self.ox, self.oy
        return [(x * k - ox, y * k - oy) for x, y in pts]

    def _raster(self, draw_fn, pts_px: list[tuple[float, float]], pad: float) -> Mask:
        xs = [p[0] for p in pts_px]
        ys = [p[1] for p in pts_px]
        H, W = self.a.shape
        x0 = max(0, int(np.floor(min(xs) - pad)) - 1)
        y0 = max(0, int(np.floor(min(ys) - pad)) - 1)
        x1 = min(W, int(np.ceil(max(xs) + pad)) + 2)
        y1 = min(H, int(np.ceil(max(ys) + pad)) + 2)
        if x1 <= x0 or y1 <= y0:
            return Mask(np.zeros((1, 1), np.float32), 0, 0)
        img = Image.new("L", (x1 - x0, y1 - y0), 0)
        draw_fn(ImageDraw.Draw(img), [(x - x0, y - y0) for x, y in pts_px])
        return Mask(np.asarray(img, np.float32) * np.float32(1 / 255), x0, y0)

    def polygon(self, pts: Sequence[Point]) -> Mask:
        return self._raster(lambda d, p: d.polygon(p, fill=255), self.px(pts), 0)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float) -> Mask:
        box = self.px([(cx - rx, cy - ry), (cx + rx, cy + ry)])
        return self._raster(lambda d, p: d.ellipse([p[0], p[1]], fill=255), box, 0)

    def circle(self, cx: float, cy: float, r: float) -> Mask:
        return self.ellipse(cx, cy, r, r)

    def stroke(self, pts: Sequence[Point], width: float | Sequence[float]) -> Mask:
        """A line through `pts` with round joins and caps; `width` in design units, either one
        value or one per point (a tapered stroke)."""
        pp = self.px(pts)
        ws = [width] * len(pp) if np.isscalar(width) else list(width)
        ws = [w * self.k for w in ws]

        def draw(d: ImageDraw.ImageDraw, p):
            for (xa, ya), (xb, yb), wa, wb in zip(p, p[1:], ws, ws[1:]):
                w = 0.5 * (wa + wb)
                d.line([(xa, ya), (xb, yb)], fill=255, width=max(1, int(round(w))))
            for (x, y), w in zip(p, ws):
                r = w / 2
                d.ellipse([x - r, y - r, x + r, y + r], fill=255)

        return self._raster(draw, pp, max(ws) / 2 + 1)

    def blur(self, m: Mask, sigma: float) -> Mask:
        """`m` softened with a Gaussian of `sigma` design units."""
        s = sigma * self.k
        pad = int(3 * s) + 1
        H, W = self.a.shape
        x0, y0 = max(0, m.x - pad), max(0, m.y - pad)
        x1, y1 = min(W, m.x + m.alpha.shape[1] + pad), min(H, m.y + m.alpha.shape[0] + pad)
        buf = np.zeros((y1 - y0, x1 - x0), np.float32)
        bx0, by0, bx1, by1 = _overlap((x0, y0, x1, y1), m.box)
        buf[by0 - y0:by1 - y0, bx0 - x0:bx1 - x0] = _window(m, (bx0, by0, bx1, by1))
        return Mask(cv2.GaussianBlur(buf, (0, 0), s), x0, y0)

    def shift(self, m: Mask, dx: float, dy: float) -> Mask:
        return Mask(m.alpha, m.x + int(round(dx * self.k)), m.y + int(round(dy * self.k)))

    def coverage(self) -> Mask:
        """What is drawn so far, as a mask."""
        return Mask(self.a.copy(), 0, 0)

    # -- painting
    def paint(self, m: Mask, color: Color, opacity: float = 1.0) -> None:
        box = _overlap(m.box, (0, 0, self.a.shape[1], self.a.shape[0]))
        if not box:
            return
        x0, y0, x1, y1 = box
        cov = _window(m, box)
        if opacity != 1.0:
            cov = cov * np.float32(opacity)
        paint_over(self.rgb[y0:y1, x0:x1], self.a[y0:y1, x0:x1], cov,
                   np.asarray(color, np.float32) / 255)

    def tint(self, m: Mask, color: Color, opacity: float = 1.0) -> None:
        """Paint only where something is already drawn (shading that keeps the silhouette)."""
        box = _overlap(m.box, (0, 0, self.a.shape[1], self.a.shape[0]))
        if not box:
            return
        x0, y0, x1, y1 = box
        cov = _window(m, box) * np.float32(opacity)
        a = self.a[y0:y1, x0:x1]
        col = np.asarray(color, np.float32) / 255
        self.rgb[y0:y1, x0:x1] += (cov * a)[..., None] * col - cov[..., None] * self.rgb[y0:y1, x0:x1]

    def fade_rows(self, y_start: float, y_end: float) -> None:
        """Fade the drawing out, fully opaque at design y `y_start` to transparent at `y_end`."""
        H = self.a.shape[0]
        ys = (np.arange(H, dtype=np.float32) + self.oy) / self.k
        ramp = np.clip((y_end - ys) / (y_end - y_start), 0, 1).astype(np.float32)
        ramp = ramp * ramp * (3 - 2 * ramp)
        self.a *= ramp[:, None]
        self.rgb *= ramp[:, None, None]

    # -- copies and output
    def copy(self) -> "Sketch":
        out = Sketch.__new__(Sketch)
        out.width, out.height, out.scale, out.k, out.ox, out.oy = (
            self.width, self.height, self.scale, self.k, self.ox, self.oy)
        out.rgb, out.a = self.rgb.copy(), self.a.copy()
        return out

    def crop(self, x0: int, y0: int, x1: int, y1: int) -> "Sketch":
        """A new sketch of output pixels [x0, x1) x [y0, y1) of this one, drawable the same way."""
        s = self.scale
        out = Sketch.__new__(Sketch)
        out.width, out.height, out.scale, out.k = x1 - x0, y1 - y0, s, self.k
        out.ox, out.oy = self.ox + x0 * s, self.oy + y0 * s
        out.rgb = self.rgb[y0 * s:y1 * s, x0 * s:x1 * s].copy()
        out.a = self.a[y0 * s:y1 * s, x0 * s:x1 * s].copy()
        return out

    def image(self) -> np.ndarray:
        """The output-size RGBA uint8 image with straight alpha."""
        size = (self.width, self.height)
        rgb = cv2.resize(self.rgb, size, interpolation=cv2.INTER_AREA)
        a = cv2.resize(self.a, size, interpolation=cv2.INTER_AREA)
        return straight_rgba(rgb, a, full=1.0)


def bleed(rgba: np.ndarray, passes: int = 4) -> np.ndarray:
    """Give fully transparent pixels the colour of their visible neighbours (in place), so
    bilinear resampling near an edge never drags in black."""
    a = rgba[..., 3].astype(np.float32) / 255
    rgb = rgba[..., :3].astype(np.float32) * a[..., None]
    acc_rgb, acc_a = rgb, a
    for _ in range(passes):
        acc_rgb = cv2.blur(acc_rgb, (5, 5))
        acc_a = cv2.blur(acc_a, (5, 5))
    hole = rgba[..., 3] == 0
    fill = acc_rgb / np.maximum(acc_a, 1e-6)[..., None]
    rgba[..., :3][hole] = np.clip(fill[hole], 0, 255).astype(np.uint8)
    return rgba
