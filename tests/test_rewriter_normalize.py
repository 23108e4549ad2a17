"""What the voice is told to say: English and Chinese normalization, and sentence cutting."""
import pytest

from anchor.text import sentences, speakable_en, speakable_zh
from anchor.text.normalize_en import reading as reading_en
from anchor.text.sentences import pieces

ENGLISH = [
    ("3.5", "three point five"),
    ("0.05", "zero point zero five"),
    ("1,250,000", "one million two hundred fifty thousand"),
    ("1.25 million", "one point two five million"),
    ("the 21st floor", "the twenty-first floor"),
    ("in 1999", "in nineteen ninety-nine"),
    ("by 2026.", "by twenty twenty-six."),
    ("in 2005", "in two thousand five"),
    ("-5 points", "minus five points"),
    ("4.5%", "four point five percent"),
    ("$19.99", "nineteen dollars and ninety-nine cents"),
    ("$1", "one dollar"),
    ("$0.50", "fifty cents"),
    ("$1.5 million", "one point five million dollars"),
    ("€5", "five euros"),
    ("£3.50", "three pounds and fifty pence"),
    ("¥199", "one hundred ninety-nine yuan"),
    ("CN¥199", "one hundred ninety-nine yuan"),
    ("RMB 199", "one hundred ninety-nine yuan"),
    ("USD 20", "twenty dollars"),
    ("2026-11-24", "November twenty-fourth, twenty twenty-six"),
    ("Nov 24, 2026", "November twenty-fourth, twenty twenty-six"),
    ("24/11/2026", "twenty-four slash eleven slash twenty twenty-six"),
    ("14:30", "fourteen thirty"),
    ("9:05 am", "nine oh five AM"),
    ("at 5 p.m.", "at five PM"),
    ("5 km", "five kilometers"),
    ("1 km", "one kilometer"),
    ("10kg", "ten kilograms"),
    ("25°C", "twenty-five degrees Celsius"),
    ("-3°C", "minus three degrees Celsius"),
    ("3 GB", "three gigabytes"),
    ("120 km/h", "one hundred twenty kilometers per hour"),
    ("500 ml", "five hundred milliliters"),
    ("a 600 ml server", "a six hundred milliliter server"),
    ("Dr. Smith vs. Mr. Jones", "Doctor Smith versus Mister Jones"),
    ("fruit, e.g. apples, etc.", "fruit, for example apples, et cetera"),
    ("approx. 5", "approximately five"),
    ("NASA and the U.S.", "NASA and the U S"),
    ("example.com/news", "example dot com slash news"),
    ("read https://example.com/2026/11/24/a-very-long-article-name?ref=home now",
     "read the link on screen now"),
    ("write to anna@example.com.", "write to anna at example dot com."),
    ("Big deal 🔥😀!", "Big deal !"),
    ("salt & pepper", "salt and pepper"),
    ("our #1 seller", "our number one seller"),
    ("1/2 cup, 3/4 full, open 24/7", "one half cup, three quarters full, open twenty-four seven"),
    ("2020-2026", "twenty twenty to twenty twenty-six"),
    ("3–5 days", "three to five days"),
    ("007", "zero zero seven"),
]

CHINESE = [
    ("2026年", "二零二六年"),
    ("1,250", "一千二百五十"),
    ("3.5", "三点五"),
    ("0.05", "零点零五"),
    ("10000", "一万"),
    ("100005", "十万零五"),
    ("1005", "一千零五"),
    ("110", "一百一十"),
    ("1.2亿", "一点二亿"),
    ("4.5%", "百分之四点五"),
    ("¥199", "一百九十九元"),
    ("199元", "一百九十九元"),
    ("$20", "二十美元"),
    ("2026-11-24", "二零二六年十一月二十四日"),
    ("2026年11月24日", "二零二六年十一月二十四日"),
    ("14:30", "十四点三十分"),
    ("9:05", "九点零五分"),
    ("5公里", "五公里"),
    ("5 km", "五公里"),
    ("25°C", "二十五摄氏度"),
    ("-5°C", "零下五摄氏度"),
    ("买2个", "买两个"),
    ("3-5天", "三到五天"),
    ("1/2", "二分之一"),
    ("第1名", "第一名"),
    ("1至2月", "一至二月"),
    ("价格：￥１９９", "价格：一百九十九元"),
    ("iPhone 新品 OK", "iPhone 新品 OK"),
    ("访问 example.com/news", "访问 example点com斜杠news"),
    ("😀好的🔥", "好的"),
    ("电话13800138000", "电话一三八零零一三八零零零"),
]


