"""The program layout: where each region of the picture goes.

A `Layout` is a list of `Placement`s: a role, a box in program pixels and a z-order. Figures
(`presenter`, `signer`) are pictures an animator renders at their box's size (the studio does not
scale them); graphics (`strap`, `subtitles`, `card`, `title`, `label`) are drawn by the studio
inside their box, keeping to its `align` side. The studio composes the figures, then the
graphics, in z-order; the AI-generated label is always the top region, so nothing covers it.

`program_layout` places the graphics around the figures as a broadcast designer would: the
label and the product card on the side with more room, the channel title across from the label,
the subtitles at the bottom with the headline strap above them, and none of the strap, the
subtitles, the card or the title over the signer's box (its hands and face are the message) or
over a figure in a picture-in-picture corner.
The named layouts: `presenter_layout` (today's programs: the presenter left, right or centred),
`signer_pip_layout` (the presenter, and the signer small in a corner) and `signer_main_layout`
(the signer as the main figure, the presenter small in a corner or absent).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from anchor.errors import AnchorError

FIGURES = ("presenter", "signer")
GRAPHICS = ("strap", "subtitles", "card", "title", "label")
ROLES = FIGURES + GRAPHICS
POSITIONS = ("right", "left", "center")
CORNERS = ("bottom-left", "bottom-right", "top-left", "top-right")
ALIGNS = ("left", "center", "right")
LABEL_HEIGHT = 0.05          # the label's text height, as a share of the frame's shorter side


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in program pixels."""
    x: int
    y: int
    w: int
    h: int

    def overlaps(self, other: Box) -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


@dataclass(frozen=True, slots=True)
class Placement:
    """One region of the picture. `align`: the side of the box a graphic keeps to."""
    role: str
    box: Box
    z: int
    align: str = "left"


@dataclass(frozen=True, slots=True)
class Layout:
    """The regions of a width x height program; see the module doc."""
    width: int
    height: int
    placements: tuple[Placement, ...]

    def __post_init__(self) -> None:
        roles = [p.role for p in self.placements]
        for p in self.placements:
            if p.role not in ROLES:
                raise AnchorError(f"layout role {p.role!r} is not one of {', '.join(ROLES)}")
            if p.align not in ALIGNS:
                raise AnchorError(f"layout {p.role} align {p.align!r} is not one of "
                                  f"{', '.join(ALIGNS)}")
            if p.box.w <= 0 or p.box.h <= 0:
                raise AnchorError(f"{p.role} box: {p.box} has no area")
            if roles.count(p.role) > 1:
                raise AnchorError(f"layout: more than one {p.role} region")
        if "label" not in roles:
            raise AnchorError("layout: the AI-generated label has no region (it is always shown)")
        figures = [p.z for p in self.placements if p.role in FIGURES]
        graphics = [p.z for p in self.placements if p.role in GRAPHICS]
        if figures and graphics and max(figures) >= min(graphics):
            raise AnchorError("layout: the figures must stand below the graphics")
        if max(graphics) != self.place("label").z or graphics.count(max(graphics)) > 1:
            raise AnchorError("layout: the AI-generated label must be the top region")

    def place(self, role: str) -> Placement | None:
        return next((p for p in self.placements if p.role == role), None)

    def box(self, role: str) -> Box | None:
        placement = self.place(role)
        return None if placement is None else placement.box

    def ordered(self, roles: tuple[str, ...] = ROLES) -> tuple[Placement, ...]:
        """The placements of those roles, bottom to top."""
        return tuple(sorted((p for p in self.placements if p.role in roles), key=lambda p: p.z))


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


def corner_box(width: int, height: int, corner: str = "bottom-left", size: float = 0.3) -> Box:
    """A 3:4 figure box `size` of the program's height tall, in a corner inside the 5%
    title-safe margins (a picture-in-picture signer or presenter)."""
    if corner not in CORNERS:
        raise AnchorError(f"corner: {corner!r} is not one of {', '.join(CORNERS)}")
    if not 0.1 <= size <= 0.6:
        raise AnchorError(f"picture-in-picture size: {size:g} is not between 0.1 and 0.6 of "
                          "the program height")
    mx, my = round(0.05 * width), round(0.05 * height)
    h = _even(size * height)
    w = min(_even(0.75 * h), width - 2 * mx)
    x = mx if corner.endswith("left") else width - mx - w
    y = my if corner.startswith("top") else height - my - h
    return Box(x, y, w, h)


def presenter_layout(width: int, height: int, position: str = "right", *,
                     canvas_width: int | None = None, canvas_height: int | None = None) -> Layout:
    """Today's program: the presenter (the show's `layout.presenter`) and the graphics."""
    return program_layout(width, height, presenter=presenter_box(
        width, height, position, canvas_width=canvas_width, canvas_height=canvas_height))


