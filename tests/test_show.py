"""The show file: demo shows load, bad input points at the right line, .md/.txt import."""
from __future__ import annotations

import time
from decimal import Decimal

import numpy as np
import pydantic
import pytest
from PIL import Image

from anchor.errors import AnchorError, ShowError
from anchor.show import (NewsSegment, ProductSegment, TextSegment, demo_show_path, directives,
                         list_demo_shows, load_show, parse_show)
from anchor.show.source import detect_language

HEAD = "title: Test\nlanguage: en\n"


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(path) -> ShowError:
    with pytest.raises(ShowError) as info:
        load_show(path)
    return info.value


# ---- the demo shows ------------------------------------------------------------------------

def test_demo_shows_are_listed_and_found():
    demos = list_demo_shows()
    assert {"demo-news", "demo-news-zh", "demo-shop"} <= {p.stem for p in demos}
    assert all(p.is_file() for p in demos)
    assert demo_show_path().name == "demo-shop.yaml"
    with pytest.raises(ShowError, match="demo-news"):   # the message lists what exists
        demo_show_path("demo-nothing")


@pytest.mark.parametrize("name", ["demo-news", "demo-news-zh", "demo-shop"])
def test_demo_show_loads_with_text_to_speak(name):
    show = load_show(demo_show_path(name))
    assert show.path == demo_show_path(name)
    assert show.title and show.segments
    for seg in show.segments:
        assert seg.line > 0
        spoken = [getattr(seg, f, None) for f in ("headline", "body", "text", "name")]
        assert any(directives.strip(t).strip() for t in spoken if t)


def test_demo_news_is_a_two_minute_english_bulletin_with_the_hard_parts():
    show = load_show(demo_show_path("demo-news"))
    assert show.language == "en"
    news = [s for s in show.segments if isinstance(s, NewsSegment)]
    assert 4 <= len(news) <= 5
    text = "\n".join(getattr(s, "body", None) or getattr(s, "text", "") for s in show.segments)
    words = len(directives.strip(text).split())
    assert 220 <= words <= 330, words                  # ~1.5-2 min at ~150 words a minute
    pieces = [p for s in show.segments for p in directives.parse(getattr(s, "body", None) or s.text)]
    assert any(isinstance(p, directives.Pause) for p in pieces)
    assert any(isinstance(p, directives.Expression) for p in pieces)
    assert "%" in text and "www." in text and "2025" in text


def test_demo_news_zh_is_chinese_with_numbers():
    show = load_show(demo_show_path("demo-news-zh"))
    assert show.language == "zh" and show.ai_label != "AI-generated"
    news = [s for s in show.segments if isinstance(s, NewsSegment)]
    assert 3 <= len(news) <= 4
    bodies = "".join(s.body for s in news)
    assert detect_language(bodies) == "zh"
    assert "%" in bodies and "月" in bodies and any(c.isdigit() for c in bodies)


def test_demo_shop_has_products_with_exact_prices_and_faq():
    show = load_show(demo_show_path("demo-shop"))
    products = [s for s in show.segments if isinstance(s, ProductSegment)]
    assert 2 <= len(products) <= 3
    for product in products:
        assert product.price > 0 and product.currency == "USD"
        assert product.selling_points and product.faq
    assert products[0].price == Decimal("34.99")
    assert str(products[1].price) == "24.50"        # the scalar's own text, not a float


# ---- a good YAML show ----------------------------------------------------------------------

def test_yaml_show_keeps_text_as_written_and_prices_exact(tmp_path):
    path = write(tmp_path, "s.yaml", HEAD + """\
seed: 7
segments:
  - kind: news
    headline: 2025
    body: Numbers stay text.
  - kind: product
    name: Mug
    price: 0.30
    selling_points: [yes, 100% cotton]
    faq:
      - q: Is it big?
        a: Yes
  - kind: product
    language: zh
    name: 杯子
    price: 19.99
    selling_points: [好用]
""")
    show = load_show(path)
    news, mug, cup = show.segments
    assert news.headline == "2025"                    # not the integer 2025
    assert mug.price == Decimal("0.30") and mug.currency == "USD"
    assert mug.selling_points == ("yes", "100% cotton")
    assert mug.faq[0].a == "Yes" and mug.faq[0].line == 13
    assert cup.currency == "CNY" and show.language_of(cup) == "zh"
    assert [s.line for s in show.segments] == [5, 8, 15]
    assert show.seed == 7 and show.avatar == "presenter" and show.voice is None
    with pytest.raises(pydantic.ValidationError):
        show.segments[0].headline = "changed"       # frozen


