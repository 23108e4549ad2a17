"""The studio: composes the program picture from the presenter and the on-screen graphics.

Layers, bottom to top: the background, the presenter (a base layer plus a per-frame patch), the
headline strap, the subtitle band, the product card, the channel title and the AI-generated label,
which is always on screen.

Speed: each overlay is drawn once per content into a `Sprite`. `plate_under` (background +
presenter base) is rebuilt only when the base layer object changes; `plate` (plate_under + all
overlays) when that or an overlay changes. A frame is a copy of the plate in which only the patch
box is redrawn: plate_under's pixels there, the patch over them, then the overlays that cross it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from anchor.errors import AnchorError
from anchor.media import AI_LABELS, Layer, PresenterFrame
from anchor.studio.graphics import (Canvas, FontBook, Sprite, blend_rgba, cap_height, clip_rect,
                                    ellipsize, is_cjk, parse_colour, rounded_rect_mask, text_mask,
                                    text_width, vertical_gradient, wrap_text)

LANGUAGES = ("en", "zh")
POSITIONS = ("right", "left", "center")
LABEL_HEIGHT = 0.05          # the label's text height, as a share of the frame's shorter side

# The house colours.
NAVY_TOP, NAVY_BOTTOM = (22, 46, 86), (10, 24, 48)
ACCENT = (214, 40, 57)        # news red
GOLD = (255, 201, 64)
WHITE = (255, 255, 255)
MUTED = (176, 190, 212)
INK = (12, 18, 30)            # the label pill


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in program pixels."""
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class ProductCard:
    name: str
    price_text: str = ""


@dataclass(frozen=True, slots=True)
class ProgramState:
    """What the graphics show in one frame. The strap (headline, with its source and segment
    tab) appears only when `headline` is set; the card only when `product` is set."""
    subtitle: str = ""
    headline: str = ""
    source: str = ""
    segment: str = ""
    product: ProductCard | None = None


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def presenter_box(width: int, height: int, position: str = "right", *,
                  canvas_width: int | None = None, canvas_height: int | None = None) -> Box:
    """Where the presenter canvas goes: full program height, 3:4 (0.75 x height wide), aligned
    right or left inside the 5% title-safe margin, or centred. Where a 3:4 canvas of full height
    does not fit (portrait programs), it takes the full width, keeps 3:4 and stands at the bottom.
    An animator with a canvas size of its own passes it in; that canvas stands at the bottom."""
    if position not in POSITIONS:
        raise AnchorError(f"presenter position: {position!r} is not one of {', '.join(POSITIONS)}")
    w, h = _even(0.75 * height), height
    if w > width:
        w = width - width % 2
        h = min(height, _even(w / 0.75))
    if canvas_width is not None or canvas_height is not None:
        w, h = int(canvas_width or w), int(canvas_height or h)
        if w <= 0 or h <= 0:
            raise AnchorError(f"presenter canvas: {w}x{h} has no area")
    margin = round(0.05 * width)
    if position == "center" or w + 2 * margin > width:
        x = (width - w) // 2
    elif position == "right":
        x = width - margin - w
    else:
        x = margin
    return Box(x, height - h, w, h)


def _read_background(spec: str, width: int, height: int, centre_x: float) -> np.ndarray:
    if spec.strip().startswith("#"):
        return _studio_backdrop(parse_colour(spec, field="studio background"), width, height,
                                centre_x)
    try:
        with Image.open(spec) as image:
            image = image.convert("RGB")
            scale = max(width / image.width, height / image.height)
            size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.LANCZOS)
            left, top = (size[0] - width) // 2, (size[1] - height) // 2
            return np.array(image.crop((left, top, left + width, top + height)), np.uint8)
    except (OSError, UnidentifiedImageError) as exc:
        raise AnchorError(f"studio background: cannot read image {spec!r} ({exc})") from None


