"""The Wav2Lip generator (Prajwal et al., 2020) as a PyTorch module, and a runner that feeds it
numpy batches. Importing this module imports torch: only the neural lip-sync backend does.

The layer names follow the public checkpoints exactly (`face_encoder_blocks`, `audio_encoder`,
`face_decoder_blocks`, `output_block`, each unit a `conv_block` of convolution + BatchNorm), so
their state dicts load as they are. The network takes a 6x96x96 face (the target frame with its
lower half blanked, then a reference frame, both BGR in [0, 1]) and a 1x80x16 mel window, and
returns a 3x96x96 BGR face in [0, 1].
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from avatars.wav2lip.engine import GeneratorOutOfMemory

FACE_SIZE = 96
MEL_BANDS, MEL_STEPS = 80, 16

# (in, out, kernel, stride, padding, residual) for one convolution unit
_R = True
FACE_ENCODER = (
    ((6, 16, 7, 1, 3, False),),
    ((16, 32, 3, 2, 1, False), (32, 32, 3, 1, 1, _R), (32, 32, 3, 1, 1, _R)),
    ((32, 64, 3, 2, 1, False),) + ((64, 64, 3, 1, 1, _R),) * 3,
    ((64, 128, 3, 2, 1, False),) + ((128, 128, 3, 1, 1, _R),) * 2,
    ((128, 256, 3, 2, 1, False),) + ((256, 256, 3, 1, 1, _R),) * 2,
    ((256, 512, 3, 2, 1, False), (512, 512, 3, 1, 1, _R)),
    ((512, 512, 3, 1, 0, False), (512, 512, 1, 1, 0, False)),
)
AUDIO_ENCODER = (
    (1, 32, 3, 1, 1, False), (32, 32, 3, 1, 1, _R), (32, 32, 3, 1, 1, _R),
    (32, 64, 3, (3, 1), 1, False), (64, 64, 3, 1, 1, _R), (64, 64, 3, 1, 1, _R),
    (64, 128, 3, 3, 1, False), (128, 128, 3, 1, 1, _R), (128, 128, 3, 1, 1, _R),
    (128, 256, 3, (3, 2), 1, False), (256, 256, 3, 1, 1, _R),
    (256, 512, 3, 1, 0, False), (512, 512, 1, 1, 0, False),
)
# Each decoder block: an up-sampling unit (in, out, stride, padding, output_padding), then
# residual 3x3 units at `out` channels. Its output is joined with the matching encoder features.
FACE_DECODER = (
    (None, 512, 0),              # block 0: a single 1x1 unit 512 -> 512, no up-sampling
    ((1024, 512, 1, 0, 0), 512, 1),
    ((1024, 512, 2, 1, 1), 512, 2),
    ((768, 384, 2, 1, 1), 384, 2),
    ((512, 256, 2, 1, 1), 256, 2),
    ((320, 128, 2, 1, 1), 128, 2),
    ((160, 64, 2, 1, 1), 64, 2),
)


class ConvUnit(nn.Module):
    """Convolution, BatchNorm, optional identity shortcut, ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, stride, padding: int,
                 residual: bool = False):
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding),
                                        nn.BatchNorm2d(cout))
        self.residual = residual
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv_block(x)
        return self.act(y + x if self.residual else y)


class UpUnit(nn.Module):
    """Transposed convolution, BatchNorm, ReLU."""

    def __init__(self, cin: int, cout: int, stride: int, padding: int, output_padding: int):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, 3, stride, padding, output_padding),
            nn.BatchNorm2d(cout))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv_block(x))


def _units(specs) -> list[nn.Module]:
    return [ConvUnit(*spec) for spec in specs]


class Wav2LipGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.face_encoder_blocks = nn.ModuleList(nn.Sequential(*_units(block))
                                                 for block in FACE_ENCODER)
        self.audio_encoder = nn.Sequential(*_units(AUDIO_ENCODER))
        blocks = []
        for up, width, repeats in FACE_DECODER:
            if up is None:
                blocks.append(nn.Sequential(ConvUnit(512, 512, 1, 1, 0)))
                continue
            layers = [UpUnit(*up)] + _units(((width, width, 3, 1, 1, True),) * repeats)
            blocks.append(nn.Sequential(*layers))
        self.face_decoder_blocks = nn.ModuleList(blocks)
        self.output_block = nn.Sequential(ConvUnit(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1, 1, 0),
                                          nn.Sigmoid())

    def forward(self, mels: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        """mels (B, 1, 80, 16), faces (B, 6, 96, 96) -> faces (B, 3, 96, 96)."""
        skips = []
        x = faces
        for block in self.face_encoder_blocks:
            x = block(x)
            skips.append(x)
        x = self.audio_encoder(mels)
        for block in self.face_decoder_blocks:
            x = torch.cat((block(x), skips.pop()), dim=1)
        return self.output_block(x)


def _is_out_of_memory(error: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(error, oom)) or (
        isinstance(error, RuntimeError) and "out of memory" in str(error).lower())


class Wav2LipRunner:
    """Numpy in, numpy out: `runner(faces, mels)` with faces (B, 96, 96, 6) uint8 RGB (masked
    target, reference), mels (B, 80, 16) float32, gives (B, 96, 96, 3) uint8 RGB. Out-of-memory
    on the device is raised as GeneratorOutOfMemory (the engine halves its batch)."""

    def __init__(self, module: nn.Module, *, device: str = "cpu"):
        self.module, self.device = module.eval(), device

    def __call__(self, faces: np.ndarray, mels: np.ndarray) -> np.ndarray:
        bgr = faces[..., [2, 1, 0, 5, 4, 3]]          # the checkpoints were trained on BGR
        try:
            with torch.inference_mode():
                f = torch.from_numpy(np.ascontiguousarray(bgr)).to(self.device)
                f = f.permute(0, 3, 1, 2).float().div_(255.0)
                m = torch.from_numpy(np.ascontiguousarray(mels, dtype=np.float32))
                m = m.to(self.device).unsqueeze(1)
                out = self.module(m, f)
                out = out.mul_(255.0).round_().clamp_(0, 255).to(torch.uint8)
                out = out.permute(0, 2, 3, 1).cpu().numpy()
        except Exception as e:
            if _is_out_of_memory(e):
                if self.device.startswith("cuda"):
                    torch.cuda.empty_cache()
                raise GeneratorOutOfMemory(f"{self.device}: out of memory at batch "
                                           f"{len(faces)}") from e
            raise
        return np.ascontiguousarray(out[..., ::-1])
