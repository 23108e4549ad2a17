"""The one speech path: it streams (an utterance's first frame before its second chunk is
made), carries word timings onto the timeline, keeps one caption per line, tells an observer of
every line once, and gives render and live the same program for the same show, a recorded
segment included (sentence by sentence in both)."""
from __future__ import annotations

import numpy as np
import pytest
from fakes import GAP_MS, WORD_MS, FakeAnimator, FakeStudio, StreamingVoice
from test_align import SENTENCES, write_wav

from anchor.answers import Answerer
from anchor.clock import VirtualClock
from anchor.live.scheduler import Scheduler
from anchor.live.speaking import live_speech
from anchor.media import PROGRAM_RATE, AudioBlock, Caption, Utterance, VideoFrame
from anchor.program import (LEAD_IN_MS, TAIL_MS, Program, Recording, Speaker, Turn, performed,
                            script)
from anchor.show import load_show, parse_show
from anchor.studio import ProgramState
from streaming import SubtitleSink
from voices import libespeak

FPS = 25
LEAD = LEAD_IN_MS * PROGRAM_RATE // 1000
WORD = (WORD_MS + GAP_MS) * PROGRAM_RATE // 1000


def utterance(i, text):
    return Utterance(i, text, "en", "fake", caption=text.upper())


class Heard:
    """A LineObserver: every line said, in order."""

    def __init__(self):
        self.lines = []

    def said(self, line):
        self.lines.append(line)


def streamed(log, voice, how):
    """The first line of the show "One two three." spoken by `voice`, in render or live."""
    if how == "render":
        speaker = Speaker(voice_for=lambda u: voice)
        return performed([Turn(utterance(1, "one two three"), ProgramState())], speaker)
    show = parse_show("title: T\nlanguage: en\nsegments:\n  - kind: text\n    text: One two three.\n",
                      path="t.yaml")
    scheduler = Scheduler(show, voices=lambda _: lambda u: voice, answerer=Answerer(show),
                          clock=VirtualClock())
    return live_speech(scheduler, Speaker(voice_for=scheduler.voice_for), flush=lambda: None)


@pytest.mark.parametrize("how", ["render", "live"])
def test_the_first_frame_of_an_utterance_comes_before_its_second_chunk_is_made(how):
    log = []
    program = Program(animator=FakeAnimator(), studio=FakeStudio(), fps=FPS)
    for item in program.items(streamed(log, StreamingVoice(log), how)):
        if not isinstance(item, Caption):
            log.append((type(item).__name__, item.pts))
        if ("chunk", 1, 3) in log and len(log) > 400:
            break
    second = log.index(("chunk", 1, 2))
    first_frame = LEAD * FPS // PROGRAM_RATE         # the frame the utterance starts on
    assert log.index(("VideoFrame", first_frame)) < second, "the first frame waited for chunk 2"
    assert log.index(("AudioBlock", LEAD)) < second, "the first audio waited for chunk 2"
    assert log.index(("chunk", 1, 3)) > log.index(("VideoFrame", first_frame + 1))


def test_a_streamed_line_is_one_caption_one_cue_and_one_observed_line_with_its_words(tmp_path):
    voice, heard = StreamingVoice([]), Heard()
    program = Program(animator=FakeAnimator(), studio=FakeStudio(), fps=FPS, observers=[heard])
    turns = [Turn(utterance(1, "one two three"), ProgramState()),
             Turn(utterance(2, "four five"), ProgramState())]
    sink = SubtitleSink(tmp_path / "out.srt", fmt="srt")
    captions = []
    for item in program.items(performed(turns, Speaker(voice_for=lambda u: voice))):
        sink.write(item)
        if isinstance(item, Caption):
            captions.append((item.text, item.start, item.end))
    sink.close()
    # the caption goes out with the first piece, then again with its end moved on
    assert captions[:3] == [("ONE TWO THREE", LEAD, LEAD + WORD), ("ONE TWO THREE", LEAD, LEAD + 2 * WORD),
                            ("ONE TWO THREE", LEAD, LEAD + 3 * WORD)]
    assert captions[3] == ("FOUR FIVE", LEAD + 3 * WORD, LEAD + 4 * WORD)
    srt = (tmp_path / "out.srt").read_text()
    assert srt.count("-->") == 2 and "ONE TWO THREE" in srt and "FOUR FIVE" in srt
    assert "00:00:00,400 --> 00:00:01,750" in srt, "one cue over the whole first line"
    # the observer: each line once, its span and its words on the program timeline
    assert [(line.utterance.id, line.start, line.end) for line in heard.lines] == [
        (1, LEAD, LEAD + 3 * WORD), (2, LEAD + 3 * WORD, LEAD + 5 * WORD)]
    word = WORD_MS * PROGRAM_RATE // 1000
    assert [(w.text, w.start, w.end) for w in heard.lines[0].words] == [
        (text, LEAD + k * WORD, LEAD + k * WORD + word) for k, text in enumerate(("one", "two", "three"))]
    assert all(line.origin == "script" and not line.interrupted for line in heard.lines)


