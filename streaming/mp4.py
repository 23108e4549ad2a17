"""The MP4 file sink: H.264 + AAC-LC through PyAV, labelled as AI-generated content.

Timing is the program timeline itself: video frame pts n (time base 1/fps) plays at n/fps s and
the audio sample at program offset P plays at P/48000 s. Audio is re-cut into the AAC
encoder's 1024-sample frames with pts in samples, gaps between AudioBlocks become silence, and
at close the audio is padded with silence to the end of the last video frame, so the two
tracks start together and end together.

The file is written to a hidden part file beside the target and renamed onto it by close();
abort() or any failure removes it (see streaming.partfile).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from anchor.errors import OutputError
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, VideoFrame, program_pcm

from .label import AIGC_KEY, AIGCLabel
from .partfile import PartFile, output_error
from .yuv import yuv420

AAC_FRAME = 1024                 # samples per AAC-LC frame
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow", "placebo")
_SILENCE_CHUNK = PROGRAM_RATE    # gaps are filled a second at a time
_BT709 = 1                       # AVCOL_PRI_BT709 / AVCOL_TRC_BT709 / AVCOL_SPC_BT709
_LIMITED_RANGE = 1               # AVCOL_RANGE_MPEG


class Mp4Sink:
    """Writes program video and audio to `path` (Captions are ignored: see SubtitleSink).

    `threads=0` lets x264 pick its thread count; x264 encodes frames on its own threads while
    the caller renders the next one (PyAV releases the GIL while encoding).
    """

    def __init__(self, path: str | Path, *, width: int, height: int, fps: int | Fraction,
                 label: AIGCLabel, title: str = "", preset: str = "veryfast", crf: int = 23,
                 audio_bitrate: int = 128_000, threads: int = 0):
        self.path = Path(path)
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise OutputError(f"{self.path}: width and height must be positive and even "
                              f"(H.264 4:2:0), not {width}x{height}")
        self.fps = Fraction(fps)
        if self.fps <= 0:
            raise OutputError(f"{self.path}: fps must be positive, not {fps}")
        if preset not in X264_PRESETS:
            raise OutputError(f"{self.path}: preset must be one of {', '.join(X264_PRESETS)}, "
                              f"not {preset!r}")
        if not 0 <= crf <= 51:
            raise OutputError(f"{self.path}: crf must be between 0 and 51, not {crf}")
        self.width, self.height = width, height
        self._time_base = 1 / self.fps
        self._part: PartFile | None = PartFile(self.path)   # OutputError if the directory is missing
        self._readers: list[BinaryIO] = []
        self._last_video_pts = -1
        self._audio_end = 0                   # program sample just after the last audio received
        self._audio_sent = 0                  # samples handed to the AAC encoder
        self._pending = np.zeros(0, np.int16)  # received, not yet a whole AAC frame
        try:
            self._open(label, title or self.path.stem, preset, crf, audio_bitrate, threads)
        except Exception as exc:
            self._discard()
            raise output_error(self.path, exc) from exc

    def _open(self, label: AIGCLabel, title: str, preset: str, crf: int,
              audio_bitrate: int, threads: int) -> None:
        assert self._part is not None and self._part.file is not None
        # use_metadata_tags keeps the custom AIGC key (without it the MP4 muxer drops it);
        # faststart moves the index to the front, re-reading the part file through io_open.
        self._container = av.open(self._part.file, "w", format="mp4",
                                  options={"movflags": "+faststart+use_metadata_tags"},
                                  io_open=self._reopen)
        self._container.metadata[AIGC_KEY] = label.to_json()
        self._container.metadata["title"] = title
        self._container.metadata["comment"] = "AI-generated content"
        # FFmpeg always stamps the file-level "encoder" with its own name; the track keeps ours.
        video = self._container.add_stream("libx264", rate=self.fps)
        video.width, video.height, video.pix_fmt = self.width, self.height, "yuv420p"
        video.metadata["encoder"] = f"{label.producer} (libx264)"
        ctx = video.codec_context
        ctx.options = {"preset": preset, "crf": str(crf)}
        ctx.gop_size = max(1, round(2 * self.fps))     # a keyframe every 2 s: quick seeking
        ctx.thread_count = threads
        ctx.thread_type = "FRAME"
        ctx.color_primaries = ctx.color_trc = ctx.colorspace = _BT709
        ctx.color_range = _LIMITED_RANGE
        audio = self._container.add_stream("aac", rate=PROGRAM_RATE, layout="stereo")
        audio.bit_rate = audio_bitrate
        audio.metadata["encoder"] = f"{label.producer} (aac)"
        self._video, self._audio = video, audio
        self._audio_base = Fraction(1, PROGRAM_RATE)
        self._container.start_encoding()   # opens the encoders now: bad settings fail here

    def _reopen(self, url: str, flags: int, options: dict) -> BinaryIO:
        """FFmpeg's faststart pass reads the part file back while rewriting it."""
        assert self._part is not None and self._part.path is not None
        reader = open(self._part.path, "rb")
        self._readers.append(reader)
        return reader

    # -- the Sink interface -------------------------------------------------------------

    def write(self, item: VideoFrame | AudioBlock | Caption) -> None:
        if self._part is None:
            raise OutputError(f"cannot write {self.path}: the sink is already closed")
        with self._discarded_on_failure():
            if isinstance(item, VideoFrame):
                self._write_video(item)
            elif isinstance(item, AudioBlock):
                self._write_audio(item)

    def close(self) -> None:
        """Flush the encoders, finish the MP4 and rename it onto `path`."""
        if self._part is None:
            return
        if self._last_video_pts < 0:
            self._discard()
            raise OutputError(f"cannot write {self.path}: no video frames were written")
        with self._discarded_on_failure():
            video_end = math.ceil((self._last_video_pts + 1) * PROGRAM_RATE / self.fps)
            end = max(self._audio_end, video_end)
            end += -end % AAC_FRAME   # the encoder would pad the last frame to 1024 anyway
            self._silence(end - self._audio_end)
            self._send_audio()
            self._mux(self._video.encode(None))
            self._mux(self._audio.encode(None))
            self._container.close()
            for reader in self._readers:
                reader.close()
            part, self._part = self._part, None
            part.publish()

    def abort(self) -> None:
        """Stop writing and remove the part file."""
        self._discard()

    # -- internals ------------------------------------------------------------------------

    @contextmanager
    def _discarded_on_failure(self):
        """Any failure removes the part file; errors become one-line OutputErrors."""
        try:
            yield
        except Exception as exc:
            self._discard()
            raise output_error(self.path, exc) from exc
        except BaseException:
            self._discard()
            raise

    def _discard(self) -> None:
        part, self._part = self._part, None
        if part is not None:
            part.discard()   # close the file first: PyAV then skips the trailer
        for reader in self._readers:
            reader.close()
        self._readers.clear()
        container = getattr(self, "_container", None)
        if container is not None:
            try:
                container.close()
            except Exception:
                pass  # the output is gone; nothing left to report

    def _mux(self, packets: list[av.Packet]) -> None:
        if packets:
            self._container.mux(packets)

    def _write_video(self, frame: VideoFrame) -> None:
        image = frame.image
        if image.shape != (self.height, self.width, 3) or image.dtype != np.uint8:
            raise OutputError(f"{self.path}: video frame {frame.pts} is {image.dtype} "
                              f"{'x'.join(map(str, image.shape))}, expected uint8 "
                              f"{self.height}x{self.width}x3 RGB")
        pts = frame.pts
        if frame.time_base != self._time_base:
            pts = round(frame.pts * frame.time_base / self._time_base)
        if pts <= self._last_video_pts:
            raise OutputError(f"{self.path}: video frame pts {pts} does not come after "
                              f"{self._last_video_pts}")
        self._last_video_pts = pts
        yuv = yuv420(image)
        yuv.pts, yuv.time_base = pts, self._time_base
        self._mux(self._video.encode(yuv))

    def _write_audio(self, block: AudioBlock) -> None:
        try:
            pcm = program_pcm(block)
        except ValueError as e:
            raise OutputError(f"{self.path}: {e}") from None
        if block.pts < self._audio_end:
            raise OutputError(f"{self.path}: audio at sample {block.pts} overlaps the audio "
                              f"before it, which ends at sample {self._audio_end}")
        self._silence(block.pts - self._audio_end)
        self._pending = np.concatenate((self._pending, pcm))
        self._audio_end += len(pcm)
        self._send_audio()

    def _silence(self, samples: int) -> None:
        while samples > 0:
            n = min(samples, _SILENCE_CHUNK)
            self._pending = np.concatenate((self._pending, np.zeros(n, np.int16)))
            self._audio_end += n
            samples -= n
            self._send_audio()

    def _send_audio(self) -> None:
        """Encode every whole AAC frame that is pending (and at close, the exact remainder)."""
        whole = len(self._pending) // AAC_FRAME * AAC_FRAME
        if whole == 0:
            return
        samples, self._pending = self._pending[:whole], self._pending[whole:]
        stereo = samples.astype(np.float32) * np.float32(1 / 32768)
        for start in range(0, whole, AAC_FRAME):
            plane = stereo[start:start + AAC_FRAME]
            frame = av.AudioFrame.from_ndarray(np.stack((plane, plane)), format="fltp",
                                               layout="stereo")
            frame.sample_rate = PROGRAM_RATE
            frame.pts, frame.time_base = self._audio_sent, self._audio_base
            self._audio_sent += AAC_FRAME
            self._mux(self._audio.encode(frame))
