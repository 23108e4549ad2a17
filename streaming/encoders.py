"""Live encoding: the paced program is encoded once per codec and published to the broadcast.

`LiveEncoder` is a PacedOutput. Its methods run on the pacer's thread and only queue work; one
worker thread converts each picture to YUV once and encodes it with every video codec that
somebody listens to (PyAV releases the GIL while encoding), then hands the packets to the
broadcast (`Broadcast.send`: a bounded hand-over to the loop that serves the viewers, which
the encoder never waits for).

* A feed without subscribers is not encoded. Its encoder opens when the feed is first wanted,
  so it starts with a keyframe; a joining subscriber asks for a keyframe (taken from the
  broadcast with each picture) and the next frame is an IDR.
* h264: libx264, zerolatency, constrained baseline, no B-frames, keyint = keyint_s * fps. The
  global-header flag gives the codec context extradata (SPS/PPS, for the FLV muxer) and
  x264's repeat-headers=1 keeps SPS/PPS inline before every IDR (for WebRTC). Annex B packets.
* vp8: libvpx, realtime deadline, no lag, error resilient.
* opus: 48 kHz stereo, 20 ms frames. aac: 48 kHz stereo AAC-LC with 1024-sample frames (RTMP).
  Program audio is mono; both channels carry it. Audio packets have pts in samples (1/48000).
* The queue to the worker is bounded in milliseconds of video: when the encoder falls behind,
  new video frames are dropped (counted) rather than delaying the stream; audio is kept.
* The counters are shared by the pacer's thread and the worker and read by the metrics: they
  are written and read under one lock (`stats` is a snapshot).
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

import av
import numpy as np
from av.video.frame import PictureType

from anchor.errors import OutputError
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, VideoFrame

from .broadcast import AUDIO_FEEDS, VIDEO_FEEDS, Broadcast
from .yuv import yuv420

log = logging.getLogger(__name__)

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")
OPUS_FRAME = PROGRAM_RATE // 50      # 20 ms
AAC_FRAME = 1024
AUDIO_QUEUE_LIMIT_MS = 5_000         # a worker this far behind is broken: audio beyond is dropped


@dataclass(frozen=True, slots=True)
class EncoderStats:
    frames: Mapping[str, int]               # frames encoded, per codec ("h264", "vp8", "opus", "aac")
    seconds_per_frame: Mapping[str, float]  # mean encode time of one frame, per codec
    convert_seconds_per_frame: float        # mean RGB -> YUV conversion time (shared by the codecs)
    keyframes: Mapping[str, int]            # keyframes produced, per video codec
    queue_ms: float                         # video waiting for the worker, in ms of media
    queue_depth: int                        # jobs (frames and audio blocks) waiting
    frames_dropped: int                     # video frames dropped because the queue was full
    audio_dropped: int = 0                  # audio blocks dropped (only if the worker is stuck)
    errors: int = 0
    last_error: str = ""


@dataclass(slots=True, eq=False)
class _VideoJob:
    image: np.ndarray
    pts: int
    feeds: frozenset[str]
    keyframes: frozenset[str]


@dataclass(slots=True, eq=False)
class _AudioJob:
    pcm: np.ndarray
    pts: int
    feeds: frozenset[str]


@dataclass(frozen=True, slots=True, eq=False)
class _Drain:
    """drain()'s marker in the job queue: resolve the future on its own loop."""
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future

    def resolve(self) -> None:
        def finish() -> None:
            if not self.done.done():
                self.done.set_result(None)
        try:
            self.loop.call_soon_threadsafe(finish)
        except RuntimeError:
            pass                             # that loop is closed: nobody waits any more


@dataclass(slots=True, eq=False)
class _AudioEncoder:
    context: av.AudioCodecContext
    frame_size: int
    layout_format: str                       # "s16" interleaved or "fltp" planar
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    next_pts: int | None = None              # program sample of pending[0]