def test_layout_background_image_is_found_next_to_the_show(tmp_path):
    (tmp_path / "art").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "art" / "studio.png")
    path = write(tmp_path, "s.yaml", HEAD + """\
layout: {width: 640, height: 360, fps: 30, background: art/studio.png, label: Made by AI}
segments: [{kind: text, text: Hello.}]
""")
    show = load_show(path)
    assert show.layout.background_image == tmp_path / "art" / "studio.png"
    assert show.layout.background_rgb is None
    assert (show.layout.width, show.layout.height, show.layout.fps) == (640, 360, 30)
    assert show.ai_label == "Made by AI"
    default = parse_show(HEAD + "segments: [{kind: text, text: Hi}]")
    assert default.layout.background_rgb == (0x14, 0x21, 0x3D)
    assert default.ai_label == "AI-generated"


# ---- bad YAML: the right line and a message that says what to fix --------------------------

BAD_YAML = [
    # (file text, line, words the message must contain)
    ("", None, "empty"),
    ("title: T\nlanguage: en\nsegments: []\n", 3, "no segments"),
    ("title: T\nlanguage: en\n", 1, "'segments'"),
    ("title: T\nlanguage: fr\nsegments: [{kind: text, text: hi}]\n", 2, "en or zh"),
    ("title: T\nlanguage: en\nsegments:\n  - kind: text\n    text: [oops\n", 6, "YAML syntax"),
    ("title: T\n  language: en\n", 2, "YAML syntax"),
    (HEAD + "segments:\n  - kind: news\n    hedline: H\n    body: b\n", 5,
     "unknown field 'hedline' (did you mean 'headline'?)"),
    (HEAD + "segments:\n  - kind: text\n    text: hi\n  - kind: product\n    name: Mug\n"
     "    price: cheap\n    selling_points: [a]\n", 8, "segments[1].price: must be a number"),
    (HEAD + "segments:\n  - kind: product\n    name: Mug\n    price: -2\n"
     "    selling_points: [a]\n", 6, "at least 0"),
    (HEAD + "segments:\n  - kind: text\n    text: hi\n  - kind: news\n    headline: H\n"
     "    body:\n", 8, "segments[1].body: is empty"),
    (HEAD + "segments:\n  - kind: text\n    text: |\n      \n", 5, "segments[0].text: is empty"),
    (HEAD + "segments:\n  - kind: poem\n    text: hi\n", 4, "unknown segment kind 'poem'"),
    (HEAD + "segments:\n  - text: hi\n", 4, "kind"),
    (HEAD + "segments:\n  - kind: news\n    headline: H\n    body: |\n      one\n"
     "      two [wave] three\n", 8, "unknown directive [wave]"),
    (HEAD + "layout:\n  width: 1281\nsegments: [{kind: text, text: hi}]\n", 4, "even"),
    (HEAD + "layout:\n  fps: 90\nsegments: [{kind: text, text: hi}]\n", 4, "at most 60"),
    (HEAD + "layout:\n  background: #14213d\nsegments: [{kind: text, text: hi}]\n", 4, "quote"),
    (HEAD + "layout:\n  background: hall.png\nsegments: [{kind: text, text: hi}]\n", 4,
     "not found"),
    (HEAD + "layout:\n  presenter: top\nsegments: [{kind: text, text: hi}]\n", 4,
     "left, center or right"),
    (HEAD + "segments:\n  - kind: product\n    name: Mug\n    price: 3\n    currency: dollars\n"
     "    selling_points: [a]\n", 7, "ISO currency"),
    (HEAD + "segments:\n  - kind: product\n    name: Mug\n    price: 3\n    selling_points: [a]\n"
     "    faq:\n      - q: Big?\n        answr: Yes\n", 10, "unknown field 'answr' (fields here: q, a)"),
    (HEAD + "seed: lots\nsegments: [{kind: text, text: hi}]\n", 3, "whole number"),
    (HEAD + "title: Again\nsegments: [{kind: text, text: hi}]\n", 3, "duplicate field 'title'"),
    ("- just\n- a list\n", 1, "mapping"),
]


@pytest.mark.parametrize("text, line, words", BAD_YAML)
def test_bad_yaml_names_file_line_and_problem(tmp_path, text, line, words):
    path = write(tmp_path, "bad.yaml", text)
    err = error_of(path)
    assert err.line == line
    expected = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(err).startswith(expected), str(err)
    assert words in str(err)
    assert isinstance(err, AnchorError)


# ---- reading files -------------------------------------------------------------------------

def test_file_problems_name_the_file(tmp_path):
    missing = error_of(tmp_path / "nowhere.yaml")
    assert "not found" in str(missing) and "nowhere.yaml" in str(missing)
    latin1 = write(tmp_path, "latin1.txt", "Caf\u00e9 news\nsecond line\n".encode("latin-1"))
    err = error_of(latin1)
    assert err.line == 1 and "UTF-8" in str(err) and "latin1.txt" in str(err)
    assert "unknown show format" in str(error_of(write(tmp_path, "show.json", "{}")))
    assert "empty" in str(error_of(write(tmp_path, "blank.txt", " \n\n \n")))


