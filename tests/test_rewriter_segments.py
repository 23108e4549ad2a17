"""The rules rewriter on whole show segments: news, products, text."""
import itertools
import time
import tracemalloc
from decimal import Decimal

import pytest

from anchor.errors import ShowError
from anchor.media import Pause, Utterance
from anchor.rewriter import Rewriter, RulesRewriter
from anchor.show import FAQ, NewsSegment, ProductSegment, TextSegment


def said(items):
    return [i for i in items if isinstance(i, Utterance)]


def text(body, line=5):
    return TextSegment(kind="text", text=body, line=line)


def mug(**kw):
    data = dict(kind="product", name="Anchor Mug", price=Decimal("19.99"), currency="USD",
                selling_points=("Keeps drinks hot for 12 hours", "Dishwasher safe",
                                "Made from recycled steel"),
                faq=(FAQ(q="Does it leak?", a="No, the lid seals tight."),), line=12)
    data.update(kw)
    return ProductSegment(**data)


def test_rules_rewriter_is_a_rewriter():
    assert isinstance(RulesRewriter(), Rewriter)


def test_news_reads_headline_pause_body_and_source():
    news = NewsSegment(kind="news", headline="Rates rise to 4.5%",
                       body="The central bank moved on Tuesday. Markets fell.", source="Reuters", line=3)
    items = list(RulesRewriter(ids=itertools.count(100)).utterances(news, language="en", voice="amy"))
    assert [type(i).__name__ for i in items] == ["Utterance", "Pause", "Utterance", "Utterance",
                                                 "Utterance", "Pause"]
    assert items[0].text == "Rates rise to four point five percent"
    assert items[0].caption == "Rates rise to 4.5%"
    assert 0 < items[1].ms < items[-1].ms
    assert items[-2].text == "According to Reuters."
    assert [u.id for u in said(items)] == [100, 101, 102, 103]
    assert {u.voice for u in said(items)} == {"amy"} and {u.language for u in said(items)} == {"en"}


def test_chinese_news_names_its_source_the_chinese_way():
    news = NewsSegment(kind="news", headline="油价下调", body="今天起每升降0.5元。", source="新华社", line=3)
    items = said(RulesRewriter().utterances(news, language="zh", voice="cmn"))
    assert items[1].text == "今天起每升降零点五元。"
    assert items[-1].text == "据新华社报道。"


def test_directives_become_pauses_emotions_and_clean_captions():
    seg = text("[smile] Welcome back! [pause 800ms] Now the *serious* news. [serious] It fell 3%.")
    items = list(RulesRewriter().utterances(seg, language="en", voice="v"))
    assert Pause(800) in items
    utterances = said(items)
    assert utterances[0].emotion == "smile" and utterances[0].caption == "Welcome back!"
    assert utterances[1].caption == "Now the serious news."
    assert utterances[-1].emotion == "serious"
    assert utterances[-1].text == "It fell three percent."
    assert all("[" not in u.caption and "*" not in u.caption for u in utterances)


@pytest.mark.parametrize("body, language, stressed", [
    ("It costs *$19.99* today.", "en", ["nineteen dollars and ninety-nine cents"]),
    ("Run *5 km* and *smile*.", "en", ["five kilometers", "smile"]),
    ("只要*199元*，真的*很便宜*。", "zh", ["一百九十九元", "很便宜"]),
])
def test_emphasis_spans_land_on_the_spoken_words(body, language, stressed):
    (utterance,) = said(RulesRewriter().utterances(text(body), language=language, voice="v"))
    assert [utterance.text[s.start:s.end] for s in utterance.emphasis] == stressed


@pytest.mark.parametrize("language, limit", [("en", 180), ("zh", 60)])
def test_long_sentences_are_cut_to_the_default_length(language, limit):
    clause = "this clause keeps going on and on, " if language == "en" else "这个分句一直说下去没有尽头，"
    body = clause * 40 + ("the end." if language == "en" else "结束。")
    utterances = said(RulesRewriter().utterances(text(body), language=language, voice="v"))
    assert len(utterances) > 5
    assert all(0 < len(u.caption) <= limit for u in utterances)
    assert all(u.text.strip() for u in utterances)


def test_max_chars_cuts_at_words_when_there_are_no_clauses():
    body = "one two three four five six seven eight nine ten eleven twelve thirteen."
    utterances = said(RulesRewriter(max_chars=20).utterances(text(body), language="en", voice="v"))
    assert all(len(u.caption) <= 20 for u in utterances)
    assert " ".join(u.caption for u in utterances) == body


