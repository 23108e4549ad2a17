"""The studio: the program picture composed from the presenter and the on-screen graphics
(headline strap, subtitles, product card, channel title, the AI-generated label).

`Studio` composes one frame per `ProgramState` (what the screen shows for a segment: headline,
source, `ProductCard`); `presenter_box` places the presenter (`Box`). Modules: `composition`
(the studio and its overlays), `graphics` (fonts, text layout and drawing).
"""
from anchor.studio.composition import Box, ProductCard, ProgramState, Studio, presenter_box

__all__ = ["Box", "ProductCard", "ProgramState", "Studio", "presenter_box"]