def test_utf8_with_bom_loads(tmp_path):
    path = write(tmp_path, "bom.yaml", ("\ufeff" + HEAD + "segments: [{kind: text, text: Hi}]\n")
                 .encode("utf-8"))
    assert load_show(path).title == "Test"


def test_a_megabyte_text_segment_loads_quickly(tmp_path):
    line = "The quick brown fox jumps over the lazy dog [pause 100ms] at 12.5% of the time.\n"
    body = line * (1_000_000 // len(line) + 1)
    text = HEAD + "segments:\n  - kind: text\n    text: |\n" + "".join(
        "      " + row + "\n" for row in body.splitlines())
    path = write(tmp_path, "big.yaml", text)
    start = time.perf_counter()
    show = load_show(path)
    assert time.perf_counter() - start < 5
    assert len(show.segments[0].text) >= 1_000_000


# ---- Markdown and plain text ---------------------------------------------------------------

MARKDOWN = """\
---
title: Morning Notes
language: en
layout:
  presenter: left
---
Good morning, here are the notes.

## Bridge reopens
The **east** bridge reopens on [Monday](https://example.org/bridge).

## Markets calm
Shares closed flat.
"""


def test_markdown_headings_become_news_with_right_lines(tmp_path):
    show = load_show(write(tmp_path, "notes.md", MARKDOWN))
    assert show.title == "Morning Notes" and show.layout.presenter == "left"
    assert show.layout.line == 4
    intro, bridge, markets = show.segments
    assert isinstance(intro, TextSegment) and intro.line == 7
    assert (bridge.headline, bridge.line) == ("Bridge reopens", 9)
    assert bridge.body == "The *east* bridge reopens on Monday."   # link text kept, URL dropped
    assert (markets.headline, markets.line, markets.body) == ("Markets calm", 12, "Shares closed flat.")


def test_markdown_errors_point_into_the_body(tmp_path):
    bad = MARKDOWN.replace("Shares closed flat.", "Shares closed\nflat [shrug] today.")
    err = error_of(write(tmp_path, "bad.md", bad))
    assert err.line == 14 and "segments[2].body" in str(err) and "[shrug]" in str(err)
    empty = MARKDOWN.replace("Shares closed flat.\n", "")
    err = error_of(write(tmp_path, "empty.md", empty))
    assert err.line == 12 and "is empty" in str(err)
    front = MARKDOWN.replace("presenter: left", "presenter: [left")
    err = error_of(write(tmp_path, "front.md", front))
    assert "YAML syntax" in str(err) and 5 <= err.line <= 6


def test_markdown_without_front_matter_or_headings_is_one_text_segment(tmp_path):
    show = load_show(write(tmp_path, "note.md", "# 今日提示\n\n今天气温回升，适合出行。\n"))
    assert show.title == "今日提示" and show.language == "zh"
    (segment,) = show.segments
    assert isinstance(segment, TextSegment) and segment.line == 3
    assert segment.text == "今天气温回升，适合出行。"
    news = load_show(write(tmp_path, "headed.md", "## Rail strike ends\nTrains run again.\n"))
    assert news.title == "Rail strike ends" and news.language == "en"
    assert news.segments[0].body == "Trains run again." and news.segments[0].line == 1


def test_plain_text_is_a_one_segment_show(tmp_path):
    show = load_show(write(tmp_path, "weather-update.txt",
                           "\nRain this afternoon\n\nTake an umbrella. [smile]\n"))
    assert show.title == "Rain this afternoon" and show.language == "en"
    (segment,) = show.segments
    assert segment.line == 2 and segment.text.endswith("[smile]")
    long_first = "word " * 40 + "\nmore\n"
    assert load_show(write(tmp_path, "long_title.txt", long_first)).title == "long title"
    err = error_of(write(tmp_path, "bad.txt", "one\ntwo\nthree [explode]\n"))
    assert err.line == 3 and "[explode]" in str(err)


# ---- language detection --------------------------------------------------------------------

@pytest.mark.parametrize("text, language", [
    ("Markets closed higher on Friday.", "en"),
    ("今天股市小幅上涨，成交量放大。", "zh"),
    ("苹果公司发布了新款 iPhone，起售价5999元。", "zh"),            # Chinese with a brand name
    ("今天我们介绍 Anchor 引擎，它支持 WebRTC 和 RTMP 推流。", "zh"),
    ("The delegation visited 上海 and Shenzhen last week to sign the agreement.", "en"),
    ("12:30 — 45%", "en"),                                            # no letters at all
])
def test_detect_language(text, language):
    assert detect_language(text) == language
