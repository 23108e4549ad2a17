"""The studio: the program picture a viewer sees, checked on real renders (Pillow + Noto fonts)."""
from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest
from PIL import Image

from anchor.errors import AnchorError
from anchor.media import Layer, PresenterFrame
from anchor.studio import Box, ProductCard, ProgramState, Studio, presenter_box
from anchor.studio.graphics import FontBook, wrap_text

needs_cjk = pytest.mark.skipif(not FontBook().covers_cjk, reason="no Noto Sans CJK font installed")


def make_studio(width=1280, height=720, *, language="en", position="right", **kwargs) -> Studio:
    kwargs.setdefault("background", "#1b2a41")
    return Studio(width=width, height=height, presenter_box=presenter_box(width, height, position),
                  language=language, **kwargs)


def soft_presenter(box: Box, seed: int = 0) -> Layer:
    """A presenter base with smooth colours and partial alpha (a figure on a clear canvas)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 5, 4), dtype=np.uint8)
    image = cv2.resize(small, (box.w, box.h), interpolation=cv2.INTER_CUBIC)
    return Layer(image)


def patch_layer(w: int, h: int, x: int, y: int, seed: int = 1) -> Layer:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    return Layer(image, x, y)


def label_glyphs(frame: np.ndarray, box: Box) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x, y, w, h) of the label's glyphs: bright blobs inside the pill that do
    not touch its border (the pill's light ring does)."""
    crop = frame[box.y:box.y + box.h, box.x:box.x + box.w]
    luma = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats((luma >= 128).astype(np.uint8))
    glyphs = []
    for x, y, w, h, area in stats[1:count]:
        if x > 0 and y > 0 and x + w < box.w and y + h < box.h and area > 4:
            glyphs.append((int(x), int(y), int(w), int(h)))
    return sorted(glyphs)


def ink(frame: np.ndarray, rows: slice) -> np.ndarray:
    """White text pixels in a band of rows."""
    part = frame[rows]
    return (part.min(axis=2) >= 200)


@pytest.mark.parametrize("width,height,language", [
    (1280, 720, "en"), (640, 360, "en"), (720, 1280, "en"), (1280, 720, "zh")])
def test_ai_label_text_is_at_least_five_percent_of_the_shorter_side(width, height, language):
    if language == "zh" and not FontBook().covers_cjk:
        pytest.skip("no CJK font")
    studio = make_studio(width, height, language=language)
    box = studio.presenter_box
    frame = studio.compose(PresenterFrame(soft_presenter(box)), ProgramState(subtitle="Hello"))
    label = studio.label_box
    assert label.y + label.h <= 0.2 * height, "the label sits in a top corner"
    assert label.x >= 0.04 * width and label.x + label.w <= 0.96 * width, "inside title-safe"
    glyphs = label_glyphs(frame, label)
    assert len(glyphs) >= 3, f"the label's text must be readable, found {len(glyphs)} glyphs"
    first_x, first_y, first_w, first_h = glyphs[0]          # "A": its height is the cap height
    shorter = min(width, height)
    assert first_h >= 0.05 * shorter, f"label cap height {first_h}px < 5% of {shorter}px"
    top = min(g[1] for g in glyphs)
    bottom = max(g[1] + g[3] for g in glyphs)
    assert bottom - top >= 0.05 * shorter


def test_ai_label_is_on_every_frame_whatever_is_under_it():
    width, height = 1280, 720
    full = Box(0, 0, width, height)          # a presenter canvas under the whole program
    studio = Studio(width=width, height=height, presenter_box=full, background="#204060",
                    language="en", title="Anchor News")
    base = soft_presenter(full, seed=3)
    label = studio.label_box
    inset = label.h // 2                      # the opaque inside of the pill
    region = (slice(label.y + 6, label.y + label.h - 6), slice(label.x + inset, label.x + label.w - inset))
    states = [ProgramState(), ProgramState(subtitle="Good evening."),
              ProgramState(headline="Storm warning", source="Met Office", segment="Weather"),
              ProgramState(product=ProductCard("Umbrella", "$12"), subtitle="Stay dry.")]
    first = None
    for n in range(12):
        # the patch sweeps right through the label's corner
        patch = patch_layer(260, 160, label.x - 100 + 20 * n, label.y - 40 + 3 * n, seed=n)
        frame = studio.compose(PresenterFrame(base, patch), states[n % len(states)])
        pixels = frame[region]
        if first is None:
            first = pixels.copy()
            assert (pixels.min(axis=2) >= 200).sum() > 200, "the label text is there"
        assert np.array_equal(pixels, first), f"label changed on frame {n}"


