"""Mono int16 PCM from one sample rate to another (libswresample through PyAV: polyphase, no
added delay). Shared by every voice backend that speaks at a rate other than the program's."""
from __future__ import annotations

import av
import numpy as np


def resample(pcm: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """`pcm` (mono int16 at `rate_in`) as mono int16 at `rate_out`; a copy when the rates match."""
    if rate_in == rate_out:
        return pcm.copy()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate_out)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm, dtype=np.int16).reshape(1, -1),
                                       format="s16", layout="mono")
    frame.sample_rate = rate_in
    blocks = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    blocks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(blocks).astype(np.int16, copy=False) if blocks else np.zeros(0, np.int16)
