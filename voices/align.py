"""Mouth timing for any audio: the text's espeak-ng phonemes aligned to a recording.

A neural voice gives no phoneme events and a recording gives none either, so `audio_timing`
makes them: it speaks the text with a neutral espeak-ng reference voice (which knows where each
of its phonemes and words falls), describes both the reference and the given audio as MFCC
frames (10 ms hop, numpy only), warps one onto the other with dynamic time warping, and carries
every reference boundary through the warp. Silences in the given audio (leading, trailing and
pauses of at least MIN_SILENCE_S) are cut out before warping and come back as pauses, so the
mouth is closed whenever the audio is silent, whatever the reference did there.

The warp: each reference frame takes one audio frame; between two reference frames the audio
may stay (the reference is faster there) or advance by 1 to MAX_STRETCH frames (slower), within
a band around the straight line from start to end. That keeps every step of the dynamic
programme a vectorized row operation, and memory to one small int8 row per reference frame.
Long audio (a recorded segment of minutes) is first warped on coarse frames, then finely within
a narrow band around that coarse path, so time and memory grow linearly with its length.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anchor.errors import VoiceError
from anchor.media import Phoneme, Utterance, Viseme, Word
from voices.base import VoiceInfo
from voices.espeak import EspeakVoice
from voices.resample import resample
from voices.visemes import phoneme_visemes

ANALYSIS_RATE = 16_000
HOP = 160                   # 10 ms
WINDOW = 400                # 25 ms
N_FFT = 512
N_MELS = 40
N_MFCC = 13                 # c1..c12 are used (c0, loudness, is left to the silence test)
MIN_SILENCE_S = 0.12        # quieter runs at least this long are pauses (closed mouth)
SILENCE_BELOW_PEAK_DB = 45  # a frame this far below the loud frames is silent ...
SILENCE_ABOVE_FLOOR = 0.2   # ... or in the lowest fifth between the noise floor and the peak
SILENCE_DB = -60            # ... or below this level (dB full scale) in any case
PAUSE_FRAMES = 4            # frames of each pause the warp still sees
MAX_STRETCH = 3             # audio frames one reference frame may advance over
BAND_SHARE = 0.2            # half-width of the warping band, as a share of the audio frames
MIN_BAND = 60               # ... and at least this many frames
LONG_FRAMES = 3000          # audio longer than this (30 s) is warped in two passes: first
COARSE = 8                  # ... on frames pooled by this much, then within
GUIDED_BAND = 100           # ... this many frames either side of that coarse path

REFERENCE_VOICES = {"en": "en-us", "zh": "cmn"}


@dataclass(frozen=True, slots=True)
class AudioTiming:
    """Timings for a stretch of audio, in samples of the rate it was given at."""
    phonemes: tuple[Phoneme, ...]
    visemes: tuple[Viseme, ...]
    words: tuple[Word, ...]


def audio_timing(text: str, pcm: np.ndarray, sample_rate: int, *, language: str) -> AudioTiming:
    """Phoneme, viseme and word timings of `text` as spoken in `pcm` (mono, int16 or float,
    at `sample_rate`); offsets in samples of `sample_rate`. Silent audio or unspeakable text
    gives empty timings."""
    if sample_rate < 8000:
        raise VoiceError(f"audio timing: sample rate {sample_rate} Hz is below 8000 Hz")
    audio = _analysis_audio(pcm, sample_rate)
    zh = language.lower().startswith(("zh", "cmn"))
    lang = "zh" if zh else "en" if language.lower().startswith("en") else language
    reference = _reference(text, lang)
    if reference is None or len(audio) < WINDOW:
        return AudioTiming((), (), ())
    ref_feats, ref_db = _features(reference.pcm.astype(np.float32) / 32768.0)
    feats, db = _features(audio)
    ref_keep = np.flatnonzero(_kept(_pauses(ref_db)))
    keep = np.flatnonzero(_kept(_pauses(db)))
    if len(ref_keep) < 2 or len(keep) < 2:
        return AudioTiming((), (), ())
    ref_norm, norm = _normalized(ref_feats[ref_keep]), _normalized(feats[keep])
    path = _warp(ref_norm, norm)

    scale = sample_rate / ANALYSIS_RATE
    n_out = round(len(audio) * scale)
    silences = _silent_spans(db, scale, n_out)

    def carry(samples: np.ndarray) -> np.ndarray:
        """Reference samples (16 kHz) -> audio samples (sample_rate)."""
        frame = (np.asarray(samples, np.float64) - WINDOW / 2) / HOP
        compact = np.interp(frame, ref_keep, np.arange(len(ref_keep), dtype=np.float64))
        target = np.interp(compact, np.arange(len(path), dtype=np.float64), path)
        k = np.clip(np.floor(target).astype(np.int64), 0, len(keep) - 2)
        frac = np.clip(target - k, 0.0, 1.0)
        orig = np.where(frac < 0.5, keep[k] + frac, keep[k + 1] - (1.0 - frac))
        return np.clip(np.round((orig * HOP + WINDOW / 2) * scale), 0, n_out).astype(np.int64)

    phonemes = _phonemes(reference.phonemes, carry, silences)
    visemes = phoneme_visemes(phonemes, language=lang, sample_rate=sample_rate)
    words = _words(reference.words, carry, silences)
    return AudioTiming(phonemes, visemes, words)


# ---- the reference ------------------------------------------------------------------------

def _reference(text: str, language: str):
    voice_name = REFERENCE_VOICES.get(language, language)
    voice = EspeakVoice(VoiceInfo("align-reference", language, "espeak-ng"),
                        espeak_voice=voice_name, sample_rate=ANALYSIS_RATE)
    utterance = Utterance(id=0, text=text, language=language, voice="align-reference")
    return next(iter(voice.synthesize(utterance)), None)


# ---- audio and features ---------------------------------------------------------------------

def _analysis_audio(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mono float32 in [-1, 1] at ANALYSIS_RATE."""
    data = np.asarray(pcm)
    if data.ndim == 2:
        data = data.mean(axis=1 if data.shape[1] <= 8 else 0)
    if data.ndim != 1:
        raise VoiceError(f"audio timing: audio must be mono samples, not shape {data.shape}")
    if data.dtype.kind in "iu":
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
    data = np.ascontiguousarray(data, dtype=np.float32)
    if sample_rate == ANALYSIS_RATE or len(data) == 0:
        return data
    return resample(data, sample_rate, ANALYSIS_RATE)