def test_emoji_only_segment_warns_and_yields_nothing():
    warnings = []
    rewriter = RulesRewriter(warn=warnings.append, source_name="shows/demo.yaml")
    items = list(rewriter.utterances(text("😀🔥 🎉 [pause 1s] ✨", line=42), language="en", voice="v"))
    assert items == []
    assert warnings == ["shows/demo.yaml:42: segment has no speakable text, skipped"]


def test_emoji_inside_text_is_dropped_without_a_warning():
    warnings = []
    items = said(RulesRewriter(warn=warnings.append).utterances(
        text("Great news 🎉! 😀 Sales are up."), language="en", voice="v"))
    assert [u.text for u in items] == ["Great news !", "Sales are up."]
    assert warnings == []


def test_a_bad_directive_names_the_file_and_line():
    seg = TextSegment.model_construct(kind="text", text="Hello [dance] there.", line=9)
    with pytest.raises(ShowError, match=r"^show\.yaml:9: .*\[dance\]"):
        list(RulesRewriter(source_name="show.yaml").utterances(seg, language="en", voice="v"))


def test_a_megabyte_of_text_starts_speaking_at_once_and_stays_small():
    body = "The presenter reads sentence 12 of a very long story, calmly and clearly. " * 14_000
    assert len(body) > 1_000_000
    segment = text(body)
    tracemalloc.start()
    began = time.perf_counter()
    first = list(itertools.islice(RulesRewriter().utterances(segment, language="en", voice="v"), 3))
    elapsed = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [u.text for u in first] == ["The presenter reads sentence twelve of a very long story, "
                                       "calmly and clearly."] * 3
    assert elapsed < 0.2, elapsed
    assert peak < 200_000, peak   # a list of all ~14,000 utterances would be megabytes


def test_a_megabyte_without_punctuation_is_also_lazy():
    segment = text("word " * 220_000)
    began = time.perf_counter()
    first = list(itertools.islice(RulesRewriter().utterances(segment, language="en", voice="v"), 3))
    assert time.perf_counter() - began < 0.5
    assert all(0 < len(u.caption) <= 180 for u in first)


def test_ten_passes_of_a_pitch_never_repeat_and_always_say_the_price():
    rewriter = RulesRewriter(seed=7)
    passes = [said(rewriter.utterances(mug(), language="en", voice="v", pass_index=i)) for i in range(10)]
    words = [" ".join(u.text for u in p) for p in passes]
    for a, b in zip(words, words[1:]):
        assert a != b
    for w in words:
        assert "nineteen dollars and ninety-nine cents" in w
        assert "Anchor Mug" in w and "Does it leak?" in w
    assert len(set(words)) >= 8


def test_the_same_pass_gives_the_same_words():
    def words(seed, pass_index):
        return [u.text for u in said(RulesRewriter(seed=seed).utterances(
            mug(), language="en", voice="v", pass_index=pass_index))]
    assert words(3, 4) == words(3, 4)
    assert words(3, 4) != words(4, 4)


def test_every_selling_point_is_pitched():
    utterances = said(RulesRewriter().utterances(mug(), language="en", voice="v"))
    spoken = " ".join(u.text for u in utterances).lower()
    for point in ("keeps drinks hot for twelve hours", "dishwasher safe", "made from recycled steel"):
        assert point in spoken
    assert utterances[0].emotion == "smile"


def test_chinese_pitch_reads_the_price_in_chinese_every_pass():
    product = mug(name="保温杯", price=Decimal("199"), currency="CNY",
                  selling_points=("保温12小时", "可以放进洗碗机"), faq=())
    rewriter = RulesRewriter(seed=1)
    passes = [said(rewriter.utterances(product, language="zh", voice="v", pass_index=i)) for i in range(6)]
    texts = ["".join(u.text for u in p) for p in passes]
    assert all("一百九十九元" in t and "保温十二小时" in t for t in texts)
    assert all(a != b for a, b in zip(texts, texts[1:]))
    assert all("199元" in "".join(u.caption for u in p) for p in passes)


def test_selling_points_read_as_sentences_after_a_lead_in():
    product = mug(selling_points=("A leak-proof lid", "USB charging", "Anchor Mug fits every cup holder"))
    for pass_index in range(4):
        captions = [u.caption for u in said(RulesRewriter().utterances(
            product, language="en", voice="v", pass_index=pass_index))]
        lid = next(c for c in captions if "leak-proof" in c)
        assert lid.endswith("leak-proof lid.")
        assert lid == "A leak-proof lid." or lid.endswith(" a leak-proof lid.")   # no ", A leak..."
        assert any(c.endswith("USB charging.") for c in captions)
        assert any(c.endswith("Anchor Mug fits every cup holder.") for c in captions)
