"""Written text as it is read aloud: sentences, speakable forms (normalisation) and numbers in
words, in English and Chinese. Shared by the rewriter (rules and fact check) and the chat models'
sentence cutter; it knows nothing of shows.

`sentences` cuts a text into sentences and `pieces` into clauses; `speakable_en` /
`speakable_zh` normalize one text into the words a voice reads (`Reading` keeps where each
spoken part came from in the written text).
"""
from anchor.text.normalize_en import speakable as speakable_en
from anchor.text.normalize_zh import speakable as speakable_zh
from anchor.text.reading import Reading
from anchor.text.sentences import pieces, sentences

__all__ = ["Reading", "pieces", "sentences", "speakable_en", "speakable_zh"]
