"""Neural lip sync: a Wav2Lip-style generator draws the mouth of a presenter from the program
audio. Importing this package does not import torch; `load_wav2lip` does.

    runner = load_wav2lip("wav2lip.pth", device="auto")        # the user's checkpoint
    engine = LipSyncEngine(runner, batch=8)                     # shared by every channel
    animator = NeuralLipSync(PhotoAnimator(pack, height=720, fps=25), engine=engine, fps=25)
"""
from avatars.wav2lip.animator import NeuralLipSync
from avatars.wav2lip.engine import GeneratorOutOfMemory, LipSyncEngine
from avatars.wav2lip.loader import load_wav2lip

__all__ = ["GeneratorOutOfMemory", "LipSyncEngine", "NeuralLipSync", "load_wav2lip"]
