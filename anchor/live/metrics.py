"""The channel's metrics in the Prometheus text exposition format (version 0.0.4), read from
one frozen snapshot of the channel (`Channel.stats()`), never from the parts themselves."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from anchor.live.scheduler import SchedulerStats
from streaming.broadcast import BroadcastStats
from streaming.encoders import EncoderStats
from streaming.pacer import PacerStats
from streaming.webrtc import ViewersStats


@dataclass(frozen=True, slots=True)
class PushState:
    id: str
    url: str                 # without its secret (see redact)
    kind: str                # "rtmp" or "whip"
    state: str               # connecting, live, retrying, stopped


@dataclass(frozen=True, slots=True)
class ChannelStats:
    """One moment of the channel, as each part publishes it (what the metrics read)."""
    counts: Mapping[str, float]   # frames_rendered, render_seconds, comments_*, *_errors
    pacer: PacerStats
    encoder: EncoderStats
    broadcast: BroadcastStats
    viewers: ViewersStats
    pushes: tuple[PushState, ...]
    scheduler: SchedulerStats


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(stats: ChannelStats) -> str:
    out: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples):
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(_line(name, value, labels) for value, labels in samples)

    pacer, counts, enc, viewers = stats.pacer, stats.counts, stats.encoder, stats.viewers
    metric("anchor_frames_rendered_total", "counter", "Video frames rendered by the channel.",
           [(counts["frames_rendered"], None)])
    metric("anchor_frames_sent_total", "counter", "Video frames paced out to the encoders.",
           [(pacer.frames_out, None)])
    metric("anchor_frames_dropped_total", "counter", "Rendered frames dropped for being late.",
           [(pacer.frames_dropped, None)])
    metric("anchor_frames_repeated_total", "counter", "Frames repeated because rendering was late.",
           [(pacer.frames_repeated, None)])
    metric("anchor_stalls_total", "counter", "Times the program ran out of audio and waited.",
           [(pacer.stalls, None)])
    frames = max(1, counts["frames_rendered"])
    metric("anchor_render_seconds_per_frame", "gauge", "Mean render time of a frame.",
           [(counts["render_seconds"] / frames, None)])
    metric("anchor_encode_seconds_per_frame", "gauge", "Mean encode time of a frame, per codec.",
           [(seconds, {"codec": codec}) for codec, seconds in enc.seconds_per_frame.items()])
    metric("anchor_av_offset_ms", "gauge", "Video time minus audio time at the pacer output.",
           [(pacer.av_offset_ms, None)])
    metric("anchor_queue_ms", "gauge", "Media buffered ahead of the playhead, in milliseconds.",
           [(pacer.buffered_ms, {"queue": "pacer"}), (enc.queue_ms, {"queue": "encoder"})])
    metric("anchor_viewers", "gauge", "WebRTC viewers connected.", [(viewers.viewers, None)])
    metric("anchor_viewer_frames_skipped_total", "counter",
           "Video frames not sent to a viewer whose sending fell behind (it skipped to a keyframe).",
           [(viewers.video_frames_skipped, None)])
    metric("anchor_viewer_audio_dropped_total", "counter",
           "Audio packets a viewer lost because its sending fell behind by a second.",
           [(viewers.audio_packets_dropped, None)])
    metric("anchor_handover_dropped_total", "counter",
           "Packets dropped because the loop serving viewers fell behind the encoder, per feed.",
           [(n, {"feed": feed}) for feed, n in stats.broadcast.handover_dropped.items()])
    metric("anchor_comments_total", "counter", "Viewer comments by outcome.",
           [(counts["comments_answered"], {"result": "answered"}),
            (counts["comments_refused"], {"result": "refused"})])
    metric("anchor_errors_total", "counter", "Faults survived, by kind.",
           [(counts["render_errors"], {"kind": "render"}), (counts["reload_errors"], {"kind": "reload"})])
    metric("anchor_push_up", "gauge", "Push targets: 1 when live, 0 otherwise.",
           [(1 if p.state == "live" else 0, {"target": p.id, "kind": p.kind, "state": p.state})
            for p in stats.pushes])
    return "\n".join(out) + "\n"
