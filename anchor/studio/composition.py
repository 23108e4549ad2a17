"""The studio: composes the program picture from its figures and the on-screen graphics.

The picture is a `Layout` (anchor/studio/layout.py): placed regions composed in z-order, the
figures (the presenter, and a signer where the layout has one) over the background, then the
headline strap, the subtitle band, the product card, the channel title and the AI-generated
label, which is always on screen and on top.

Speed: each graphic is drawn once per content into a `Sprite`. `plate_under` (background +
figure bases) is redrawn only inside the box of a figure whose base layer object changed;
`plate` (plate_under + all graphics) there too, and in full when a graphic changes. A frame is a
copy of the plate in which only the patch boxes are redrawn: plate_under's pixels there (or, where
two figures meet, the background and both figures), the patches over them, then the graphics
that cross them.
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
from anchor.studio.layout import (FIGURES, GRAPHICS, LABEL_HEIGHT, Box, Layout, Placement,
                                  program_layout)

LANGUAGES = ("en", "zh")

# The house colours.
NAVY_TOP, NAVY_BOTTOM = (22, 46, 86), (10, 24, 48)
ACCENT = (214, 40, 57)        # news red
GOLD = (255, 201, 64)
WHITE = (255, 255, 255)
MUTED = (176, 190, 212)
INK = (12, 18, 30)            # the label pill


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

    `layout` places the regions; `presenter_box` alone is today's layout around a presenter
    there (`program_layout`). Each figure's animator renders at its region's size (the studio
    does not scale it). `background` is a colour '#rrggbb' or an image path (scaled to cover).
    The AI-generated label (`label_text`, or the language's default) is always shown.
    """

    def __init__(self, *, width: int, height: int, background: str, language: str,
                 presenter_box: Box | None = None, layout: Layout | None = None,
                 label_text: str | None = None, title: str = "", subtitles: bool = True):
        if width < 64 or height < 64:
            raise AnchorError(f"studio size: {width}x{height} is too small (at least 64x64)")
        if language not in LANGUAGES:
            raise AnchorError(f"studio language: {language!r} is not one of {', '.join(LANGUAGES)}")
        if label_text is not None and not label_text.strip():
            raise AnchorError("studio label_text: the AI-generated label may not be empty")
        if (layout is None) == (presenter_box is None):
            raise AnchorError("studio: give either a layout or a presenter box")
        if layout is None:
            layout = program_layout(width, height, presenter=presenter_box)
        if (layout.width, layout.height) != (width, height):
            raise AnchorError(f"studio layout: made for {layout.width}x{layout.height}, "
                              f"not {width}x{height}")
        self.width, self.height = int(width), int(height)
        self.layout = layout
        self.presenter_box = layout.box("presenter")      # None: a layout without a presenter
        self.language = language
        self.label_text = (label_text or AI_LABELS[language]).strip()
        self.title = title.strip()
        self.subtitles = subtitles            # False: no subtitle line (e.g. sidecar files only)
        self.fonts = FontBook()
        self._short = min(self.width, self.height)      # the graphics' size unit
        self._figures = layout.ordered(FIGURES)
        self._graphics = {p.role: p for p in layout.ordered(GRAPHICS)}
        main = max((p.box for p in self._figures), key=lambda b: b.w * b.h)
        self._background = _read_background(background, self.width, self.height,
                                            main.x + main.w / 2)
        self._background.flags.writeable = False
        self._label = self._draw_label(self._graphics["label"])
        title = self._graphics.get("title")
        self._title = None if title is None else self._draw_title(title)
        self._subtitle_size = round(0.047 * self._short)
        self._band_pad = round(0.016 * self._short)
        # Graphics cache: role -> (content, sprite); the plates and the figure bases in them.
        self._drawn: dict[str, tuple[object, Sprite | None]] = {}
        self._state: ProgramState | None = None
        self._sprites: list[Sprite] = []
        self._bases: dict[str, Layer | None] = {p.role: None for p in self._figures}
        self._under = self._background.copy()
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

    def compose(self, frame: PresenterFrame | None, state: ProgramState = ProgramState(), *,
                signer: PresenterFrame | None = None) -> np.ndarray:
        """One program frame, a new HxWx3 uint8 RGB array: `frame` in the presenter region,
        `signer` in the signer region (a figure without a frame, or without a region in the
        layout, is not shown; a signer frame for a layout without a signer is an error)."""
        if signer is not None and "signer" not in self._bases:
            raise AnchorError("studio: a signer frame, but the layout has no signer region")
        frames = {"presenter": frame, "signer": signer}
        figures = [(p, frames[p.role]) for p in self._figures if frames[p.role] is not None]
        dirty = self._update_overlays(state)
        moved = [p.box for p in self._figures
                 if (frames[p.role].base if frames[p.role] is not None else None)
                 is not self._bases[p.role]]
        for box in moved:
            self._build_under(box, frames)
        if dirty:
            np.copyto(self._plate, self._under)
            for sprite in self._sprites:
                sprite.blend_into(self._plate)
        else:
            for box in moved:
                self._build_plate(box)
        out = self._plate.copy()
        for placement, figure in figures:
            patch = figure.patch
            if patch is not None:
                box = placement.box
                r = self._clip_to(box, box.x + patch.x, box.y + patch.y, patch.width, patch.height)
                if r is not None:
                    out[r[1]:r[3], r[0]:r[2]] = self._redraw(r, placement, patch, figures)
        return out

    # ---- plates --------------------------------------------------------------------------

    def _clip_to(self, box: Box, x: int, y: int, w: int, h: int):
        r = clip_rect(x, y, w, h, box.x, box.y, box.w, box.h)
        if r is None:
            return None
        return clip_rect(r[0], r[1], r[2] - r[0], r[3] - r[1], 0, 0, self.width, self.height)

    def _blend_figure_part(self, dst: np.ndarray, x0: int, y0: int, box: Box,
                           layer: Layer) -> None:
        """Blend a figure's layer (in its box's coordinates, cut at the box) into dst, whose
        top-left pixel is program pixel (x0, y0)."""
        lx, ly = box.x + layer.x, box.y + layer.y
        r = self._clip_to(box, lx, ly, layer.width, layer.height)
        if r is None:
            return
        r = clip_rect(r[0], r[1], r[2] - r[0], r[3] - r[1], x0, y0, dst.shape[1], dst.shape[0])
        if r is None:
            return
        a0, b0, a1, b1 = r
        blend_rgba(dst[b0 - y0:b1 - y0, a0 - x0:a1 - x0],
                   layer.image[b0 - ly:b1 - ly, a0 - lx:a1 - lx])

    def _build_under(self, box: Box, frames: dict[str, PresenterFrame | None]) -> None:
        """Redraw plate_under inside `box`: the background and every figure's base there."""
        r = clip_rect(box.x, box.y, box.w, box.h, 0, 0, self.width, self.height)
        if r is not None:
            x0, y0, x1, y1 = r
            region = self._under[y0:y1, x0:x1]
            np.copyto(region, self._background[y0:y1, x0:x1])
            for p in self._figures:
                figure = frames[p.role]
                if figure is not None:
                    self._blend_figure_part(region, x0, y0, p.box, figure.base)
        for p in self._figures:
            figure = frames[p.role]
            self._bases[p.role] = figure.base if figure is not None else None

    def _build_plate(self, box: Box) -> None:
        r = clip_rect(box.x, box.y, box.w, box.h, 0, 0, self.width, self.height)
        if r is None:
            return
        x0, y0, x1, y1 = r
        region = self._plate[y0:y1, x0:x1]
        np.copyto(region, self._under[y0:y1, x0:x1])
        for sprite in self._sprites:
            sprite.blend_into(region, x0, y0)

    def _redraw(self, r: tuple[int, int, int, int], placement: Placement, patch: Layer,
                figures: list[tuple[Placement, PresenterFrame]]) -> np.ndarray:
        """The program pixels of rectangle r around one figure's patch: plate_under there and
        the patch, or where other figures reach into r, the background and every figure's base
        and patch in z-order; then the graphics."""
        x0, y0, x1, y1 = r
        here = Box(x0, y0, x1 - x0, y1 - y0)
        others = [(p, f) for p, f in figures if p is not placement and p.box.overlaps(here)]
        if not others:
            region = self._under[y0:y1, x0:x1].copy()
            self._blend_figure_part(region, x0, y0, placement.box, patch)
        else:
            region = self._background[y0:y1, x0:x1].copy()
            for p, f in figures:
                if p is placement or p.box.overlaps(here):
                    self._blend_figure_part(region, x0, y0, p.box, f.base)
                    if f.patch is not None:
                        self._blend_figure_part(region, x0, y0, p.box, f.patch)
        for sprite in self._sprites:
            sprite.blend_into(region, x0, y0)
        return region

    def _update_overlays(self, state: ProgramState) -> bool:
        """Redraw the graphics whose content changed; True when any did."""
        if state is self._state or state == self._state:
            return False
        self._state = state
        wanted = {
            "strap": ((state.headline.strip(), state.source.strip(), state.segment.strip())
                      if state.headline.strip() else None),
            "subtitles": (state.subtitle.strip() or None) if self.subtitles else None,
            "card": state.product,
        }
        draw = {"strap": self._draw_strap, "subtitles": self._draw_subtitle,
                "card": self._draw_card}
        changed = False
        for role, content in wanted.items():
            if role in self._drawn and self._drawn[role][0] == content:
                continue
            place = self._graphics.get(role)
            sprite = None if content is None or place is None else draw[role](content, place)
            self._drawn[role] = (content, sprite)
            changed = True
        if changed or not self._sprites:
            fixed = {"title": self._title, "label": self._label}
            order = [fixed[role] if role in fixed else self._drawn[role][1]
                     for role in self._graphics]
            self._sprites = [s for s in order if s is not None]
            changed = True
        return changed

    # ---- the graphics --------------------------------------------------------------------

    def _draw_label(self, place: Placement) -> Sprite:
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
        box = place.box
        x = box.x if place.align == "left" else box.x + box.w - pill_w
        self._label_box = Box(x, box.y, pill_w, pill_h)
        return Sprite(canvas.rgba(), x - margin, box.y - margin)

    def _draw_title(self, place: Placement) -> Sprite | None:
        """The channel bug, in the top corner across from the label."""
        if not self.title:
            return None
        box = place.box
        font = self.fonts.font(round(0.03 * self._short), bold=True)
        h = round(0.06 * self._short)
        pad = round(0.45 * h)
        bar = max(3, round(0.12 * h))
        room = box.w - self._label_box.w - bar - 2 * pad - round(0.03 * self.width)
        text = ellipsize(self.title, font, max(min(0.3 * self.width, room), h))
        w = bar + 2 * pad + round(text_width(font, text))
        canvas = Canvas(w, h)
        canvas.rounded_rect(0, 0, w, h, 0.18 * h, (8, 14, 26), 0.62)
        canvas.paint(np.ones((h, bar), np.float32), ACCENT)
        canvas.text(text, font, bar + pad, self._centred_baseline(font, text, h), WHITE)
        label = self._label_box
        x = box.x + box.w - w if place.align == "right" else box.x
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

    def _draw_subtitle(self, text: str, place: Placement) -> Sprite:
        """White text on a translucent dark band, at most two lines, centred at the bottom of
        its region; long text shrinks to 80% before the second line is cut with an ellipsis."""
        box = place.box
        max_w = box.w - 4 * self._band_pad
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
        return Sprite(canvas.rgba(), box.x + (box.w - w) // 2, box.y + box.h - h)

    def _draw_strap(self, content: tuple[str, str, str], place: Placement) -> Sprite:
        """The headline strap: a navy bar over its region's width (the title-safe width) with
        a red accent block, the source on its right and the segment name on a red tab above
        it, standing on the region's bottom."""
        headline, source, segment = content
        s, box = self._short, place.box
        w, h = box.w, round(0.088 * s)
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
        return Sprite(canvas.rgba(), box.x, box.y + box.h - h - tab_h)

    def _draw_card(self, product: ProductCard, place: Placement) -> Sprite:
        """The product card: a rounded navy panel with the name and a gold price, as wide as
        its region and at its top (the layout puts it under the label, away from the figure)."""
        s, box = self._short, place.box
        w = box.w
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
        return Sprite(canvas.rgba(), box.x - margin, box.y - margin)
