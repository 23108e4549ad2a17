"""Wav2Lip's audio front end in numpy: program audio (48 kHz int16) to the 80-band mel windows
the generator reads, one 16-step window per video frame.

The front end of the public model (its hparams): 16 kHz audio, pre-emphasis 0.97, a centred STFT
with n_fft 800, hop 200, Hann window 800; 80 Slaney mel bands from 55 to 7600 Hz; amplitude to dB
with a -100 dB floor, minus a 20 dB reference, scaled symmetrically to [-4, 4]. That is 80 mel
steps per second; the window for video frame i starts at mel step floor(80 i / fps).

Everything sits on the program timeline: 16 kHz sample k is 48 kHz sample 3k after an anti-alias
low-pass, and mel step m is centred on 16 kHz sample 200 m. A window is therefore computed from
the audio around its own frame and equals the same steps of a mel of the whole program.
"""
from __future__ import annotations

import numpy as np

from anchor.media import PROGRAM_RATE

MEL_RATE = 16_000
N_FFT, HOP, WIN = 800, 200, 800
BANDS, FMIN, FMAX = 80, 55.0, 7600.0
PREEMPHASIS = 0.97
REF_LEVEL_DB, MIN_LEVEL_DB, MAX_ABS = 20.0, -100.0, 4.0
STEPS_PER_SECOND = MEL_RATE // HOP          # 80
WINDOW_STEPS = 16
DECIMATE = PROGRAM_RATE // MEL_RATE          # 3
TAPS_HALF = 48                               # the low-pass reaches 48 program samples each side
PROGRAM_PER_STEP = HOP * DECIMATE            # 600 program samples per mel step


def first_step(frame: int, fps: int) -> int:
    """The mel step where video frame `frame`'s window starts: floor(80 * frame / fps)."""
    return STEPS_PER_SECOND * frame // fps


def _hz_to_mel(hz):
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = np.log(6.4) / 27.0
    lin = hz / f_sp
    return np.where(hz >= min_log_hz,
                    min_log_hz / f_sp + np.log(np.maximum(hz, 1e-9) / min_log_hz) / logstep, lin)


def _mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)),
                    f_sp * mel)


def mel_filters() -> np.ndarray:
    """(80, 401) triangular filters on the Slaney scale with Slaney (area) normalisation."""
    bins = np.linspace(0.0, MEL_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(FMAX), BANDS + 2))
    width = np.diff(edges)
    rise = (bins[None, :] - edges[:-2, None]) / width[:-1, None]
    fall = (edges[2:, None] - bins[None, :]) / width[1:, None]
    tri = np.maximum(0.0, np.minimum(rise, fall))
    return (tri * (2.0 / (edges[2:] - edges[:-2]))[:, None]).astype(np.float32)


def _lowpass() -> np.ndarray:
    """Windowed-sinc anti-alias filter for 48 -> 16 kHz (cut-off 7.6 kHz)."""
    n = np.arange(-TAPS_HALF, TAPS_HALF + 1)
    cut = 7600.0 / PROGRAM_RATE
    h = 2 * cut * np.sinc(2 * cut * n) * np.blackman(len(n))
    return (h / h.sum()).astype(np.float64)


class MelFrontEnd:
    """Built once per animator: the filter bank, window and low-pass."""

    def __init__(self):
        self.filters = mel_filters()
        self.hann = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WIN) / WIN)).astype(np.float32)
        self.lowpass = _lowpass()

    # ---- 48 kHz -> 16 kHz -------------------------------------------------------------------
    def to_mel_rate(self, pcm: np.ndarray) -> np.ndarray:
        """Program audio -> 16 kHz float in [-1, 1]; output k is input 3k + TAPS_HALF (the
        input must carry TAPS_HALF samples of context before its first output)."""
        x = np.asarray(pcm, dtype=np.float64) / 32768.0
        y = np.convolve(x, self.lowpass, mode="valid")      # y[j] = filtered x[j + TAPS_HALF]
        return y[::DECIMATE].astype(np.float32)

    # ---- 16 kHz -> normalised mel -----------------------------------------------------------
    def mel_of_frames(self, audio16: np.ndarray, n_steps: int) -> np.ndarray:
        """Mel steps 0..n_steps-1 where step m spans audio16[1 + 200 m : 1 + 200 m + 800]
        (the first sample is context for the pre-emphasis only): (80, n_steps) in [-4, 4]."""
        emph = audio16[1:] - PREEMPHASIS * audio16[:-1]
        idx = np.arange(n_steps)[:, None] * HOP + np.arange(WIN)[None, :]
        frames = emph[idx] * self.hann
        spectrum = np.abs(np.fft.rfft(frames, n=N_FFT, axis=1)).T         # (401, steps)
        mel = self.filters @ spectrum
        floor = 10.0 ** (MIN_LEVEL_DB / 20.0)
        db = 20.0 * np.log10(np.maximum(floor, mel)) - REF_LEVEL_DB
        scaled = 2 * MAX_ABS * (db - MIN_LEVEL_DB) / -MIN_LEVEL_DB - MAX_ABS
        return np.clip(scaled, -MAX_ABS, MAX_ABS).astype(np.float32)

    # ---- one window on the program timeline ---------------------------------------------------
    @staticmethod
    def window_span(step: int) -> tuple[int, int]:
        """Program samples [a, b) needed for the window starting at mel step `step`."""
        first16 = step * HOP - N_FFT // 2 - 1                   # one sample of pre-emphasis context
        last16 = (step + WINDOW_STEPS - 1) * HOP + N_FFT // 2    # exclusive
        return first16 * DECIMATE - TAPS_HALF, (last16 - 1) * DECIMATE + TAPS_HALF + 1

    def window(self, audio: np.ndarray, audio_at: int, step: int) -> np.ndarray:
        """The (80, 16) window starting at mel step `step`, from program audio `audio` whose
        first sample is program sample `audio_at` (zeros where it does not reach)."""
        a, b = self.window_span(step)
        span = np.zeros(b - a, np.int16)
        lo, hi = max(a, audio_at), min(b, audio_at + len(audio))
        if hi > lo:
            span[lo - a:hi - a] = audio[lo - audio_at:hi - audio_at]
        return self.mel_of_frames(self.to_mel_rate(span), WINDOW_STEPS)

    def whole(self, pcm: np.ndarray) -> np.ndarray:
        """The mel of a whole program (zeros before its start and after its end): (80, steps),
        step m centred on program sample 600 m. Windows are slices of this."""
        steps = len(pcm) // PROGRAM_PER_STEP + 1
        a, _ = self.window_span(0)
        _, b = self.window_span(steps - WINDOW_STEPS)
        span = np.zeros(b - a, np.int16)
        span[-a:-a + len(pcm)] = pcm
        return self.mel_of_frames(self.to_mel_rate(span), steps)
