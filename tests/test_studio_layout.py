"""The studio's layouts: today's programs compose exactly as before the layout became a list of
placed regions, and a second figure (the signer) is one more region that the graphics keep
clear of, under an AI label that nothing covers."""
from __future__ import annotations

import hashlib
import importlib.metadata
import os

import cv2
import numpy as np
import PIL
import pytest
from PIL import features

from anchor.media import Layer, PresenterFrame
from anchor.studio import ProductCard, ProgramState, Studio, presenter_box
from anchor.studio.graphics import FontBook

STATES = (
    ProgramState(),
    ProgramState(subtitle="Good evening, and welcome to the program."),
    ProgramState(subtitle="Markets rose for a third day as investors weighed new data.",
                 headline="Markets rally as inflation cools", source="Reuters", segment="Business"),
    ProgramState(subtitle="Keeps tea hot for twelve hours.", headline="Today's pick",
                 product=ProductCard("Travel mug with a leak-proof lid", "$24.99")),
)
ZH_STATES = (
    ProgramState(subtitle="晚上好，欢迎收看今天的节目。", headline="新大桥明年春季通车", source="新华社",
                 segment="本地"),
    ProgramState(subtitle="保温杯，保冷二十四小时。", product=ProductCard("保温杯", "¥19.9")),
)


def smooth_layer(w: int, h: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.resize(rng.integers(0, 256, (6, 5, 4), dtype=np.uint8), (w, h),
                      interpolation=cv2.INTER_CUBIC)


def frames_digest(studio: Studio, states, frames: int = 8) -> str:
    """One digest of a deterministic run: the base changes once, the patch moves across the
    figure (and the strap and subtitles over it), the state changes every other frame."""
    box = studio.presenter_box
    bases = [Layer(smooth_layer(box.w, box.h, seed)) for seed in (5, 6)]
    digest = hashlib.sha256()
    for n in range(frames):
        patch = Layer(np.random.default_rng(10 + n).integers(0, 256, (180, 150, 4), np.uint8),
                      box.w // 4 + 11 * n, box.h - 260 + 7 * n)
        frame = PresenterFrame(bases[n // 5], patch)
        digest.update(studio.compose(frame, states[(n // 2) % len(states)]).tobytes())
    return digest.hexdigest()[:16]


# Recorded from the fixed-slot studio (commit 2e004cf) with the environment below; a different
# Pillow, FreeType or font set draws text differently, so the comparison needs the same one.
RECORDED_WITH = ("Pillow 13.0.0, FreeType 2.14.3, numpy 1.26.4, opencv 4.11.0.86, "
                 "fonts NotoSansCJK-Regular.ttc, NotoSansCJK-Bold.ttc")
RECORDED = {
    "1280x720 right, title": "a0dfe700b522a9d9",
    "1280x720 left": "5699eab12175aebc",
    "1280x720 center, title, own label": "161c9da6a181d8e1",
    "720x1280 right, title": "2fe332bb40e99f74",
    "640x360 left, no subtitles": "afd6c7175164aae3",
    "1280x720 right, zh": "34ea3f3ab1f9e4f8",
    "1280x720 left, a 500x700 canvas": "6a6e115ec5a442f3",
}

CASES = {
    "1280x720 right, title": (1280, 720, "right", "en", {"title": "Anchor News"}),
    "1280x720 left": (1280, 720, "left", "en", {}),
    "1280x720 center, title, own label": (1280, 720, "center", "en",
                                          {"title": "Anchor News", "label_text": "Made by AI"}),
    "720x1280 right, title": (720, 1280, "right", "en", {"title": "Anchor News"}),
    "640x360 left, no subtitles": (640, 360, "left", "en", {"subtitles": False}),
    "1280x720 right, zh": (1280, 720, "right", "zh", {"title": "新闻频道"}),
    "1280x720 left, a 500x700 canvas": (1280, 720, "left", "en", {"canvas": (500, 700)}),
}


def environment() -> str:
    book = FontBook()
    return (f"Pillow {PIL.__version__}, FreeType {features.version('freetype2')}, "
            f"numpy {np.__version__}, opencv {importlib.metadata.version('opencv-contrib-python')}"
            f", fonts {os.path.basename(book.regular.path or '-')}, "
            f"{os.path.basename(book.bold.path or '-')}")


def case_digest(name: str) -> str:
    width, height, position, language, kwargs = CASES[name]
    kwargs = dict(kwargs)
    canvas_width, canvas_height = kwargs.pop("canvas", (None, None))
    box = presenter_box(width, height, position, canvas_width=canvas_width,
                        canvas_height=canvas_height)
    studio = Studio(width=width, height=height, presenter_box=box, background="#1b2a41",
                    language=language, **kwargs)
    return frames_digest(studio, ZH_STATES if language == "zh" else STATES)


@pytest.mark.parametrize("name", list(CASES))
def test_todays_layouts_compose_the_same_pixels_as_the_fixed_slot_studio(name):
    if environment() != RECORDED_WITH:
        pytest.skip(f"reference frames recorded with {RECORDED_WITH}; here {environment()}")
    assert case_digest(name) == RECORDED[name]

