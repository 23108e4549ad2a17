"""Text -> gloss: the English and Chinese rules, numbers, fingerspelling, and the CLI."""
from __future__ import annotations

import pytest

from anchor.cli import _vocabulary, main
from anchor.sign import NumberGloss, SignGloss, SpelledGloss, gloss, words
from avatars.signer.lexicon import load_lexicon
from avatars.signer.poses import read_pose


@pytest.fixture(scope="module")
def ase():
    return _vocabulary(load_lexicon("ase"))


@pytest.fixture(scope="module")
def csl():
    return _vocabulary(load_lexicon("csl"))


def ids(glosses):
    return [g.gloss if isinstance(g, SignGloss) else
            "#" + g.digits if isinstance(g, NumberGloss) else
            "fs-" + "".join(g.letters) for g in glosses]


def test_english_drops_articles_copulas_and_auxiliaries(ase):
    fates = {w.text: w.fate for w in words("The train is new and you will buy a ticket.", "en", ase)}
    assert fates["The"] == fates["is"] == fates["will"] == fates["a"] == "dropped"
    assert fates["train"] == fates["new"] == "signed" and fates["ticket"] == "fingerspelled"


def test_english_lemmatises(ase):
    assert ids(gloss("Trains ran, cities buying.", "en", ase)) == ["TRAIN", "RUN", "CITY", "BUY"]


def test_time_word_goes_to_the_front_of_its_clause(ase):
    assert ids(gloss("I buy bread tomorrow, you sell it.", "en", ase))[:2] == ["TOMORROW", "ME"]


def test_numbers_are_signed_as_numbers(ase):
    gs = gloss("Trains run every ten minutes, twenty twenty-five, 38 and six hundred.", "en", ase)
    numbers = [g for g in gs if isinstance(g, NumberGloss)]
    assert [n.digits for n in numbers] == ["10", "2025", "38", "600"]
    assert numbers[0].signs == ("TEN",) and numbers[2].signs == ("THREE", "EIGHT")


def test_an_unknown_name_is_fingerspelled_with_its_span(ase):
    text = "Thank you, Marta."
    gs = gloss(text, "en", ase)
    assert ids(gs) == ["THANK-YOU", "fs-MARTA"]
    assert text[slice(*gs[1].span)] == "Marta" and gs[0].source == "Thank you"


def test_chinese_drops_particles_and_segments(csl):
    fates = [(w.text, w.fate) for w in words("你好吗？今天下雨了。", "zh", csl)]
    assert fates == [("你好", "signed"), ("吗", "dropped"), ("今天", "signed"),
                     ("下雨", "signed"), ("了", "dropped")]


def test_chinese_numbers(csl):
    gs = [g for g in gloss("二零二五年，十八个人，三点五元", "zh", csl) if isinstance(g, NumberGloss)]
    assert [g.digits for g in gs] == ["2025", "18", "3", "5"]
    assert gs[0].signs == ("二", "零", "二", "五")


def test_chinese_character_fallback_and_pinyin(csl):
    # 大城 is no word of the lexicon, but both its characters are
    assert ids(gloss("大城", "zh", csl)) == ["大", "城市"]
    # 张 is no sign: its pinyin is fingerspelled, ZH and NG one letter each
    gs = gloss("张", "zh", csl)
    assert isinstance(gs[0], SpelledGloss) and gs[0].letters == ("ZH", "A", "NG")


def test_sign_pose_of_a_sentence_fingerspells_an_unknown_name(tmp_path, capsys):
    lexicon = load_lexicon("ase")
    plain, named = tmp_path / "plain.pose", tmp_path / "named.pose"
    assert main(["sign", "pose", "Good evening.", "--lang", "ase", "-o", str(plain)]) == 0
    assert main(["sign", "pose", "Good evening, Zoltan.", "--lang", "ase", "-o", str(named)]) == 0
    a, b = read_pose(plain), read_pose(named)
    # the name adds its six letters (at least 10 frames each) to the two signs
    assert b.frames >= a.frames + 6 * 10
    assert a.frames >= lexicon.track("GOOD").frames + lexicon.track("EVENING").frames
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named.pose", "plain.pose"]


def test_coverage_of_a_demo_show(capsys):
    assert main(["sign", "coverage", "demo-news", "--lang", "ase"]) == 0
    out = capsys.readouterr().out.splitlines()
    total = out[-1]
    assert total.startswith("total") and "signed" in total and "dropped" in total
    assert sum(line.startswith("segment") for line in out) >= 2


def test_an_unknown_sign_language_is_refused(capsys):
    assert main(["sign", "coverage", "demo-news", "--lang", "bsl"]) == 2
    assert capsys.readouterr().err.strip() == \
        "anchor: error: --lang: unknown sign language 'bsl' (one of ase, csl)"


@pytest.mark.parametrize("show,lang", [("demo-news", "csl"), ("demo-news-zh", "ase")])
def test_a_sign_language_that_does_not_fit_the_show_needs_force(show, lang, capsys):
    assert main(["sign", "coverage", show, "--lang", lang]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("anchor: error: --lang:") and "--force" in err[0]
    assert main(["sign", "coverage", show, "--lang", lang, "--force"]) == 0