def _mel_bank() -> np.ndarray:
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)
    points = np.linspace(mel(60.0), mel(7600.0), N_MELS + 2)
    hz = 700.0 * (10 ** (points / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(N_FFT, 1.0 / ANALYSIS_RATE)
    bank = np.zeros((N_MELS, len(bins)))
    for m in range(N_MELS):
        lo, mid, hi = hz[m], hz[m + 1], hz[m + 2]
        bank[m] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return bank


def _features(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(MFCC c1..c12 per 10 ms frame, frame level in dB full scale)."""
    n = max(1, 1 + (len(audio) - WINDOW) // HOP)
    padded = np.pad(audio, (0, max(0, (n - 1) * HOP + WINDOW - len(audio))))
    emphasized = np.append(padded[0], padded[1:] - 0.97 * padded[:-1])
    index = np.arange(WINDOW)[None, :] + HOP * np.arange(n)[:, None]
    frames = emphasized[index] * np.hanning(WINDOW)[None, :]
    power = np.abs(np.fft.rfft(frames, N_FFT)) ** 2
    log_mel = np.log(power @ _mel_bank().T + 1e-8)
    k = np.arange(N_MELS)
    dct = np.cos(np.pi / N_MELS * (k[None, :] + 0.5) * np.arange(N_MFCC)[:, None])
    mfcc = log_mel @ dct.T
    raw = padded[index]
    db = 10 * np.log10(np.mean(raw * raw, axis=1) + 1e-10)
    return mfcc[:, 1:], db


def _normalized(feats: np.ndarray) -> np.ndarray:
    """Mean and variance normalized per utterance: takes out the voice's colour."""
    return (feats - feats.mean(axis=0)) / (feats.std(axis=0) + 1e-6)


def _silent(db: np.ndarray) -> np.ndarray:
    floor, peak = np.percentile(db, 5), np.percentile(db, 95)
    threshold = max(peak - SILENCE_BELOW_PEAK_DB, floor + SILENCE_ABOVE_FLOOR * (peak - floor),
                    SILENCE_DB)
    return db < threshold


def _pauses(db: np.ndarray) -> np.ndarray:
    """Frames inside silent runs of at least MIN_SILENCE_S, and all leading/trailing silence."""
    quiet = _silent(db)
    out = np.zeros_like(quiet)
    min_run = round(MIN_SILENCE_S * ANALYSIS_RATE / HOP)
    for start, end in _runs(quiet):
        if end - start >= min_run or start == 0 or end == len(quiet):
            out[start:end] = True
    return out


def _kept(pauses: np.ndarray) -> np.ndarray:
    """The frames the warp sees: all but the pauses, of which PAUSE_FRAMES in the middle of
    each inner one stay, so a pause in one voice can meet a short silence in the other."""
    keep = ~pauses
    for start, end in _runs(pauses):
        if start > 0 and end < len(pauses):
            middle = (start + end) // 2
            keep[max(start, middle - PAUSE_FRAMES // 2):min(end, middle - PAUSE_FRAMES // 2 + PAUSE_FRAMES)] = True
    return keep


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _silent_spans(db: np.ndarray, scale: float, n_out: int) -> list[tuple[int, int]]:
    """The pauses of the audio, in output samples (a frame is silent over its central hop)."""
    spans = []
    for start, end in _runs(_pauses(db)):
        a = 0 if start == 0 else round((start * HOP + (WINDOW - HOP) / 2) * scale)
        b = n_out if end == len(db) else round((end * HOP + (WINDOW - HOP) / 2) * scale)
        if b > a:
            spans.append((min(a, n_out), min(b, n_out)))
    return spans


# ---- the warp ---------------------------------------------------------------------------------

def _warp(ref: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each reference frame, the target frame it falls on (non-decreasing, from the first
    frame to the last)."""
    n, m = len(ref), len(target)
    if m > LONG_FRAMES and n > LONG_FRAMES // (MAX_STRETCH + 1):
        coarse = _warp(_pooled(ref), _pooled(target))
        guide = np.interp(np.arange(n) / COARSE, np.arange(len(coarse)), coarse) * COARSE
        centre = np.round(guide).astype(np.int64)
        half = GUIDED_BAND
    else:
        centre = np.round(np.arange(n) * (m - 1) / max(1, n - 1)).astype(np.int64)
        half = max(MIN_BAND, int(BAND_SHARE * m), abs(m - n) // MAX_STRETCH + 1)
    return _banded_warp(ref, target, centre, half)


def _pooled(frames: np.ndarray) -> np.ndarray:
    """Frames averaged COARSE at a time (the last group may be shorter)."""
    starts = np.arange(0, len(frames), COARSE)
    return np.add.reduceat(frames, starts, axis=0) / np.diff(np.append(starts, len(frames)))[:, None]


def _banded_warp(ref: np.ndarray, target: np.ndarray, centre: np.ndarray, half: int) -> np.ndarray:
    """The warp within `half` frames either side of `centre` (one target frame per ref frame)."""
    n, m = len(ref), len(target)
    width = min(2 * half + 1, m)
    low = np.clip(centre - half, 0, max(0, m - width))
    band = np.arange(width)
    ref_sq = np.sum(ref * ref, axis=1)
    tgt_sq = np.sum(target * target, axis=1)
    steps = np.zeros((n, width), np.int8)
    inf = np.float64(np.inf)
    prev = np.full(width, inf)
    for i in range(n):
        js = low[i] + band
        cost = np.sqrt(np.maximum(ref_sq[i] + tgt_sq[js] - 2.0 * (target[js] @ ref[i]), 0.0))
        if i == 0:
            row = np.where(js == 0, cost, inf)
            prev = row
            continue
        best = np.full(width, inf)
        choice = np.zeros(width, np.int8)
        passed = np.zeros(width)     # cost of the audio frames a step passes over
        for step in range(MAX_STRETCH + 1):
            if step >= 2:
                passed = passed + _shift(cost, step - 1)
            idx = js - step - low[i - 1]
            ok = (idx >= 0) & (idx < width)
            cand = np.full(width, inf)
            cand[ok] = prev[idx[ok]]
            cand += passed
            better = cand < best
            best[better] = cand[better]
            choice[better] = step
        prev = best + cost
        steps[i] = choice
    if not np.isfinite(prev[m - 1 - low[n - 1]]):
        # No warp reaches the last frame: the audio is over MAX_STRETCH times as long as the
        # reference (a neural voice that rambles on). Spread the reference evenly instead.
        return np.arange(n) * (m - 1) / max(1, n - 1)
    path = np.zeros(n, np.float64)
    j = m - 1
    for i in range(n - 1, -1, -1):
        path[i] = j
        if i:
            j -= int(steps[i, j - low[i]])
    return path


def _shift(values: np.ndarray, step: int) -> np.ndarray:
    out = np.full(len(values), np.inf)
    if step < len(values):
        out[step:] = values[:-step]
    return out


# ---- timings through the warp ---------------------------------------------------------------

def _outside(start: int, end: int, silences: list[tuple[int, int]]) -> tuple[int, int]:
    """[start, end) with any pause that covers one of its ends cut off."""
    for a, b in silences:
        if a <= start < b:
            start = b
        if a < end <= b:
            end = a
        if start < a and b < end:       # spans the pause: keep its longer side
            start, end = (start, a) if a - start >= end - b else (b, end)
    return start, end


def _spans(items, carry, silences) -> list[tuple[int, int]]:
    """(start, end) of each reference item carried onto the audio, moved out of its silences."""
    starts = carry(np.array([item.start for item in items]))
    ends = carry(np.array([item.end for item in items]))
    return [_outside(int(start), int(end), silences) for start, end in zip(starts, ends)]


def _phonemes(reference: tuple[Phoneme, ...], carry, silences) -> tuple[Phoneme, ...]:
    sounds = [p for p in reference if not p.symbol.startswith("_")]
    if not sounds:
        return ()
    timed = [Phoneme(p.symbol, start, end)
             for p, (start, end) in zip(sounds, _spans(sounds, carry, silences)) if end > start]
    timed += [Phoneme("_", a, b) for a, b in silences]
    timed.sort(key=lambda p: (p.start, p.end))
    out: list[Phoneme] = []
    for p in timed:   # no overlaps: a later phoneme starts where the one before ends
        if out and p.start < out[-1].end:
            start = out[-1].end
            if p.end <= start:
                continue
            p = Phoneme(p.symbol, start, p.end)
        out.append(p)
    return tuple(out)


def _words(reference: tuple[Word, ...], carry, silences) -> tuple[Word, ...]:
    if not reference:
        return ()
    return tuple(Word(w.text, start, max(start, end))
                 for w, (start, end) in zip(reference, _spans(reference, carry, silences)))