def test_a_cut_line_is_observed_as_interrupted():
    voice, heard, animator = StreamingVoice([]), Heard(), FakeAnimator()
    program = Program(animator=animator, studio=FakeStudio(), fps=FPS, observers=[heard],
                      generation=lambda: int(len(animator.drives) >= 15))
    turns = [Turn(utterance(1, "one two three four"), ProgramState())]
    list(program.items(performed(turns, Speaker(voice_for=lambda u: voice))))
    assert heard.lines[0].interrupted and heard.lines[0].end == 15 * PROGRAM_RATE // FPS


# ---- render and live: the same program ----------------------------------------------------

SHOW = """\
title: Same program
language: en
seed: 5
segments:
  - kind: text
    text: "[smile] Good evening and welcome. [pause 300ms] Here is tonight's news."
  - kind: text
    text: {recorded}
    audio: clip.wav
  - kind: product
    name: Trail Bottle
    price: 19.99
    currency: USD
    selling_points:
      - Keeps drinks cold for a whole day.
    faq:
      - q: Can it go in the dishwasher?
        a: Only the lid; wash the bottle by hand.
"""


@pytest.fixture(scope="module")
def recorded_show(tmp_path_factory):
    """A show with a spoken segment, a segment read from clip.wav (two sentences with a long
    pause between them) and a product."""
    root = tmp_path_factory.mktemp("same")
    rate = 22050
    parts = [libespeak.speak(s, voice="en-us+m3", rate=150, pitch=40).pcm for s in SENTENCES]
    pcm = np.concatenate([np.zeros(rate // 4, np.int16), parts[0], np.zeros(rate * 3 // 4, np.int16),
                          parts[1], np.zeros(rate // 4, np.int16)])
    write_wav(root / "clip.wav", pcm, rate)
    path = root / "show.yaml"
    path.write_text(SHOW.format(recorded=" ".join(SENTENCES)))
    return load_show(path)


class Performance:
    """Program items made by the one speech path, with the mouth track and the pictures."""

    def __init__(self, generation=lambda: 0):
        self.animator, self.studio, self.heard = FakeAnimator(), FakeStudio(), Heard()
        self.program = Program(animator=self.animator, studio=self.studio, fps=FPS,
                               observers=[self.heard], generation=generation)
        self.items = []

    def run(self, speech, *, until: int | None = None) -> Performance:
        for item in self.program.items(speech):
            self.items.append(item)
            if until is not None and isinstance(item, AudioBlock) and item.pts >= until:
                break
        return self

    def audio(self, n: int) -> np.ndarray:
        return np.concatenate([i.pcm for i in self.items if isinstance(i, AudioBlock)])[:n]

    def captions(self, before: int) -> list[tuple[str, int, int]]:
        return [(c.text, c.start, c.end) for c in self.items
                if isinstance(c, Caption) and c.start < before]

    def frames(self, n: int) -> list:
        return [i.image.tobytes() for i in self.items if isinstance(i, VideoFrame)][:n]


# espeak-ng does not say a sentence twice to the sample (its lengths vary by a few samples
# from call to call), so the spoken segments use the fake voice, one chunk per word: the
# recording is real, and both paths stream every line in pieces.
VOICE = StreamingVoice([])


def rendered(show):
    """As `anchor render` speaks it: the finite script, as fast as it comes."""
    turns = (Turn(item, state) for item, state in script(show))
    return Performance().run(performed(turns, Speaker(voice_for=lambda u: VOICE)))


def live(show, *, until: int, control=lambda scheduler, n: None):
    """As `anchor live` speaks it: the scheduler's turns on a virtual clock, spoken as they are
    decided (`control(scheduler, pieces so far)` runs before each piece is asked for)."""
    scheduler = Scheduler(show, voices=lambda _: lambda u: VOICE, answerer=Answerer(show),
                          clock=VirtualClock())
    performance = Performance(generation=lambda: scheduler.generation)
    speaker = Speaker(voice_for=scheduler.voice_for, faults=pytest.fail)
    pieces = live_speech(scheduler, speaker, flush=lambda: None)

    def controlled():
        for n, spoken in enumerate(pieces):
            yield spoken
            control(scheduler, n + 1)

    return performance.run(controlled(), until=until)


def test_render_and_live_give_the_same_program(recorded_show):
    render = rendered(recorded_show)
    total = sum(len(i.pcm) for i in render.items if isinstance(i, AudioBlock))
    speech_end = total - TAIL_MS * PROGRAM_RATE // 1000          # live goes on where render ends
    on_air = live(recorded_show, until=speech_end)
    assert np.array_equal(render.audio(speech_end), on_air.audio(speech_end)), "the same sound"
    captions = render.captions(speech_end)
    assert captions == on_air.captions(speech_end), "the same captions, at the same times"
    n = -(-speech_end * FPS // PROGRAM_RATE)                     # frames that start in the speech
    assert render.animator.drives[:n] == on_air.animator.drives[:n], "the same mouth track"
    assert render.frames(n) == on_air.frames(n)
    assert [s.subtitle for s in render.studio.states[:n]] == [s.subtitle for s in on_air.studio.states[:n]]
    # the recording is played sentence by sentence in both: one caption (and line) each
    texts = [text for text, _, _ in dict.fromkeys(captions)]
    assert SENTENCES[0] in texts and SENTENCES[1] in texts
    assert {start for text, start, _ in captions if text in SENTENCES} != {captions[0][1]}
    starts = {text: start for text, start, _ in reversed(captions)}
    assert starts[SENTENCES[0]] < starts[SENTENCES[1]]
    assert any(d.mouth.open > 0.3 for d in render.animator.drives[:n]) and \
        any(d.expression == "smile" for d in render.animator.drives[:n])


def test_an_observer_sees_every_line_once_in_render_and_in_live(recorded_show):
    expected = []
    for item, _ in script(recorded_show):
        if isinstance(item, Utterance):
            expected.append(item.subtitle)
        elif isinstance(item, Recording):
            expected += [u.subtitle for u in item.utterances]
    render = rendered(recorded_show)
    assert [line.utterance.subtitle for line in render.heard.lines] == expected
    assert all(line.origin == "script" for line in render.heard.lines)

    def control(scheduler, n):
        if n == 3:
            scheduler.comment("viewer", "Can it go in the dishwasher?")
        if n == 6:
            scheduler.say_now("A quick word from the studio.")

    length = sum(len(i.pcm) for i in render.items if isinstance(i, AudioBlock))
    on_air = live(recorded_show, until=length + 20 * PROGRAM_RATE, control=control)
    lines = [(line.origin, line.utterance.subtitle) for line in on_air.heard.lines
             if not line.interrupted]
    assert ("answer", "Only the lid; wash the bottle by hand.") in lines
    assert lines.count(("say", "A quick word from the studio.")) == 1
    script_lines = [text for origin, text in lines if origin == "script"]
    assert script_lines[:len(expected)] == expected, "each script line once, in order"
    cut = [line for line in on_air.heard.lines if line.interrupted]
    assert len(cut) == 1, "the say-now line cut the line being said"
    assert lines.count((cut[0].origin, cut[0].utterance.subtitle)) == 1, "said again, whole"
    spans = [(line.start, line.end) for line in on_air.heard.lines]
    assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:])), "in timeline order"
