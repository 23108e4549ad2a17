"""The program timeline: audio, captions and frames placed on one sample clock (fake parts)."""
from __future__ import annotations

import math

import pytest

from anchor.errors import AnchorError
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, Pause, Utterance, VideoFrame
from anchor.program import LEAD_IN_MS, TAIL_MS, Program, Speaker, Turn, performed
from anchor.studio import ProgramState
from fakes import GAP_MS, WORD_MS, FakeAnimator, FakeStudio, FakeVoice

FPS = 25


def spoken_stream(items, voice):
    """The script's (item, state) pairs spoken as `anchor render` speaks them."""
    return performed((Turn(item, state) for item, state in items), Speaker(voice_for=lambda u: voice))


def run(items, *, limit_s=None):
    voice, animator, studio = FakeVoice(), FakeAnimator(), FakeStudio()
    program = Program(animator=animator, studio=studio, fps=FPS, limit_s=limit_s)
    out = list(program.items(spoken_stream(items, voice)))
    return out, animator, studio


def utterance(i, text, **kw):
    return Utterance(i, text, "en", "fake", caption=text.upper(), **kw)


def test_frames_cover_the_audio_exactly_and_pts_are_consecutive():
    state = ProgramState(headline="H")
    out, animator, _ = run([(utterance(1, "one two three"), state), (Pause(500), state),
                            (utterance(2, "four"), state)])
    audio = [i for i in out if isinstance(i, AudioBlock)]
    frames = [i for i in out if isinstance(i, VideoFrame)]
    # audio blocks are contiguous on the timeline
    at = 0
    for block in audio:
        assert block.pts == at
        at += len(block.pcm)
    words = 4 * (WORD_MS + GAP_MS)
    assert at == (LEAD_IN_MS + words + 500 + TAIL_MS) * PROGRAM_RATE // 1000
    assert [f.pts for f in frames] == list(range(len(frames)))
    assert len(frames) == math.ceil(at * FPS / PROGRAM_RATE)
    assert len(animator.drives) == len(frames)


def test_mouth_opens_only_while_words_sound():
    import numpy as np
    out, animator, _ = run([(utterance(1, "a b c"), ProgramState())])
    frames = [i for i in out if isinstance(i, VideoFrame)]
    pcm = np.concatenate([a.pcm for a in out if isinstance(a, AudioBlock)]).astype(float)
    per = PROGRAM_RATE // FPS
    silent = [not np.any(pcm[n * per:(n + 1) * per]) for n in range(len(frames))]
    for f in frames:
        n, opening = f.pts, int(f.image[0, 0, 0])
        if all(silent[max(0, n - 1):n + 2]):    # silent, and so are its neighbours
            assert opening < 13, f"mouth open in silent frame {n}"
        if not any(silent[max(0, n - 1):n + 2]):
            assert opening > 100, f"mouth closed in voiced frame {n}"
    assert any(not s for s in silent)


def test_captions_span_their_utterance_and_carry_the_written_text():
    out, _, studio = run([(utterance(1, "one two"), ProgramState()), (utterance(2, "three"), ProgramState())])
    captions = [i for i in out if isinstance(i, Caption)]
    assert [c.text for c in captions] == ["ONE TWO", "THREE"]
    assert captions[0].start == LEAD_IN_MS * PROGRAM_RATE // 1000
    assert captions[0].end == captions[1].start
    assert any(s.subtitle == "ONE TWO" for s in studio.states)
    assert studio.states[0].subtitle == ""          # nothing on screen during the lead-in


def test_limit_cuts_audio_and_video_at_the_same_time():
    out, _, _ = run([(utterance(1, " ".join(["w"] * 40)), ProgramState())], limit_s=3.0)
    audio = sum(len(i.pcm) for i in out if isinstance(i, AudioBlock))
    frames = [i for i in out if isinstance(i, VideoFrame)]
    assert audio == 3 * PROGRAM_RATE
    assert len(frames) == 3 * FPS


def test_a_show_with_nothing_to_say_is_an_error():
    with pytest.raises(AnchorError, match="nothing to say"):
        run([(utterance(1, ""), ProgramState())])


def test_a_new_generation_cuts_the_utterance_at_a_frame_boundary():
    voice, animator, studio = FakeVoice(), FakeAnimator(), FakeStudio()
    generation = [0]

    def bump_after_frames():
        return generation[0] + (1 if len(animator.drives) >= 20 else 0)

    program = Program(animator=animator, studio=studio, fps=FPS, generation=bump_after_frames)
    long = utterance(1, " ".join(["w"] * 30))            # 13.5 s if spoken to the end
    out = list(program.items(spoken_stream([(long, ProgramState()), (utterance(2, "next"), ProgramState())],
                                           voice)))
    audio = [i for i in out if isinstance(i, AudioBlock)]
    at = 0
    for block in audio:                                   # still one gapless timeline
        assert block.pts == at
        at += len(block.pcm)
    captions = [i for i in out if isinstance(i, Caption)]
    per = PROGRAM_RATE // FPS
    assert captions[1].text == "NEXT"
    assert captions[1].start % per == 0                   # the next utterance starts on a frame boundary
    assert captions[1].start < 3 * PROGRAM_RATE          # long before the first would have ended


def test_late_frames_are_not_made_but_their_audio_is():
    voice, animator, studio = FakeVoice(), FakeAnimator(), FakeStudio()
    program = Program(animator=animator, studio=studio, fps=FPS, late=lambda pts: 10 <= pts < 20)
    out = list(program.items(spoken_stream([(utterance(1, "a b c d"), ProgramState())], voice)))
    frames = [i.pts for i in out if isinstance(i, VideoFrame)]
    assert not set(range(10, 20)) & set(frames) and 9 in frames and 20 in frames
    audio = [i for i in out if isinstance(i, AudioBlock)]
    assert sum(len(a.pcm) for a in audio) == audio[-1].pts + len(audio[-1].pcm)   # no gap