@needs_cjk
def test_chinese_subtitles_render_real_glyphs_not_tofu():
    studio = make_studio(language="zh")
    base = Layer(np.zeros((studio.presenter_box.h, studio.presenter_box.w, 4), np.uint8))
    rows = slice(int(0.75 * studio.height), studio.height)

    def subtitle_ink(text: str) -> np.ndarray:
        return ink(studio.compose(PresenterFrame(base), ProgramState(subtitle=text)), rows)

    news = subtitle_ink("晚上好，欢迎收看今天的新闻")
    weather = subtitle_ink("明天天气晴朗，气温逐步回升")
    missing = subtitle_ink("\ue000" * 13)      # private-use code points: the font's missing-glyph box
    blank = subtitle_ink("")
    assert blank.sum() == 0
    assert news.sum() > 1000 and weather.sum() > 1000
    assert (news ^ weather).sum() > 0.3 * news.sum(), "different Chinese text must look different"
    for glyphs in (news, weather):
        assert (glyphs ^ missing).sum() > 0.3 * glyphs.sum(), "Chinese rendered as missing glyphs"


def test_presenter_patch_lands_in_the_presenter_box_and_follows_its_offsets():
    studio = make_studio()
    box = studio.presenter_box
    clear = Layer(np.zeros((box.h, box.w, 4), np.uint8))
    green = np.zeros((30, 40, 4), np.uint8)
    green[...] = (0, 255, 0, 255)

    def green_box(frame):
        ys, xs = np.nonzero((frame[..., 1] > 220) & (frame[..., 0] < 40) & (frame[..., 2] < 40))
        return xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()

    first = studio.compose(PresenterFrame(clear, Layer(green, 100, 200)))
    assert green_box(first) == (box.x + 100, box.y + 200, 40, 30)
    moved = studio.compose(PresenterFrame(clear, Layer(green, 105, 203)))
    assert green_box(moved) == (box.x + 105, box.y + 203, 40, 30)
    # where the patch was and no longer is, the background is back: no trails
    assert np.array_equal(moved[box.y + 200, box.x + 100], studio.background[box.y + 200, box.x + 100])
    # a patch hanging over the canvas edge is cut at the presenter box
    edge = studio.compose(PresenterFrame(clear, Layer(green, -20, 300)))
    assert green_box(edge) == (box.x, box.y + 300, 20, 30)


def test_headline_strap_and_product_card_appear_only_when_set():
    studio = make_studio(title="Anchor News")
    box = studio.presenter_box
    base = soft_presenter(box)
    frame = PresenterFrame(base)
    plain = studio.compose(frame, ProgramState(subtitle="Good evening."))
    news = studio.compose(frame, ProgramState(subtitle="Good evening.", headline="Bridge opens in spring",
                                              source="City Hall", segment="Local"))
    changed = np.nonzero(np.any(plain != news, axis=2))
    assert changed[0].size > 20000, "a headline strap is drawn"
    assert changed[0].min() > 0.5 * studio.height, "the strap is in the lower part of the frame"
    half = studio.height // 2
    subtitle_top = half + np.nonzero(ink(plain, slice(half, None)).any(axis=1))[0].min()
    assert changed[0].max() < subtitle_top, "the strap stands above the subtitle line"
    red = (news[..., 0] > 180) & (news[..., 1] < 80) & (news[..., 2] < 90)
    assert red.sum() > 500, "the strap carries the accent colour"
    assert np.array_equal(studio.compose(frame, ProgramState(subtitle="Good evening.")), plain)

    shop = studio.compose(frame, ProgramState(subtitle="Good evening.",
                                              product=ProductCard("Travel mug", "$24.99")))
    changed = np.nonzero(np.any(plain != shop, axis=2))
    assert changed[0].size > 20000, "a product card is drawn"
    assert changed[1].max() < box.x, "the card is on the side away from the presenter"
    gold = (shop[..., 0] > 200) & (shop[..., 1] > 150) & (shop[..., 2] < 120)
    assert gold[changed].sum() > 300, "the price is shown"
    assert np.array_equal(studio.compose(frame, ProgramState(subtitle="Good evening.")), plain)


