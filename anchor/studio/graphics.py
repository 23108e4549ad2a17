"""Drawing for the program picture: fonts, text layout, anti-aliased shapes and fast "over" blending.

Everything here is pure: no caches shared between callers, no wall time. Overlays are drawn once
into a premultiplied float `Canvas` (painted with the RGBA kit of avatars/drawing.py, which the
presenter's drawing shares) and turned into a `Sprite`, which keeps the per-pixel weights ready
so that blending it again (every frame, over a small region) costs one OpenCV call.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from anchor.errors import AnchorError
from anchor.text.chars import is_wide_cjk as is_cjk   # a line may break around it
from avatars.drawing import paint_over, straight_rgba

log = logging.getLogger(__name__)

FONT_DIRS = (
    "/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
    "/Library/Fonts", "/System/Library/Fonts", "C:/Windows/Fonts",
)
# Preferred files, best first: Noto Sans CJK covers Latin and Chinese; DejaVu only Latin.
CJK_FILES = {
    "regular": ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf",
                "NotoSansSC-Regular.ttf", "NotoSansCJK-Medium.ttc"),
    "bold": ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "NotoSansSC-Bold.otf",
             "NotoSansSC-Bold.ttf", "NotoSansCJK-Black.ttc", "NotoSansCJK-Medium.ttc"),
}
LATIN_FILES = {"regular": ("DejaVuSans.ttf",), "bold": ("DejaVuSans-Bold.ttf",)}


@dataclass(frozen=True, slots=True)
class FontFile:
    """A font face on disk; `path` None means Pillow's built-in font."""
    path: str | None
    index: int = 0
    cjk: bool = False


def _font_files(dirs: tuple[str, ...]) -> dict[str, str]:
    """Lower-cased file name -> first path found under the given directories."""
    found: dict[str, str] = {}
    for top in dirs:
        top = os.path.expanduser(top)
        if not os.path.isdir(top):
            continue
        for root, _dirs, files in os.walk(top):
            for name in files:
                found.setdefault(name.lower(), os.path.join(root, name))
    return found


def _simplified_chinese_index(path: str) -> int:
    """In a CJK collection, the index of the Simplified Chinese face (Chinese glyph forms)."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(10):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if family and family.endswith(" SC") and "Mono" not in family:
            return index
    return 0


def find_font(weight: str = "regular", *, dirs: tuple[str, ...] = FONT_DIRS) -> FontFile:
    """Find a sans-serif face: Noto Sans CJK, else DejaVu Sans, else Pillow's built-in font."""
    files = _font_files(dirs)
    for name in CJK_FILES[weight]:
        path = files.get(name.lower())
        if path:
            return FontFile(path, _simplified_chinese_index(path), cjk=True)
    for name in LATIN_FILES[weight]:
        path = files.get(name.lower())
        if path:
            return FontFile(path)
    return FontFile(None)


class FontBook:
    """The program's two faces (regular, bold), loaded per pixel size on demand."""

    def __init__(self, *, dirs: tuple[str, ...] = FONT_DIRS):
        self.regular = find_font("regular", dirs=dirs)
        self.bold = find_font("bold", dirs=dirs)
        if self.bold.path is None and self.regular.path is not None:
            self.bold = self.regular
        if not self.regular.cjk:
            where = self.regular.path or "Pillow's built-in font"
            log.warning("no Noto Sans CJK font found (using %s): Chinese text needs a CJK font, "
                        "e.g. the fonts-noto-cjk package", where)
        self._loaded: dict[tuple[int, bool], ImageFont.FreeTypeFont] = {}

    @property
    def covers_cjk(self) -> bool:
        return self.regular.cjk

    def font(self, size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
        size = max(int(size), 4)
        key = (size, bold)
        if key not in self._loaded:
            face = self.bold if bold else self.regular
            if face.path is None:
                self._loaded[key] = ImageFont.load_default(size)
            else:
                self._loaded[key] = ImageFont.truetype(face.path, size, index=face.index)
        return self._loaded[key]


# ---- text layout ---------------------------------------------------------------------------

CLOSING = set("，。、；：？！）」』】》〉〕…”’,.;:?!)]}%")   # may not start a line
OPENING = set("（「『【《〈〔“‘([{")                        # may not end a line


def _may_break_before(prev: str, ch: str) -> bool:
    if ch in CLOSING or prev in OPENING or ch.isspace():
        return False
    if prev.isspace() or is_cjk(prev) or is_cjk(ch):
        return True
    return prev == "-" and ch.isalnum()


def break_units(text: str) -> list[str]:
    """Split text into the pieces a line may not break inside: a Latin word with its trailing
    spaces, or one CJK character with the punctuation glued to it."""
    units: list[str] = []
    for ch in " ".join(text.split()):
        if units and not _may_break_before(units[-1][-1], ch):
            units[-1] += ch
        else:
            units.append(ch)
    return units


def text_width(font: ImageFont.FreeTypeFont, text: str) -> float:
    return font.getlength(text)


def _split_long(units: list[str], font, max_width: float) -> list[str]:
    out: list[str] = []
    for unit in units:
        if text_width(font, unit.rstrip()) <= max_width:
            out.append(unit)
        else:
            out.extend(unit)   # a word wider than a line breaks between its characters
    return out


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: float, *,
              balance: bool = True) -> list[str]:
    """Greedy line breaking that respects CJK rules; two-line results are balanced so that the
    longer line is as short as possible (the subtitle look)."""
    units = _split_long(break_units(text), font, max_width)
    lines: list[str] = []
    current = ""
    for unit in units:
        if current and text_width(font, (current + unit).rstrip()) > max_width:
            lines.append(current.rstrip())
            current = unit
        else:
            current += unit
    if current.strip():
        lines.append(current.rstrip())
    if balance and len(lines) == 2:
        best, best_width = lines, max(text_width(font, line) for line in lines)
        for cut in range(1, len(units)):
            first, second = "".join(units[:cut]).rstrip(), "".join(units[cut:]).rstrip()
            width = max(text_width(font, first), text_width(font, second))
            if width < best_width:
                best, best_width = [first, second], width
        lines = best
    return lines