def _studio_backdrop(colour: tuple[int, int, int], width: int, height: int,
                     centre_x: float) -> np.ndarray:
    """A flat colour made into a set: lighter at the top, a soft light behind the presenter,
    darker corners; ordered dither against banding."""
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    shade = 1.16 - 0.36 * ys                                        # vertical gradient
    dx, dy = (xs - 0.5) * width / height, ys - 0.5
    shade = shade * (1 - 0.32 * np.clip(dx * dx + dy * dy, 0, 1))   # vignette
    gx, gy = (xs - centre_x / width) * width / height, ys - 0.32
    glow = 0.22 * np.exp(-(gx * gx + gy * gy) / 0.09)               # key light on the back wall
    base = np.asarray(colour, np.float32)
    light = base * 0.55 + 255 * 0.45
    rgb = base * shade[..., None] + (light - base) * glow[..., None]
    bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32)
    dither = np.tile(bayer / 16 - 0.47, (height // 4 + 1, width // 4 + 1))[:height, :width]
    return np.clip(rgb + dither[..., None] + 0.5, 0, 255).astype(np.uint8)


class Studio:
    """Composes program frames (HxWx3 uint8 RGB) at width x height.

    `presenter_box` is where the presenter canvas sits (the animator renders at that size; the
    studio does not scale it). `background` is a colour '#rrggbb' or an image path (scaled to
    cover). The AI-generated label (`label_text`, or the language's default) is always shown.
    """

    def __init__(self, *, width: int, height: int, presenter_box: Box, background: str,
                 language: str, label_text: str | None = None, title: str = "",
                 subtitles: bool = True):
        if width < 64 or height < 64:
            raise AnchorError(f"studio size: {width}x{height} is too small (at least 64x64)")
        if language not in LANGUAGES:
            raise AnchorError(f"studio language: {language!r} is not one of {', '.join(LANGUAGES)}")
        if presenter_box.w <= 0 or presenter_box.h <= 0:
            raise AnchorError(f"presenter box: {presenter_box} has no area")
        if label_text is not None and not label_text.strip():
            raise AnchorError("studio label_text: the AI-generated label may not be empty")
        self.width, self.height = int(width), int(height)
        self.presenter_box = presenter_box
        self.language = language
        self.label_text = (label_text or AI_LABELS[language]).strip()
        self.title = title.strip()
        self.subtitles = subtitles            # False: no subtitle line (e.g. sidecar files only)
        self.fonts = FontBook()
        # Geometry shared by the overlays: the 5% title-safe margins and a size unit.
        self._short = min(self.width, self.height)
        self._mx, self._my = round(0.05 * self.width), round(0.05 * self.height)
        free_left = presenter_box.x
        free_right = self.width - presenter_box.x - presenter_box.w
        self._info_left = free_left >= free_right   # label and card go where the room is
        self._background = _read_background(background, self.width, self.height,
                                            presenter_box.x + presenter_box.w / 2)
        self._background.flags.writeable = False
        self._label = self._draw_label()
        self._title = self._draw_title()
        self._subtitle_size = round(0.047 * self._short)
        self._band_pad = round(0.016 * self._short)
        # Overlay cache: slot -> (content, sprite); the plates and what they were built from.
        self._slots: dict[str, tuple[object, Sprite | None]] = {}
        self._state: ProgramState | None = None
        self._sprites: list[Sprite] = []
        self._base: Layer | None = None
        self._under = np.empty((self.height, self.width, 3), np.uint8)
        self._plate = np.empty_like(self._under)

    # ---- public --------------------------------------------------------------------------

    @property
    def background(self) -> np.ndarray:
        """The background picture (read-only HxWx3 uint8)."""
        return self._background

    @property
    def label_box(self) -> Box:
        """Where the AI-generated label pill is (its shadow excluded)."""
        return self._label_box

    def overlays(self, state: ProgramState) -> tuple[Layer, ...]:
        """The graphics for a state as RGBA layers in program coordinates, bottom to top."""
        self._update_overlays(state)
        return tuple(Layer(s.image, s.x, s.y) for s in self._sprites)

    def compose(self, frame: PresenterFrame, state: ProgramState = ProgramState()) -> np.ndarray:
        """One program frame, a new HxWx3 uint8 RGB array."""
        dirty = self._update_overlays(state)
        if frame.base is not self._base:
            self._build_under(frame.base)
            dirty = True
        if dirty:
            np.copyto(self._plate, self._under)
            for sprite in self._sprites:
                sprite.blend_into(self._plate)
        out = self._plate.copy()
        patch = frame.patch
        if patch is None:
            return out
        box = self.presenter_box
        px, py = box.x + patch.x, box.y + patch.y
        r = self._clip_to_presenter(px, py, patch.width, patch.height)
        if r is None:
            return out
        x0, y0, x1, y1 = r
        region = self._under[y0:y1, x0:x1].copy()
        blend_rgba(region, patch.image[y0 - py:y1 - py, x0 - px:x1 - px])
        for sprite in self._sprites:
            sprite.blend_into(region, x0, y0)
        out[y0:y1, x0:x1] = region
        return out

    # ---- plates --------------------------------------------------------------------------

    def _clip_to_presenter(self, x: int, y: int, w: int, h: int):
        box = self.presenter_box
        r = clip_rect(x, y, w, h, box.x, box.y, box.w, box.h)
        if r is None:
            return None
        return clip_rect(r[0], r[1], r[2] - r[0], r[3] - r[1], 0, 0, self.width, self.height)

    def _build_under(self, base: Layer) -> None:
        np.copyto(self._under, self._background)
        box = self.presenter_box
        bx, by = box.x + base.x, box.y + base.y
        r = self._clip_to_presenter(bx, by, base.width, base.height)
        if r is not None:
            x0, y0, x1, y1 = r
            blend_rgba(self._under[y0:y1, x0:x1], base.image[y0 - by:y1 - by, x0 - bx:x1 - bx])
        self._base = base

    def _update_overlays(self, state: ProgramState) -> bool:
        """Redraw the overlays whose content changed; True when any did."""
        if state is self._state or state == self._state:
            return False
        self._state = state
        wanted = {
            "strap": ((state.headline.strip(), state.source.strip(), state.segment.strip())
                      if state.headline.strip() else None),
            "subtitle": (state.subtitle.strip() or None) if self.subtitles else None,
            "card": state.product,
        }
        draw = {"strap": self._draw_strap, "subtitle": self._draw_subtitle, "card": self._draw_card}
        changed = False
        for slot, content in wanted.items():
            if slot in self._slots and self._slots[slot][0] == content:
                continue
            self._slots[slot] = (content, None if content is None else draw[slot](content))
            changed = True
        if changed or not self._sprites:
            order = [self._slots[s][1] for s in ("strap", "subtitle", "card")]
            self._sprites = [s for s in order + [self._title, self._label] if s is not None]
            changed = True
        return changed

    # ---- the graphics --------------------------------------------------------------------

    def _draw_label(self) -> Sprite:
        """The AI-generated label: white text on a solid dark pill, its glyphs at least 5% of
        the shorter side tall, measured on the rendered ink."""
        target = math.ceil(LABEL_HEIGHT * self._short) + 1
        size = math.ceil(target / 0.74)
        font = self.fonts.font(size, bold=True)
        while min(cap_height(font), cap_height(font, self.label_text)) < target:
            size += 1
            font = self.fonts.font(size, bold=True)
        pad_x, pill_h = round(0.62 * target), round(1.75 * target)
        pill_w = round(text_width(font, self.label_text)) + 2 * pad_x
        blur = 0.008 * self._short
        margin = int(blur * 3) + 2
        canvas = Canvas(pill_w + 2 * margin, pill_h + 2 * margin)
        canvas.shadow(margin, margin + 2, pill_w, pill_h, pill_h / 2, blur=blur, opacity=0.5)
        canvas.rounded_rect(margin, margin, pill_w, pill_h, pill_h / 2, (255, 255, 255), 0.9)
        ring = max(2, round(0.0035 * self._short))
        canvas.rounded_rect(margin + ring, margin + ring, pill_w - 2 * ring, pill_h - 2 * ring,
                            pill_h / 2 - ring, INK)
        baseline = margin + self._centred_baseline(font, self.label_text, pill_h)
        canvas.text(self.label_text, font, margin + pad_x, baseline, WHITE)
        x = self._mx if self._info_left else self.width - self._mx - pill_w
        self._label_box = Box(x, self._my, pill_w, pill_h)
        return Sprite(canvas.rgba(), x - margin, self._my - margin)

    def _draw_title(self) -> Sprite | None:
        """The channel bug, in the top corner across from the label."""
        if not self.title:
            return None
        font = self.fonts.font(round(0.03 * self._short), bold=True)
        h = round(0.06 * self._short)
        pad = round(0.45 * h)
        bar = max(3, round(0.12 * h))
        room = self.width - 2 * self._mx - self._label_box.w - bar - 2 * pad - round(0.03 * self.width)
        text = ellipsize(self.title, font, max(min(0.3 * self.width, room), h))
        w = bar + 2 * pad + round(text_width(font, text))
        canvas = Canvas(w, h)
        canvas.rounded_rect(0, 0, w, h, 0.18 * h, (8, 14, 26), 0.62)
        canvas.paint(np.ones((h, bar), np.float32), ACCENT)
        canvas.text(text, font, bar + pad, self._centred_baseline(font, text, h), WHITE)
        label = self._label_box
        x = self.width - self._mx - w if self._info_left else self._mx
        return Sprite(canvas.rgba(), x, label.y + (label.h - h) // 2)

    def _centred_baseline(self, font, text: str, height: int) -> int:
        """The baseline that centres the text's ink (descenders ignored for Latin) vertically."""
        mask, _left, top = text_mask(text, font)
        rows = np.flatnonzero((mask >= 0.5).any(axis=1))
        ink_top = top + (int(rows[0]) if rows.size else 0)
        ink_bottom = top + (int(rows[-1]) + 1 if rows.size else 0)
        if not any(is_cjk(ch) for ch in text):
            ink_bottom = min(ink_bottom, 0)
        return round((height - (ink_bottom - ink_top)) / 2 - ink_top)

    def _subtitle_area_top(self) -> int:
        """The top of the two-line subtitle band: the strap stands above it."""
        size = self._subtitle_size
        return self.height - self._my - 2 * round(1.32 * size) - 2 * self._band_pad

    def _draw_subtitle(self, text: str) -> Sprite:
        """White text on a translucent dark band, at most two lines, centred at the bottom;
        long text shrinks to 80% before the second line is cut with an ellipsis."""
        max_w = self.width - 2 * self._mx - 4 * self._band_pad
        base = self._subtitle_size
        for size in range(base, round(0.8 * base) - 1, -1):
            font = self.fonts.font(size)
            lines = wrap_text(text, font, max_w)
            if len(lines) <= 2:
                break
        else:
            lines = lines[:1] + [ellipsize("".join(lines[1:]) if is_cjk(lines[1][0])
                                           else " ".join(lines[1:]), font, max_w)]
        line_h = round(1.32 * size)
        ascent, descent = font.getmetrics()
        pad_y, pad_x = self._band_pad, 2 * self._band_pad
        w = round(max(text_width(font, line) for line in lines)) + 2 * pad_x
        h = len(lines) * line_h + 2 * pad_y
        canvas = Canvas(w, h)
        canvas.rounded_rect(0, 0, w, h, 0.012 * self._short, (6, 10, 18), 0.66)
        first = pad_y + (line_h - (ascent + descent)) / 2 + ascent
        for i, line in enumerate(lines):
            canvas.text(line, font, (w - text_width(font, line)) / 2, first + i * line_h, WHITE)
        return Sprite(canvas.rgba(), (self.width - w) // 2, self.height - self._my - h)

    def _draw_strap(self, content: tuple[str, str, str]) -> Sprite:
        """The headline strap: a navy bar over the full title-safe width with a red accent
        block, the source on its right and the segment name on a red tab above it."""
        headline, source, segment = content
        s = self._short
        w, h = self.width - 2 * self._mx, round(0.088 * s)
        tab_h = round(0.048 * s) if segment else 0
        accent_w, pad = round(0.014 * s), round(0.026 * s)
        canvas = Canvas(w, h + tab_h)
        canvas.shadow(0, tab_h, w, h, 2, blur=0.012 * s, opacity=0.35)
        canvas.paint(np.ones((h, w), np.float32), vertical_gradient(h, NAVY_TOP, NAVY_BOTTOM),
                     0, tab_h, 0.95)
        canvas.paint(np.ones((h, accent_w), np.float32), ACCENT, 0, tab_h)
        canvas.paint(np.ones((max(1, round(0.003 * s)), w), np.float32), (255, 255, 255),
                     0, tab_h, 0.18)
        if segment:
            font = self.fonts.font(round(0.028 * s), bold=True)
            label = segment.upper()
            tab_w = round(text_width(font, label)) + 2 * pad
            canvas.paint(np.ones((tab_h, tab_w), np.float32), ACCENT)
            canvas.text(label, font, pad, self._centred_baseline(font, label, tab_h), WHITE)
        right = w - pad
        if source:
            font = self.fonts.font(round(0.027 * s))
            source = ellipsize(source, font, 0.3 * w)
            right -= round(text_width(font, source))
            canvas.text(source, font, right, tab_h + self._centred_baseline(font, source, h),
                        MUTED)
            right -= pad
        left = accent_w + pad
        base = round(0.047 * s)
        for size in range(base, round(0.8 * base) - 1, -1):
            font = self.fonts.font(size, bold=True)
            if text_width(font, headline) <= right - left:
                break
        headline = ellipsize(headline, font, right - left)
        canvas.text(headline, font, left, tab_h + self._centred_baseline(font, headline, h), WHITE)
        gap = round(0.02 * s)
        return Sprite(canvas.rgba(), self._mx, self._subtitle_area_top() - gap - h - tab_h)

    def _draw_card(self, product: ProductCard) -> Sprite:
        """The product card: a rounded navy panel with the name and a gold price, on the side
        away from the presenter, under the label."""
        s = self._short
        w = round(max(0.3 * self.width, 0.45 * s))
        pad = round(0.036 * s)
        name_base = round(0.05 * s)
        for size in range(name_base, round(0.75 * name_base) - 1, -1):
            name_font = self.fonts.font(size, bold=True)
            lines = wrap_text(product.name.strip(), name_font, w - 2 * pad)
            if len(lines) <= 2:
                break
        lines = lines[:1] + [ellipsize(lines[1], name_font, w - 2 * pad)] if len(lines) > 2 else lines
        name_line = round(1.3 * name_font.size)
        price = product.price_text.strip()
        price_font = self.fonts.font(round(0.08 * s), bold=True)
        if price:
            price_font = self.fonts.font(min(round(0.08 * s), int(
                price_font.size * (w - 2 * pad) / max(text_width(price_font, price), 1))), bold=True)
        stripe = max(3, round(0.008 * s))
        price_h = round(1.25 * price_font.size) if price else 0
        divider = round(0.03 * s) if price else 0
        h = stripe + pad + len(lines) * name_line + divider + price_h + pad
        radius = 0.022 * s
        blur = 0.016 * s
        margin = int(blur * 3) + 2
        canvas = Canvas(w + 2 * margin, h + 2 * margin)
        canvas.shadow(margin, margin + round(blur / 2), w, h, radius, blur=blur, opacity=0.5)
        panel = Canvas(w, h)
        panel.paint(np.ones((h, w), np.float32), vertical_gradient(h, NAVY_TOP, NAVY_BOTTOM))
        panel.paint(np.ones((stripe, w), np.float32), ACCENT)
        ascent, descent = name_font.getmetrics()
        y = stripe + pad + (name_line - ascent - descent) / 2 + ascent
        for line in lines:
            panel.text(line, name_font, pad, y, WHITE)
            y += name_line
        if price:
            top = stripe + pad + len(lines) * name_line + divider // 2
            panel.paint(np.ones((max(1, round(0.002 * s)), w - 2 * pad), np.float32), WHITE,
                        pad, top, 0.25)
            ascent, descent = price_font.getmetrics()
            baseline = top + divider // 2 + (price_h - ascent - descent) / 2 + ascent
            panel.text(price, price_font, pad, baseline, GOLD)
        canvas.place(panel, margin, margin, clip=rounded_rect_mask(w, h, radius), opacity=0.94)
        x = self._mx if self._info_left else self.width - self._mx - w
        y = self._label_box.y + self._label_box.h + round(0.05 * s)
        return Sprite(canvas.rgba(), x - margin, y - margin)
