"""streaming: the program out to files and networks (sinks)."""
from .base import Sink
from .fanout import Tee
from .label import AIGCLabel
from .mp4 import Mp4Sink
from .subtitles import SubtitleSink

__all__ = ["Sink", "Mp4Sink", "SubtitleSink", "Tee", "AIGCLabel"]
