"""Fingerspelling: a word's letters one by one from the lexicon's manual alphabet, joined by a
few frames of interpolation. Chinese fingerspelling spells pinyin, whose ZH, CH, SH and NG are
letters of their own (taken greedily: "zhang" is ZH A NG)."""
from __future__ import annotations

from dataclasses import replace

from anchor.media import PoseTrack
from avatars.signer.lexicon import Lexicon, LexiconError
from avatars.signer.signing import join, sign_track

LETTER_SECONDS = 0.48           # each letter, with its holds
JOIN_FRAMES = 4                 # interpolated frames between two letters
DOUBLE = ("ZH", "CH", "SH", "NG")


def letters(lexicon: Lexicon, text: str) -> list[str]:
    """The alphabet's letters that spell `text` (spaces and punctuation dropped);
    LexiconError naming a character the alphabet has no letter for."""
    out, i, up = [], 0, text.upper()
    while i < len(up):
        ch = up[i]
        if not ch.isalnum():
            i += 1
            continue
        pair = up[i:i + 2]
        if pair in DOUBLE and pair in lexicon.entries and lexicon.entries[pair].kind == "letter":
            out.append(pair)
            i += 2
            continue
        entry = lexicon.entries.get(ch)
        if entry is None or entry.kind != "letter":
            raise LexiconError(f"text: the {lexicon.language} manual alphabet has no letter for {ch!r}")
        out.append(ch)
        i += 1
    if not out:
        raise LexiconError("text: nothing to fingerspell (no letters)")
    return out


def fingerspell(lexicon: Lexicon, text: str, fps: float = 25.0) -> PoseTrack:
    """The pose track of `text` spelled letter by letter."""
    tracks = []
    for letter in letters(lexicon, text):
        plan = lexicon.letter(letter).plan
        moving = bool(plan.dominant.path or plan.dominant.twist or plan.dominant.shake)
        duration = plan.duration if moving else LETTER_SECONDS
        tracks.append(sign_track(replace(plan, duration=duration), fps))
    return join(tracks, gap=JOIN_FRAMES)
