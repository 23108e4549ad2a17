"""What a character is (`anchor.text.chars`): the one CJK test and the one folding that the
gate, the answerers, the fact check, the language guess, the sentence cutter and the studio's
line breaking share."""
from __future__ import annotations

import pytest

from anchor.answers import Answerer
from anchor.rewriter.facts import shares_topic
from anchor.show import load_show
from anchor.show.source import detect_language
from anchor.studio.graphics import break_units
from anchor.text import pieces
from anchor.text.chars import IDEOGRAPHS, fold, ideograph_count, is_ideograph, is_wide_cjk


@pytest.mark.parametrize("ch, ideograph, wide", [
    ("中", True, True),          # CJK Unified Ideographs
    ("㐀", True, True),          # Extension A
    ("豈", True, True),          # a compatibility ideograph
    ("𠀀", True, True),          # Extension B
    ("。", False, True), ("，", False, True), ("Ａ", False, True),   # CJK and full-width punctuation, forms
    ("か", False, True), ("한", False, True),                        # kana, hangul
    ("a", False, False), ("é", False, False), ("-", False, False), (" ", False, False),
])
def test_ideographs_are_han_characters_and_wide_ones_the_scripts_without_spaces(ch, ideograph, wide):
    assert (is_ideograph(ch), is_wide_cjk(ch)) == (ideograph, wide)


def test_runs_and_counts_of_ideographs():
    assert IDEOGRAPHS.findall("买 Trail Bottle 水杯，豈𠀀!") == ["买", "水杯", "豈𠀀"]
    assert ideograph_count("水杯 costs 十九块") == 5


def test_fold_is_nfkc_case_folded_without_invisible_characters():
    assert fold("ＦＵＣＫ") == "fuck"
    assert fold("Stra\u200bsse ＳＴＲＡẞＥ") == "strasse strasse"
    assert fold("You’re ‘here’") == "you're 'here'"
    assert fold("Plain ASCII") == "plain ascii"


def test_every_part_agrees_on_what_is_chinese(tmp_path):
    """A compatibility ideograph (豈) and an Extension A one (㐀) count as Chinese for the
    language guess and the topic check, as they always did for the offline answers."""
    assert detect_language("豈㐀豈㐀豈㐀 ok") == "zh"
    assert shares_topic("豈㐀豈", "豈㐀豈 是新品")
    assert break_units("かな") == ["か", "な"]                  # the studio breaks kana,
    assert next(pieces("x" * 8 + "か" + "x" * 8, 10)) == (0, 9)   # so does the sentence cutter
    show = tmp_path / "shop.yaml"
    show.write_text("title: 店\nlanguage: zh\nsegments:\n  - kind: product\n    name: 豈㐀杯\n"
                    "    price: 19.9\n    currency: CNY\n    selling_points: [保温十二小时]\n")
    assert "19.9" in Answerer(load_show(show)).answer("豈㐀杯多少钱？")
