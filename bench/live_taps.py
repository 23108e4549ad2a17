"""Bench-mode taps on a live channel: they wrap product objects' methods on the instance (never
edit product code) to stamp each composed picture, note when it was composed and when the pacer
emitted it, keep the early mouth positions, record the pacer's output for the source A/V
reference, and note when the first sound of a viewer's answer leaves the pacer."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from live_signals import draw_stamp, mouth_opening, read_stamp_rgb

from anchor.live import Channel
from anchor.media import PROGRAM_RATE
from anchor.studio import ProgramState

NEEDLE = 240                  # 5 ms of an answer's first sound, looked for in the pacer's output
NEEDLE_LEVEL = 300            # "a sound": above about -40 dBFS


@dataclass
class Taps:
    composed: dict[int, float] = field(default_factory=dict)     # serial -> time composed
    emitted: dict[int, float] = field(default_factory=dict)      # serial -> time the pacer emitted
    regions: list = field(default_factory=list)                  # early mouth regions
    serial: int = 0
    reference: bool = False                                      # record the source reference
    ref_video: list = field(default_factory=list)                # (media s, opening)
    ref_audio: list = field(default_factory=list)                # (media s, loudness)
    box: tuple | None = None
    answer_pending: bool = False                                 # an answer was handed out
    needle: np.ndarray | None = None                             # its first audible samples
    tail: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    answer_audio_at: list = field(default_factory=list)          # time.time() of first answer audio
    answers_seen: int = 0
    pacer_offset_ms: float = 0.0                                 # pacer stats at the end of main


def instrument(channel: Channel, taps: Taps) -> None:
    studio, animator, encoder = channel.program.studio, channel.program.animator, channel.encoder
    compose = studio.compose

    def stamped_compose(frame, state=ProgramState()):
        image = compose(frame, state)
        if not image.flags.writeable:
            image = image.copy()
        draw_stamp(image, taps.serial)
        taps.composed[taps.serial & 0xFFFFF] = time.time()
        taps.serial += 1
        if len(taps.regions) < 100 and hasattr(animator, "mouth_region"):
            taps.regions.append(animator.mouth_region(frame))
        return image

    studio.compose = stamped_compose

    speak = channel.speaker.speak

    def watched_speak(turn):
        for spoken in speak(turn):
            answered = channel.scheduler.stats.answered
            if answered != taps.answers_seen:
                taps.answers_seen, taps.answer_pending = answered, True
            if taps.answer_pending:         # its first piece may be a pause: wait for a sound
                loud = np.flatnonzero(np.abs(spoken.pcm.astype(np.int32)) > NEEDLE_LEVEL)
                if len(loud) and len(spoken.pcm) - loud[0] >= NEEDLE:
                    taps.needle = spoken.pcm[loud[0]:loud[0] + NEEDLE].copy()
                    taps.answer_pending = False
            yield spoken

    channel.speaker.speak = watched_speak             # the render thread looks it up per turn

    video, audio = encoder.video, encoder.audio
    fps = channel.fmt.fps

    def tapped_video(frame, repeated):
        if not repeated:
            serial = read_stamp_rgb(frame.image)
            if serial is not None and serial not in taps.emitted:
                taps.emitted[serial] = time.time()
        if taps.reference and taps.box is not None:
            x0, y0, x1, y1 = taps.box
            taps.ref_video.append((frame.pts / fps, mouth_opening(frame.image[y0:y1, x0:x1])))
        video(frame, repeated)

    def tapped_audio(block):
        if taps.needle is not None and found_in(taps.needle, np.concatenate([taps.tail, block.pcm])):
            taps.needle = None
            taps.answer_audio_at.append(time.time())
        taps.tail = block.pcm[-(NEEDLE - 1):]
        if taps.reference:
            pcm = block.pcm.astype(np.float64)
            taps.ref_audio.append((block.pts / PROGRAM_RATE, float(np.sqrt(np.mean(pcm * pcm)))))
        audio(block)

    encoder.video, encoder.audio = tapped_video, tapped_audio


def found_in(needle: np.ndarray, pcm: np.ndarray) -> bool:
    """Does `pcm` contain `needle` sample for sample? (The pacer passes samples through as is.)"""
    for i in np.flatnonzero(pcm[:len(pcm) - len(needle) + 1] == needle[0]):
        if np.array_equal(pcm[i:i + len(needle)], needle):
            return True
    return False