class LiveEncoder:
    """Encodes paced program media into the broadcast's feeds (see the module docstring)."""

    def __init__(self, broadcast: Broadcast, *, width: int, height: int, fps: int,
                 video_bitrate: int = 2_000_000, keyint_s: float = 2.0, preset: str = "veryfast",
                 opus_bitrate: int = 64_000, aac_bitrate: int = 128_000,
                 max_queue_ms: int = 500, threads: int = 1):
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise OutputError(f"live encoder: width and height must be positive and even, "
                              f"not {width}x{height}")
        if fps <= 0:
            raise OutputError(f"live encoder: fps must be positive, not {fps}")
        if preset not in X264_PRESETS:
            raise OutputError(f"live encoder: preset must be one of {', '.join(X264_PRESETS)}, "
                              f"not {preset!r}")
        if keyint_s <= 0 or video_bitrate <= 0 or max_queue_ms <= 0:
            raise OutputError("live encoder: keyint_s, video_bitrate and max_queue_ms must be "
                              "positive")
        self.broadcast = broadcast
        self.width, self.height, self.fps = width, height, fps
        self.video_bitrate, self.preset, self.threads = video_bitrate, preset, threads
        self.keyint = max(1, round(keyint_s * fps))
        self.opus_bitrate, self.aac_bitrate = opus_bitrate, aac_bitrate
        self.max_queue_ms = max_queue_ms
        self._time_base = Fraction(1, fps)
        self._audio_base = Fraction(1, PROGRAM_RATE)
        # worker-thread state
        self._video: dict[str, av.VideoCodecContext] = {}
        self._audio: dict[str, _AudioEncoder] = {}
        self._last_image: np.ndarray | None = None
        self._last_yuv: av.VideoFrame | None = None
        # shared by the pacer's thread, the worker and the readers of stats: under _lock
        self._lock = threading.Lock()
        self._video_queued = 0
        self._audio_queued_ms = 0.0
        self._dropped = self._audio_dropped = 0
        self._extradata: dict[str, bytes] = {}
        self._frames = {name: 0 for name in VIDEO_FEEDS + AUDIO_FEEDS}
        self._seconds = {name: 0.0 for name in VIDEO_FEEDS + AUDIO_FEEDS}
        self._keyframes = {name: 0 for name in VIDEO_FEEDS}
        self._converted, self._convert_seconds = 0, 0.0
        self._errors, self._last_error = 0, ""
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="live-encoder", daemon=True)
        self._thread.start()

    # -- PacedOutput (the pacer's thread) -------------------------------------------------

    def video(self, frame: VideoFrame, repeated: bool) -> None:
        if self._closed:
            return
        image = frame.image
        if image.shape != (self.height, self.width, 3) or image.dtype != np.uint8:
            raise OutputError(f"live encoder: video frame {frame.pts} is {image.dtype} "
                              f"{'x'.join(map(str, image.shape))}, expected uint8 "
                              f"{self.height}x{self.width}x3 RGB")
        feeds = self.broadcast.wanted() & frozenset(VIDEO_FEEDS)
        if not feeds:
            return
        with self._lock:
            if (self._video_queued + 1) * 1000 / self.fps > self.max_queue_ms:
                self._dropped += 1           # the worker is behind: keep the stream live
                return
            self._video_queued += 1
        pts = frame.pts
        if frame.time_base != self._time_base:
            pts = round(frame.pts * frame.time_base / self._time_base)
        keys = self.broadcast.take_keyframe_requests(feeds)
        self._jobs.put(_VideoJob(image, pts, feeds, keys))

    def audio(self, block: AudioBlock) -> None:
        if self._closed:
            return
        if block.sample_rate != PROGRAM_RATE:
            raise OutputError(f"live encoder: audio at sample {block.pts} is "
                              f"{block.sample_rate} Hz, expected {PROGRAM_RATE} Hz")
        feeds = self.broadcast.wanted() & frozenset(AUDIO_FEEDS)
        if not feeds:
            return
        pcm = np.asarray(block.pcm, np.int16).reshape(-1)
        with self._lock:
            if self._audio_queued_ms > AUDIO_QUEUE_LIMIT_MS:
                self._audio_dropped += 1
                return
            self._audio_queued_ms += len(pcm) * 1000 / PROGRAM_RATE
        self._jobs.put(_AudioJob(pcm, block.pts, feeds))

    def caption(self, c: Caption) -> None:
        """Captions travel beside the stream (subtitle line on the page), not inside it."""

    def close(self) -> None:
        """Stop the worker; packets still queued are not published."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(None)
        self._thread.join(timeout=10)
        self._video.clear()
        self._audio.clear()

    async def drain(self) -> None:
        """Wait until everything queued so far is encoded and its packets are published (on
        the broadcast's serving loop). Await it on any event loop."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._jobs.put(_Drain(loop, done))
        await done

    def extradata(self, name: str) -> bytes | None:
        """The codec's global header once its encoder is open: SPS/PPS (Annex B) for h264,
        AudioSpecificConfig for aac, the Opus head for opus."""
        with self._lock:
            return self._extradata.get(name)

    @property
    def stats(self) -> EncoderStats:
        """A snapshot, safe to take on any thread."""
        with self._lock:
            frames = dict(self._frames)
            return EncoderStats(
                frames=frames,
                seconds_per_frame={name: self._seconds[name] / n for name, n in frames.items() if n},
                convert_seconds_per_frame=self._convert_seconds / max(1, self._converted),
                keyframes=dict(self._keyframes),
                queue_ms=self._video_queued * 1000 / self.fps,
                queue_depth=self._jobs.qsize(),
                frames_dropped=self._dropped, audio_dropped=self._audio_dropped,
                errors=self._errors, last_error=self._last_error)

    # -- the worker thread ---------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if isinstance(job, _Drain):     # drain(): everything before it is out
                self.broadcast.after_sent(job.resolve)
                continue
            try:
                if isinstance(job, _VideoJob):
                    self._encode_video(job)
                else:
                    self._encode_audio(job)
            except Exception as exc:        # keep the channel on air; the metrics show it
                with self._lock:
                    self._errors += 1
                    self._last_error = f"{type(exc).__name__}: {exc}"
                log.exception("live encoder: %s", self._last_error)
            finally:
                with self._lock:
                    if isinstance(job, _VideoJob):
                        self._video_queued -= 1
                    else:
                        self._audio_queued_ms -= len(job.pcm) * 1000 / PROGRAM_RATE

    def _publish(self, name: str, packets: list[av.Packet], time_base: Fraction) -> None:
        for packet in packets:
            packet.time_base = time_base
            self.broadcast.send(name, packet)

    def _encode_video(self, job: _VideoJob) -> None:
        if job.image is self._last_image and self._last_yuv is not None:
            yuv = self._last_yuv                   # a repeated frame: convert once
        else:
            start = time.perf_counter()
            yuv = yuv420(job.image)
            with self._lock:
                self._convert_seconds += time.perf_counter() - start
                self._converted += 1
            self._last_image, self._last_yuv = job.image, yuv
        yuv.pts, yuv.time_base = job.pts, self._time_base
        for name in VIDEO_FEEDS:
            if name not in job.feeds:
                continue
            ctx = self._video.get(name)
            fresh = ctx is None
            if fresh:
                ctx = self._video[name] = self._open_video(name)
            yuv.pict_type = PictureType.I if fresh or name in job.keyframes else PictureType.NONE
            start = time.perf_counter()
            packets = ctx.encode(yuv)
            with self._lock:
                self._seconds[name] += time.perf_counter() - start
                self._frames[name] += 1
                self._keyframes[name] += sum(p.is_keyframe for p in packets)
            self._publish(name, packets, self._time_base)

    def _open_video(self, name: str) -> av.VideoCodecContext:
        codec = "libx264" if name == "h264" else "libvpx"
        ctx = av.CodecContext.create(codec, "w")
        ctx.width, ctx.height, ctx.pix_fmt = self.width, self.height, "yuv420p"
        ctx.time_base, ctx.framerate = self._time_base, Fraction(self.fps)
        ctx.gop_size, ctx.max_b_frames = self.keyint, 0
        ctx.bit_rate = self.video_bitrate
        ctx.thread_count = self.threads
        ctx.color_primaries = ctx.color_trc = ctx.colorspace = 1     # BT.709
        ctx.color_range = 1                                          # limited ("MPEG") range
        if name == "h264":
            ctx.flags |= av.codec.context.Flags.global_header
            kbit = self.video_bitrate // 1000
            ctx.options = {
                "preset": self.preset, "tune": "zerolatency", "profile": "baseline",
                "forced-idr": "1",
                "x264-params": (f"repeat-headers=1:keyint={self.keyint}:min-keyint={self.keyint}"
                                f":scenecut=0:vbv-maxrate={kbit}:vbv-bufsize={kbit}"),
            }
        else:
            ctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0",
                           "error-resilient": "1", "auto-alt-ref": "0",
                           "kf-max-dist": str(self.keyint)}
        ctx.open()
        if ctx.extradata:
            with self._lock:
                self._extradata[name] = bytes(ctx.extradata)
        return ctx

    def _encode_audio(self, job: _AudioJob) -> None:
        for name in AUDIO_FEEDS:
            if name not in job.feeds:
                self._audio.pop(name, None)   # nobody listens: start afresh when someone does
                continue
            enc = self._audio.get(name)
            if enc is None:
                enc = self._audio[name] = self._open_audio(name)
            if enc.next_pts is None or enc.next_pts + len(enc.pending) != job.pts:
                enc.pending, enc.next_pts = job.pcm, job.pts     # start, or the timeline jumped
            else:
                enc.pending = np.concatenate((enc.pending, job.pcm))
            size = enc.frame_size
            start = time.perf_counter()
            packets: list[av.Packet] = []
            encoded = 0
            while len(enc.pending) >= size:
                mono, enc.pending = enc.pending[:size], enc.pending[size:]
                packets += enc.context.encode(self._audio_frame(enc, mono))
                encoded += 1
            with self._lock:
                self._frames[name] += encoded
                self._seconds[name] += time.perf_counter() - start
            self._publish(name, packets, self._audio_base)

    def _audio_frame(self, enc: _AudioEncoder, mono: np.ndarray) -> av.AudioFrame:
        if enc.layout_format == "s16":
            data = np.repeat(mono, 2).reshape(1, -1)                 # interleaved L R L R
        else:
            plane = mono.astype(np.float32) * np.float32(1 / 32768)
            data = np.stack((plane, plane))                          # planar L, R
        frame = av.AudioFrame.from_ndarray(data, format=enc.layout_format, layout="stereo")
        frame.sample_rate = PROGRAM_RATE
        frame.pts, frame.time_base = enc.next_pts, self._audio_base
        enc.next_pts += len(mono)
        return frame

    def _open_audio(self, name: str) -> _AudioEncoder:
        if name == "opus":
            ctx = av.CodecContext.create("libopus", "w")
            ctx.format, fmt = "s16", "s16"
            ctx.bit_rate = self.opus_bitrate
            ctx.options = {"frame_duration": "20", "application": "audio"}
        else:
            ctx = av.CodecContext.create("aac", "w")
            ctx.format, fmt = "fltp", "fltp"
            ctx.bit_rate = self.aac_bitrate
            ctx.flags |= av.codec.context.Flags.global_header
        ctx.sample_rate, ctx.layout = PROGRAM_RATE, "stereo"
        ctx.time_base = self._audio_base
        ctx.open()
        if ctx.extradata:
            with self._lock:
                self._extradata[name] = bytes(ctx.extradata)
        return _AudioEncoder(ctx, ctx.frame_size or (OPUS_FRAME if name == "opus" else AAC_FRAME),
                             fmt)