def signer_pip_layout(width: int, height: int, position: str = "right", *,
                      corner: str = "bottom-left", size: float = 0.3,
                      canvas_width: int | None = None, canvas_height: int | None = None) -> Layout:
    """The presenter as today and the signer in a corner, `size` of the program height tall."""
    presenter = presenter_box(width, height, position, canvas_width=canvas_width,
                              canvas_height=canvas_height)
    return program_layout(width, height, presenter=presenter,
                          signer=corner_box(width, height, corner, size))


def signer_main_layout(width: int, height: int, position: str = "right", *,
                       presenter_corner: str | None = None, size: float = 0.3) -> Layout:
    """The signer as the main figure (where the presenter would stand); the presenter small in
    `presenter_corner`, or absent (None)."""
    presenter = (None if presenter_corner is None
                 else corner_box(width, height, presenter_corner, size))
    return program_layout(width, height, presenter=presenter,
                          signer=presenter_box(width, height, position))


def program_layout(width: int, height: int, *, presenter: Box | None = None,
                   signer: Box | None = None) -> Layout:
    """The figures where given and the graphics placed around them (see the module doc)."""
    if presenter is None and signer is None:
        raise AnchorError("layout: a program needs a presenter or a signer")
    figures = {role: box for role, box in (("presenter", presenter), ("signer", signer))
               if box is not None}
    for role, box in figures.items():
        if box.w <= 0 or box.h <= 0:
            raise AnchorError(f"{role} box: {box} has no area")
    short = min(width, height)
    mx, my = round(0.05 * width), round(0.05 * height)
    gap = round(0.02 * short)
    # The label and the card go where the main (largest) figure leaves more room.
    main = max(figures.values(), key=lambda b: b.w * b.h)
    info_left = main.x >= width - main.x - main.w
    info, across = ("left", "right") if info_left else ("right", "left")
    # The bottom: the two-line subtitle band in the title-safe area, the strap above it.
    subtitle_size, band_pad = round(0.047 * short), round(0.016 * short)
    band_top = height - my - 2 * round(1.32 * subtitle_size) - 2 * band_pad
    subtitles = Box(mx, band_top, width - 2 * mx, height - my - band_top)
    strap_h = round(0.088 * short) + round(0.048 * short)     # the bar and its segment tab
    strap = Box(mx, band_top - gap - strap_h, width - 2 * mx, strap_h)
    # The top: the label's pill and the title in one band; the card under the label.
    pill_h = round(1.75 * (math.ceil(LABEL_HEIGHT * short) + 1))
    top = Box(mx, my, width - 2 * mx, pill_h)
    card_w = round(max(0.3 * width, 0.45 * short))
    card_y = my + pill_h + round(0.05 * short)
    card = Box(mx if info_left else width - mx - card_w, card_y, card_w,
               max(1, strap.y - gap - card_y))
    regions = {"strap": (strap, "left"), "subtitles": (subtitles, "center"),
               "card": (card, "left"), "title": (top, across), "label": (top, info)}
    # Clear of the signer (its hands and face are the message) and of a figure in a corner.
    for role, figure in figures.items():
        if role == "signer" or figure is not main:
            regions = {r: (None if box is None else
                           _clear_of(box, figure, gap, vertical=r == "card"), align)
                       for r, (box, align) in regions.items()}
    placements = [Placement(role, box, z) for z, (role, box) in enumerate(figures.items())]
    z = len(placements)
    for role in GRAPHICS:
        box, align = regions[role]
        if box is not None:
            placements.append(Placement(role, box, z, align))
            z += 1
    if regions["label"][0] is None:
        raise AnchorError("layout: no room for the AI-generated label beside the signer")
    return Layout(width, height, tuple(placements))


def _clear_of(region: Box, figure: Box, gap: int, *, vertical: bool) -> Box | None:
    """The largest part of `region` that keeps `gap` pixels clear of `figure`: the part
    beside it (or, `vertical`, above or below it); None when no part is left."""
    if not region.overlaps(Box(figure.x - gap, figure.y - gap, figure.w + 2 * gap,
                               figure.h + 2 * gap)):
        return region
    right, bottom = region.x + region.w, region.y + region.h
    if vertical:
        parts = [Box(region.x, region.y, region.w, figure.y - gap - region.y),
                 Box(region.x, figure.y + figure.h + gap, region.w,
                     bottom - figure.y - figure.h - gap)]
    else:
        parts = [Box(region.x, region.y, figure.x - gap - region.x, region.h),
                 Box(figure.x + figure.w + gap, region.y, right - figure.x - figure.w - gap,
                     region.h)]
    parts = [p for p in parts if p.w > 0 and p.h > 0]
    return max(parts, key=lambda p: p.w * p.h) if parts else None