@pytest.mark.parametrize("written, spoken", ENGLISH)
def test_english_is_read_as_a_presenter_would(written, spoken):
    assert speakable_en(written) == spoken


@pytest.mark.parametrize("written, spoken", CHINESE)
def test_chinese_is_read_as_a_presenter_would(written, spoken):
    assert speakable_zh(written) == spoken


def test_english_keeps_no_digits_or_symbols_the_voice_would_spell():
    text = "On 2026-11-24 at 14:30, 1,250 fans paid $19.99 (4.5% off) for 3 GB & a 25°C day."
    spoken = speakable_en(text)
    assert not any(c.isdigit() for c in spoken), spoken
    assert not set("$%&°") & set(spoken), spoken


def test_emphasis_span_follows_the_words_through_normalization():
    written = "Only $19.99 for 3 km today"
    r = reading_en(written)
    start = written.index("3 km")
    span = r.span(start, start + len("3 km"))
    assert r.text[span.start:span.end] == "three kilometers"
    span = r.span(written.index("today"), len(written))
    assert r.text[span.start:span.end] == "today"


SPLITS = [
    ("Dr. Smith arrived. He said hi.", ["Dr. Smith arrived.", "He said hi."]),
    ("The U.S. economy grew 3.5 percent. Good news!",
     ["The U.S. economy grew 3.5 percent.", "Good news!"]),
    ("Visit example.com/news. Then call.", ["Visit example.com/news.", "Then call."]),
    ("Wait… what?! Yes.", ["Wait… what?!", "Yes."]),
    ('"Really?" he asked. Yes.', ['"Really?" he asked.', "Yes."]),
    ("Apples, pears etc. Then more.", ["Apples, pears etc.", "Then more."]),
    ("First line\n\nSecond paragraph", ["First line", "Second paragraph"]),
    ("Hold on. [pause 1.5s] Go.", ["Hold on.", "[pause 1.5s] Go."]),
    ("你好。今天很好！我们走3.5公里；好吗？OK", ["你好。", "今天很好！", "我们走3.5公里；", "好吗？", "OK"]),
    ("他说：“走吧。”然后走了。", ["他说：“走吧。”", "然后走了。"]),
]


@pytest.mark.parametrize("text, expected", SPLITS)
def test_sentence_splitting(text, expected):
    assert list(sentences(text)) == expected


def test_a_text_without_sentence_ends_is_still_cut_into_bounded_sentences():
    text = "word " * 5000
    got = list(sentences(text, hard_cap=300))
    assert all(0 < len(s) <= 300 for s in got)
    assert " ".join(got).split() == text.split()


@pytest.mark.parametrize("caption, limit", [
    ("One clause here, another clause there; and then a very long tail of words at the end", 30),
    ("这是一个很长的句子，没有多少标点符号但是需要被切开因为它实在是太长了真的很长很长", 12),
    ("Supercalifragilisticexpialidocious" * 3, 20),
])
def test_pieces_are_bounded_and_lose_nothing(caption, limit):
    spans = list(pieces(caption, limit))
    parts = [caption[a:b] for a, b in spans]
    assert all(0 < len(p) <= limit for p in parts)
    assert "".join(parts).replace(" ", "") == caption.replace(" ", "")
    assert all(p == p.strip() for p in parts)


def test_pieces_prefer_clause_boundaries():
    caption = "The market opened higher this morning, and then it fell sharply after lunch"
    parts = [caption[a:b] for a, b in pieces(caption, 50)]
    assert parts[0] == "The market opened higher this morning,"


@pytest.mark.parametrize("n", [0, 7, 10, 19, 110, 1005, 10_000, 100_005, 1_250_000, 123_456_789,
                               300_040_000, 1_000_000_007])
def test_numbers_read_out_are_read_back_to_their_value(n):
    from anchor.text import numbers_en, numbers_zh
    assert numbers_en.value(numbers_en.cardinal(n)) == n
    assert numbers_zh.value(numbers_zh.cardinal(n)) == n