def reference_redraw(studio: Studio, figures, state: ProgramState) -> np.ndarray:
    """Everything redrawn from scratch in float, straight alpha 'over', rounded once:
    `figures` are (box, PresenterFrame) pairs, bottom to top, then the overlays."""
    out = studio.background.astype(np.float64)

    def over(layer: Layer, x: int, y: int, clip: Box | None):
        h, w = layer.image.shape[:2]
        x0, y0, x1, y1 = x, y, x + w, y + h
        if clip is not None:
            x0, y0 = max(x0, clip.x), max(y0, clip.y)
            x1, y1 = min(x1, clip.x + clip.w), min(y1, clip.y + clip.h)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, studio.width), min(y1, studio.height)
        if x0 >= x1 or y0 >= y1:
            return
        src = layer.image[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float64)
        a = src[..., 3:4] / 255
        out[y0:y1, x0:x1] = src[..., :3] * a + out[y0:y1, x0:x1] * (1 - a)

    for box, frame in figures:
        over(frame.base, box.x + frame.base.x, box.y + frame.base.y, box)
        if frame.patch is not None:
            over(frame.patch, box.x + frame.patch.x, box.y + frame.patch.y, box)
    for layer in studio.overlays(state):
        over(layer, layer.x, layer.y, None)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def reference_compose(studio: Studio, frame: PresenterFrame, state: ProgramState) -> np.ndarray:
    return reference_redraw(studio, [(studio.presenter_box, frame)], state)


