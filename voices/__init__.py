"""Speech: the Voice interface, the espeak-ng backend, viseme tables, mouth timing, presets.

    voice = load_voice("en-news")                  # a preset from voices/presets.toml
    for chunk in voice.synthesize(utterance):      # AudioChunk: PCM + phonemes/visemes/words
        mouths = mouth_track(chunk.visemes, sample_rate=chunk.sample_rate, fps=25,
                             n_frames=...)
"""
from voices.base import Voice, VoiceInfo
from voices.presets import catalog, default_voice, load_voice
from voices.visemes import VISEMES, mouth_track

__all__ = ["Voice", "VoiceInfo", "catalog", "default_voice", "load_voice", "mouth_track", "VISEMES"]
