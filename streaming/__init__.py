"""Output: the program out to files and networks.

Files: `Mp4Sink`, `SubtitleSink`, `Tee` (sinks for `anchor render`). Live, in modules of their
own so that a render does not load the network stack: `pacer.Pacer` (real-time pacing, audio
the master), `encoders.LiveEncoder` (one encode per codec), `broadcast.Broadcast` (fan-out),
`webrtc.WebRTCViewers` (WHEP), `rtmp.RtmpPush`, `whip.WhipPush`, and `static/`, the player page.
"""
from .base import Sink
from .fanout import Tee
from .label import AIGCLabel
from .mp4 import Mp4Sink
from .subtitles import SubtitleSink

__all__ = ["Sink", "Mp4Sink", "SubtitleSink", "Tee", "AIGCLabel"]
