"""Loading a Wav2Lip generator checkpoint that the user supplies.

Accepted: the public checkpoints (`{"state_dict": {...}, ...}` saved from DataParallel, keys
starting with "module.") or a bare state dict. Every fault is an AvatarError naming the file: not
there, not a PyTorch file, not a Wav2Lip generator (the first missing or unexpected key, or the
first tensor of the wrong shape). Device "auto" takes CUDA when present; "cuda" without CUDA
falls back to the CPU with a warning.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from anchor.errors import AvatarError

log = logging.getLogger(__name__)
DEVICES = ("auto", "cpu", "cuda")


def pick_device(device: str, *, warn: Callable[[str], None] = log.warning) -> str:
    import torch
    if device not in DEVICES:
        raise AvatarError(f"lipsync device: {device!r} is not one of {', '.join(DEVICES)}")
    has_cuda = torch.cuda.is_available()
    if device == "cuda" and not has_cuda:
        warn("lipsync device: CUDA was asked for but is not available; running on the CPU")
    return "cuda" if device in ("auto", "cuda") and has_cuda else "cpu"


def read_state_dict(path: Path) -> dict:
    """The checkpoint's generator weights with any "module." prefix removed."""
    import torch
    if not path.is_file():
        raise AvatarError(f"{path}: lip-sync checkpoint not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise AvatarError(f"{path}: not a readable PyTorch checkpoint ({reason[:160]})") from None
    state = data.get("state_dict", data) if isinstance(data, dict) else None
    if not isinstance(state, dict) or not state:
        raise AvatarError(f"{path}: no state dict in this checkpoint (expected a mapping of "
                          f"tensors, or one under 'state_dict')")
    out = {}
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise AvatarError(f"{path}: entry {key!r} is not a named tensor")
        out[key.removeprefix("module.")] = value
    return out


def check_layout(path: Path, state: dict, expected: dict) -> None:
    """AvatarError unless `state` has exactly the keys and shapes of `expected`."""
    # checkpoints from before BatchNorm counted its batches lack these counters: harmless
    missing = [k for k in expected if k not in state and not k.endswith(".num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing, first '{missing[0]}'")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected, first '{unexpected[0]}'")
        raise AvatarError(f"{path}: not a Wav2Lip generator checkpoint: keys {'; '.join(parts)}")
    for key, want in expected.items():
        if key in state and tuple(state[key].shape) != tuple(want.shape):
            raise AvatarError(f"{path}: not a Wav2Lip generator checkpoint: '{key}' has shape "
                              f"{tuple(state[key].shape)}, expected {tuple(want.shape)}")


def load_wav2lip(path: str | Path, *, device: str = "auto",
                 warn: Callable[[str], None] = log.warning):
    """A Wav2LipRunner with the checkpoint's weights, in eval mode on the chosen device."""
    from avatars.wav2lip.model import Wav2LipGenerator, Wav2LipRunner
    path = Path(path)
    chosen = pick_device(device, warn=warn)
    state = read_state_dict(path)
    model = Wav2LipGenerator()
    check_layout(path, state, model.state_dict())
    model.load_state_dict({**model.state_dict(), **state}, strict=True)
    return Wav2LipRunner(model.to(chosen), device=chosen)