def test_fast_composition_matches_a_slow_full_redraw():
    studio = make_studio(language="en", title="Anchor News")
    box = studio.presenter_box
    strap_state = ProgramState(subtitle="Markets rose for a third straight day.",
                               headline="Markets rally as inflation cools", source="Reuters",
                               segment="Business")
    states = [strap_state, ProgramState(subtitle="Thanks for watching."),
              ProgramState(product=ProductCard("Travel mug", "$24.99"), subtitle="Keeps tea hot.")]
    bases = [soft_presenter(box, seed=5), soft_presenter(box, seed=6)]
    worst = 0
    for n in range(9):
        base = bases[(n // 4) % 2]                        # the base changes now and then
        # the patch moves and crosses the strap and subtitle band at the bottom of the canvas
        patch = patch_layer(300, 360, 100 + 7 * n, box.h - 420 + 5 * n, seed=10 + n)
        frame = PresenterFrame(base, patch)
        state = states[(n // 3) % len(states)]
        fast = studio.compose(frame, state)
        slow = reference_compose(studio, frame, state)
        assert fast.shape == (720, 1280, 3) and fast.dtype == np.uint8
        worst = max(worst, int(np.abs(fast.astype(int) - slow).max()))
    assert worst <= 2, f"fast composition differs from the reference by {worst} levels"


def test_long_subtitles_wrap_to_two_lines_inside_the_title_safe_area():
    studio = make_studio()
    base = Layer(np.zeros((studio.presenter_box.h, studio.presenter_box.w, 4), np.uint8))
    none = studio.compose(PresenterFrame(base), ProgramState())
    text = ("The council met late into the night to debate the new budget, which includes funding "
            "for schools, roads, libraries, parks and a new hospital wing, before voting on it today.")
    long = studio.compose(PresenterFrame(base), ProgramState(subtitle=text))
    ys, xs = np.nonzero(np.any(none != long, axis=2))
    assert xs.min() >= 0.05 * studio.width and xs.max() < 0.95 * studio.width
    assert ys.max() < 0.95 * studio.height
    rows = ink(long, slice(studio.height // 2, None)).any(axis=1)
    text_lines = np.count_nonzero(np.diff(rows.astype(np.int8)) == 1)
    assert text_lines == 2


def test_wrapping_keeps_words_whole_and_chinese_punctuation_off_line_starts():
    font = FontBook().font(32)
    lines = wrap_text("Officials said the new bridge will open to traffic early next spring.", font, 600)
    assert len(lines) == 2 and " ".join(lines).split() == (
        "Officials said the new bridge will open to traffic early next spring.".split())
    if FontBook().covers_cjk:
        text = "今天上午，市政府宣布新的跨江大桥将于明年春季正式通车，预计每天可分流约三万辆汽车。"
        for width in range(150, 700, 37):
            lines = wrap_text(text, font, width)
            assert "".join(lines) == text
            assert not any(line[0] in "，。" for line in lines)
            assert all(font.getlength(line) <= width for line in lines)


def test_image_background_is_scaled_to_cover(tmp_path):
    picture = np.zeros((100, 200, 3), np.uint8)
    picture[:, :100] = (200, 30, 30)
    picture[:, 100:] = (30, 30, 200)
    path = tmp_path / "set.png"
    Image.fromarray(picture).save(path)
    studio = make_studio(background=str(path))
    bg = studio.background
    assert bg.shape == (720, 1280, 3)
    assert tuple(bg[360, 10]) == (200, 30, 30) and tuple(bg[360, 1270]) == (30, 30, 200)
    assert tuple(bg[0, 600]) == (200, 30, 30) and tuple(bg[719, 680]) == (30, 30, 200)


def test_presenter_placement():
    right = presenter_box(1280, 720, "right")
    assert (right.h, right.w) == (720, 540) and right.x + right.w == 1280 - 64
    assert presenter_box(1280, 720, "left").x == 64
    center = presenter_box(1280, 720, "center")
    assert center.x + center.w / 2 == 640
    tall = presenter_box(720, 1280, "right")
    assert tall.x >= 0 and tall.x + tall.w <= 720 and tall.y + tall.h == 1280
    assert abs(tall.w / tall.h - 0.75) < 0.01
    own = presenter_box(1280, 720, "left", canvas_width=500, canvas_height=700)
    assert (own.x, own.y, own.w, own.h) == (64, 20, 500, 700)


def test_subtitles_can_be_switched_off():
    on, off = make_studio(), make_studio(subtitles=False)
    base = Layer(np.zeros((on.presenter_box.h, on.presenter_box.w, 4), np.uint8))
    state = ProgramState(subtitle="Good evening, and welcome.")
    lower = slice(on.height // 2, None)
    assert ink(on.compose(PresenterFrame(base), state), lower).sum() > 500
    assert ink(off.compose(PresenterFrame(base), state), lower).sum() == 0


@pytest.mark.parametrize("kwargs,needle", [
    ({"background": "#12345"}, "studio background"),
    ({"background": "/nonexistent/set.png"}, "/nonexistent/set.png"),
    ({"language": "fr"}, "studio language"),
    ({"label_text": "  "}, "label_text"),
])
def test_bad_settings_raise_a_one_line_anchor_error(kwargs, needle):
    with pytest.raises(AnchorError) as err:
        make_studio(**kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(AnchorError, match="position"):
        presenter_box(1280, 720, "top")


def test_missing_cjk_font_falls_back_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="anchor.studio.graphics"):
        book = FontBook(dirs=(str(tmp_path),))
    assert not book.covers_cjk
    assert "CJK" in caplog.text
    assert book.font(30).getlength("News") > 0     # still draws Latin text
