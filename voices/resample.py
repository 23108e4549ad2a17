"""Mono PCM from one sample rate to another (libswresample through PyAV: polyphase, no added
delay). Shared by every voice backend that speaks at a rate other than the program's, and by
the aligner."""
from __future__ import annotations

import av
import numpy as np

_FORMATS = {np.dtype(np.int16): "s16", np.dtype(np.float32): "flt"}


def resample(pcm: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """`pcm` (mono int16, or float32 in [-1, 1], at `rate_in`) at `rate_out`, in the same
    sample type; a copy when the rates match."""
    dtype = np.dtype(np.float32) if np.asarray(pcm).dtype.kind == "f" else np.dtype(np.int16)
    if rate_in == rate_out:
        return np.array(pcm, dtype=dtype)
    fmt = _FORMATS[dtype]
    resampler = av.AudioResampler(format=fmt, layout="mono", rate=rate_out)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm, dtype=dtype).reshape(1, -1),
                                       format=fmt, layout="mono")
    frame.sample_rate = rate_in
    blocks = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    blocks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(blocks).astype(dtype, copy=False) if blocks else np.zeros(0, dtype)
