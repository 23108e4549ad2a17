"""The studio: the program picture composed from its figures (the presenter; the signer where
the layout has one) and the on-screen graphics (headline strap, subtitles, product card, channel
title, the AI-generated label).

`Studio` composes one frame per `ProgramState` (what the screen shows for a segment: headline,
source, `ProductCard`) in a `Layout` of placed regions (`Placement`: a role, a `Box`, a
z-order). Layouts: `presenter_layout` (today's programs; `presenter_box` places the presenter),
`signer_pip_layout`, `signer_main_layout`, all from `program_layout`. Modules: `layout` (the
regions and their rules), `composition` (the studio and its graphics), `graphics` (fonts, text
layout and drawing).
"""
from anchor.studio.composition import ProductCard, ProgramState, Studio
from anchor.studio.layout import (Box, Layout, Placement, corner_box, presenter_box,
                                  presenter_layout, program_layout, signer_main_layout,
                                  signer_pip_layout)

__all__ = ["Box", "Layout", "Placement", "ProductCard", "ProgramState", "Studio", "corner_box",
           "presenter_box", "presenter_layout", "program_layout", "signer_main_layout",
           "signer_pip_layout"]
