"""Signals the live-channel benchmark draws into the picture and reads back out of it.

* A frame stamp: a serial number drawn into the top-left corner of each composed program picture
  as a row of black/white 8x8 cells (20 bits of serial + 4 check bits), read back from the
  decoded luma plane (receiver) or the RGB picture (server). Bench mode only: the product never
  draws it.
* Mouth opening: the share of a box around the presenter's mouth that shows the inside of the
  mouth (dark interior or teeth), as tests/test_lipsync.py measures it.
* The A/V offset: the lag that best lines up the mouth-opening series with the audio loudness
  envelope, both placed on one time axis (seconds), by normalised cross-correlation.
"""
from __future__ import annotations

import numpy as np

CELL = 8
CODE_BITS = 20
CHECK_BITS = 4
BITS = CODE_BITS + CHECK_BITS
ROW = CELL // 2                                    # the pixel row read back
CENTRES = np.arange(BITS) * CELL + CELL // 2        # the pixel columns read back


def _check(code: int) -> int:
    return ((code * 2654435761) >> 11) & ((1 << CHECK_BITS) - 1)


def draw_stamp(image: np.ndarray, serial: int) -> None:
    """Draw `serial` (mod 2**20) into the top-left CELL rows of an HxWx3 uint8 picture."""
    code = serial & ((1 << CODE_BITS) - 1)
    word = code | (_check(code) << CODE_BITS)
    for bit in range(BITS):
        image[:CELL, bit * CELL:(bit + 1) * CELL] = 255 if (word >> bit) & 1 else 0


def _decode(values: np.ndarray) -> int | None:
    word = int(sum(1 << b for b in range(BITS) if values[b] > 128))
    code = word & ((1 << CODE_BITS) - 1)
    return code if word >> CODE_BITS == _check(code) else None


def read_stamp_rgb(image: np.ndarray) -> int | None:
    """The serial in an RGB picture, or None when the stamp does not check out."""
    return _decode(image[ROW, CENTRES].mean(axis=-1))


def read_stamp_luma(luma: np.ndarray) -> int | None:
    """The serial in a luma (Y) plane, or None when the stamp does not check out."""
    return _decode(luma[ROW, CENTRES])


def mouth_opening(crop: np.ndarray) -> float:
    """Share of the mouth box showing the inside of the mouth: dark interior or teeth."""
    c = crop.astype(np.int32)
    dark = c.sum(axis=2) < 3 * 90
    teeth = (c[..., 2] > 195) & (np.abs(c[..., 0] - c[..., 2]) < 45)
    return float((dark | teeth).mean())


def mouth_box(regions: list[tuple[int, int, int, int]], origin: tuple[int, int],
              slack: int) -> tuple[int, int, int, int]:
    """One fixed box (x0, y0, x1, y1) in program pixels around the mouth positions seen in
    `regions` (presenter canvas pixels; `origin` is the canvas's top-left in the program), with
    `slack` pixels above and below for head motion, and a fifth of its width cut from each side
    to keep the hair out (as tests/test_lipsync.py does)."""
    r = np.array(regions)
    x0, y0 = r[:, 0].min() + origin[0], r[:, 1].min() + origin[1]
    x1, y1 = r[:, 2].max() + origin[0], r[:, 3].max() + origin[1]
    inset = (x1 - x0) // 5
    return int(x0 + inset), int(y0 - slack), int(x1 - inset), int(y1 + slack)


def _held(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The value of the latest sample at or before each time in `at` (sample and hold)."""
    idx = np.clip(np.searchsorted(times, at, side="right") - 1, 0, len(values) - 1)
    return values[idx]


def av_offset_ms(video_t, opening, audio_t, loudness, *, max_lag_ms: float = 300,
                 step_ms: float = 5) -> tuple[float, float] | None:
    """The lag L (ms) maximising corr(opening(t + L), loudness(t)): positive when the picture is
    late against the sound. Returns (L, peak correlation), or None when there is too little
    overlap or no variation. Times in seconds, each series sorted by time."""
    vt, vo = np.asarray(video_t, float), np.asarray(opening, float)
    at, al = np.asarray(audio_t, float), np.asarray(loudness, float)
    lag_s = max_lag_ms / 1000
    start, end = max(vt[0], at[0]) + lag_s, min(vt[-1], at[-1]) - lag_s
    if end - start < 2.0:
        return None
    grid = np.arange(start, end, step_ms / 1000)
    env = _held(at, al, grid)
    env = env - env.mean()
    if env.std() == 0:
        return None
    lags = np.arange(-max_lag_ms, max_lag_ms + step_ms / 2, step_ms)
    scores = []
    for lag in lags:
        m = _held(vt, vo, grid + lag / 1000)
        m = m - m.mean()
        denom = np.sqrt((m * m).sum() * (env * env).sum())
        scores.append(float((m * env).sum() / denom) if denom else 0.0)
    scores = np.array(scores)
    i = int(scores.argmax())
    best = float(lags[i])
    if 0 < i < len(lags) - 1:                       # parabolic refinement between grid steps
        a, b, c = scores[i - 1], scores[i], scores[i + 1]
        bend = a - 2 * b + c
        if bend < 0:
            best += 0.5 * (a - c) / bend * step_ms
    return best, float(scores[i])


def windowed_offsets(video_t, opening, audio_t, loudness, *, window_s: float,
                     min_corr: float = 0.3) -> tuple[list[float], int]:
    """Offsets (ms) of consecutive windows of `window_s` seconds of the audio time axis, and
    the number of windows left out (too little speech to line up: peak correlation below
    `min_corr`, or too short)."""
    vt, vo = np.asarray(video_t, float), np.asarray(opening, float)
    at, al = np.asarray(audio_t, float), np.asarray(loudness, float)
    offsets, skipped = [], 0
    if len(at) == 0 or len(vt) == 0:
        return offsets, skipped
    t = at[0]
    while t + window_s / 2 <= at[-1]:
        va = (vt >= t) & (vt < t + window_s)
        aa = (at >= t) & (at < t + window_s)
        found = (av_offset_ms(vt[va], vo[va], at[aa], al[aa])
                 if va.sum() > 10 and aa.sum() > 10 else None)
        if found is None or found[1] < min_corr:
            skipped += 1
        else:
            offsets.append(found[0])
        t += window_s
    return offsets, skipped