def ellipsize(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    """Cut text at the end so that it plus an ellipsis fits max_width."""
    if text_width(font, text) <= max_width:
        return text
    while text and text_width(font, text.rstrip() + "…") > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def text_mask(text: str, font: ImageFont.FreeTypeFont) -> tuple[np.ndarray, int, int]:
    """Anti-aliased coverage (float32 0..1) of text, and the offset of its top-left corner from
    the pen position on the baseline."""
    left, top, right, bottom = font.getbbox(text, anchor="ls")
    w, h = max(right - left, 1), max(bottom - top, 1)
    image = Image.new("L", (w, h), 0)
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=255, anchor="ls")
    return np.asarray(image, dtype=np.float32) * (1 / 255), left, top


def cap_height(font: ImageFont.FreeTypeFont, text: str = "H") -> int:
    """Rows of rendered ink above the baseline (coverage >= 50%), measured from pixels."""
    mask, _left, top = text_mask(text, font)
    rows = np.flatnonzero((mask >= 0.5).any(axis=1))
    if rows.size == 0:
        return 0
    return int(min(rows[-1] + 1, -top) - rows[0])


# ---- shapes and colours --------------------------------------------------------------------

def parse_colour(text: str, *, field: str = "colour") -> tuple[int, int, int]:
    """'#rrggbb' or '#rgb' -> (r, g, b)."""
    digits = text.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    try:
        if not text.strip().startswith("#") or len(digits) != 6:
            raise ValueError
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        raise AnchorError(f"{field}: {text!r} is not a colour like '#1b2a41'") from None


def rounded_rect_mask(w: int, h: int, radius: float) -> np.ndarray:
    """Anti-aliased coverage (float32 0..1) of a w x h rectangle with rounded corners."""
    radius = max(0.0, min(radius, w / 2, h / 2))
    ys = np.abs(np.arange(h, dtype=np.float32) + 0.5 - h / 2)[:, None]
    xs = np.abs(np.arange(w, dtype=np.float32) + 0.5 - w / 2)[None, :]
    qx = xs - (w / 2 - radius)
    qy = ys - (h / 2 - radius)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    inside = np.minimum(np.maximum(qx, qy), 0)
    distance = outside + inside - radius
    return np.clip(0.5 - distance, 0, 1).astype(np.float32)


