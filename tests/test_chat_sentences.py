"""Cutting a model's token stream into sentences as they complete."""
from __future__ import annotations

import pytest

from anchor.language_model.chat import ChatError, sentences


def tokens(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def cut_as_it_streams(text: str, *, language: str, size: int = 3, **options
                      ) -> list[tuple[str, int]]:
    """Each sentence with the number of tokens read when it came out."""
    read = 0

    def stream():
        nonlocal read
        for token in tokens(text, size):
            read += 1
            yield token

    return [(s, read) for s in sentences(stream(), language=language, **options)]


@pytest.mark.parametrize("size", [1, 2, 5, 1000])
def test_english_sentences_whatever_the_token_size(size):
    text = ("Dr. Smith paid $19.99 for it. Is that cheap, e.g. for a lamp? "
            "Prices rose 3.5% in the U.S. last year! The rest follows")
    assert [s for s, _ in cut_as_it_streams(text, language="en", size=size)] == [
        "Dr. Smith paid $19.99 for it.", "Is that cheap, e.g. for a lamp?",
        "Prices rose 3.5% in the U.S. last year!", "The rest follows"]


def test_a_sentence_comes_out_once_the_next_word_starts_not_at_the_end():
    text = "Hello there. This is a much longer second sentence that keeps going on and on."
    got = cut_as_it_streams(text, language="en", size=2)
    assert got[0][0] == "Hello there."
    assert got[0][1] <= len("Hello there. T") // 2 + 1      # as soon as " T" arrived
    assert got[1][1] == len(tokens(text, 2))                 # the last one at the end


def test_a_number_cut_between_tokens_is_not_a_sentence_end():
    got = sentences(["The price is 19.", "99 dollars. Buy", " now."], language="en")
    assert list(got) == ["The price is 19.99 dollars.", "Buy now."]


def test_chinese_sentences():
    text = "今天的价格是19.99元。欢迎大家来到直播间！有问题吗？请在评论区留言"
    got = cut_as_it_streams(text, language="zh", size=2)
    assert [s for s, _ in got] == ["今天的价格是19.99元。", "欢迎大家来到直播间！", "有问题吗？",
                                   "请在评论区留言"]
    assert got[0][1] < len(tokens(text, 2)) // 2


def test_closing_quotes_stay_with_their_sentence():
    got = sentences(["他说：“好的。", "”然后走了。"], language="zh")
    assert list(got) == ["他说：“好的。”", "然后走了。"]


def test_a_run_without_an_end_is_capped():
    words = " ".join(f"word{i}" for i in range(200))
    got = [s for s, _ in cut_as_it_streams(words, language="en", size=4, max_chars=60)]
    assert len(got) > 10 and all(len(s) <= 60 for s in got)
    assert " ".join(got) == words          # cut at spaces, nothing lost
    zh = "这是一段没有句号的很长的话" * 30
    got = list(sentences(tokens(zh, 3), language="zh"))
    assert all(len(s) <= 120 for s in got) and "".join(got) == zh


def test_directives_and_blank_tokens():
    got = sentences(["Wait", " [pause 1.5s]", " for it.", " ", "\n\n", "Done"], language="en")
    assert list(got) == ["Wait [pause 1.5s] for it.", "Done"]
    assert list(sentences(["", "  ", "\n"], language="en")) == []


def test_an_unknown_language_is_refused():
    with pytest.raises(ChatError, match="language 'fr'"):
        list(sentences(["Bonjour."], language="fr"))