def vertical_gradient(h: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    """An h x 1 x 3 colour ramp, for Canvas.paint."""
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t


class Canvas:
    """A small RGBA drawing surface, premultiplied float32, composited with 'over'."""

    def __init__(self, w: int, h: int):
        self.w, self.h = int(w), int(h)
        self.rgb = np.zeros((self.h, self.w, 3), np.float32)   # premultiplied, 0..255
        self.alpha = np.zeros((self.h, self.w), np.float32)    # 0..1

    def paint(self, coverage: np.ndarray, colour, x: int = 0, y: int = 0,
              opacity: float = 1.0) -> None:
        """Lay `colour` (an RGB triple or an array broadcastable to the mask) through a coverage
        mask whose top-left corner is at (x, y)."""
        mh, mw = coverage.shape
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + mw, self.w), min(y + mh, self.h)
        if x0 >= x1 or y0 >= y1:
            return
        a = coverage[y0 - y:y1 - y, x0 - x:x1 - x] * opacity
        colour = np.asarray(colour, np.float32)
        if colour.ndim == 3:   # e.g. a gradient, laid out like the mask (or broadcastable)
            rows = slice(y0 - y, y1 - y) if colour.shape[0] > 1 else slice(None)
            cols = slice(x0 - x, x1 - x) if colour.shape[1] > 1 else slice(None)
            colour = colour[rows, cols]
        paint_over(self.rgb[y0:y1, x0:x1], self.alpha[y0:y1, x0:x1], a, colour)

    def rounded_rect(self, x: int, y: int, w: int, h: int, radius: float, colour,
                     opacity: float = 1.0) -> None:
        self.paint(rounded_rect_mask(w, h, radius), colour, x, y, opacity)

    def shadow(self, x: int, y: int, w: int, h: int, radius: float, *, blur: float,
               opacity: float = 0.45) -> None:
        """A soft drop shadow under a rounded rectangle."""
        pad = int(blur * 3) + 1
        mask = np.pad(rounded_rect_mask(w, h, radius), pad)
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
        self.paint(mask, (0, 0, 0), x - pad, y - pad, opacity)

    def text(self, text: str, font: ImageFont.FreeTypeFont, x: float, baseline: float, colour,
             *, opacity: float = 1.0, shadow: float = 0.0) -> None:
        """Draw text with its pen at (x, baseline); `shadow` > 0 adds a soft dark shadow offset
        by that many pixels."""
        mask, left, top = text_mask(text, font)
        px, py = int(round(x)) + left, int(round(baseline)) + top
        if shadow > 0:
            pad = int(shadow * 3) + 1
            soft = cv2.GaussianBlur(np.pad(mask, pad), (0, 0), shadow)
            offset = int(round(shadow * 0.6))
            self.paint(soft, (0, 0, 0), px - pad + offset, py - pad + offset, 0.75 * opacity)
        self.paint(mask, colour, px, py, opacity)

    def place(self, other: "Canvas", x: int, y: int, *, clip: np.ndarray | None = None,
              opacity: float = 1.0) -> None:
        """Composite another canvas over this one with its top-left corner at (x, y), through
        an optional coverage mask of its size (e.g. a rounded panel clipping its contents)."""
        if x < 0 or y < 0 or x + other.w > self.w or y + other.h > self.h:
            raise ValueError("Canvas.place: the placed canvas must lie inside this one")
        scale = np.full((other.h, other.w), opacity, np.float32) if clip is None else clip * opacity
        a = other.alpha * scale
        view = (slice(y, y + other.h), slice(x, x + other.w))
        self.rgb[view] = other.rgb * scale[..., None] + self.rgb[view] * (1 - a)[..., None]
        self.alpha[view] = a + self.alpha[view] * (1 - a)

    def rgba(self) -> np.ndarray:
        """Straight-alpha RGBA uint8."""
        return straight_rgba(self.rgb, self.alpha, full=255.0)


# ---- blending ------------------------------------------------------------------------------

def clip_rect(x: int, y: int, w: int, h: int, bound_x: int, bound_y: int, bound_w: int,
              bound_h: int) -> tuple[int, int, int, int] | None:
    """The part of (x, y, w, h) inside the bound, as (x0, y0, x1, y1), or None."""
    x0, y0 = max(x, bound_x), max(y, bound_y)
    x1, y1 = min(x + w, bound_x + bound_w), min(y + h, bound_y + bound_h)
    if x0 >= x1 or y0 >= y1:
        return None
    return x0, y0, x1, y1


def blend_rgba(dst: np.ndarray, rgba: np.ndarray) -> None:
    """dst (HxWx3 uint8, may be a view) = rgba (same HxW, straight alpha) over dst, rounded."""
    weight = cv2.multiply(rgba[..., 3], 1 / 255, dtype=cv2.CV_32F)
    colour = cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB)
    dst[...] = cv2.blendLinear(colour, dst, weight, cv2.subtract(1.0, weight))


class Sprite:
    """An RGBA overlay at a fixed program position, with its blend weights computed once."""
    __slots__ = ("image", "x", "y", "w", "h", "colour", "weight", "rest")

    def __init__(self, image: np.ndarray, x: int, y: int):
        self.image = image
        self.x, self.y = int(x), int(y)
        self.h, self.w = image.shape[:2]
        self.colour = np.ascontiguousarray(image[..., :3])
        self.weight = image[..., 3].astype(np.float32) * (1 / 255)
        self.rest = 1 - self.weight

    def blend_into(self, dst: np.ndarray, dst_x: int = 0, dst_y: int = 0) -> None:
        """Blend over dst, an image whose top-left pixel is program pixel (dst_x, dst_y)."""
        r = clip_rect(self.x, self.y, self.w, self.h, dst_x, dst_y, dst.shape[1], dst.shape[0])
        if r is None:
            return
        x0, y0, x1, y1 = r
        sy, sx = slice(y0 - self.y, y1 - self.y), slice(x0 - self.x, x1 - self.x)
        view = dst[y0 - dst_y:y1 - dst_y, x0 - dst_x:x1 - dst_x]
        view[...] = cv2.blendLinear(self.colour[sy, sx], view, self.weight[sy, sx],
                                    self.rest[sy, sx])
