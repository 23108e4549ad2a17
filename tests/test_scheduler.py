"""The live scheduler: the show loops with fresh wording, answers cut in and the show resumes
where it left off, operator control (say-now, skip, pause, reload), bounded answers, threads.

The scheduler is driven as a live channel's render thread drives it (`anchor.live.speaking`):
each turn spoken by the one speech path. Speech comes from the real espeak-ng voices (fast),
answers from the real `Answerer`."""
from __future__ import annotations

import random
import sys
import threading

import numpy as np
import pytest
from fakes import FakeVoice

from anchor.answers import Answerer
from anchor.clock import VirtualClock
from anchor.errors import AnchorError, VoiceError
from anchor.live.scheduler import IDLE_MS, MAX_ANSWERS_IN_ROW, MAX_QUESTIONS, Scheduler
from anchor.live.speaking import live_speech
from anchor.logs import WarnOnce
from anchor.program import Speaker, casting
from anchor.show import parse_show

SHOW = """
title: Scheduler test
language: en
seed: 3
segments:
  - kind: text
    text: Hello and welcome. Today we look at one bottle. Stay with us.
  - kind: product
    name: Trail Bottle
    price: 19.99
    currency: USD
    selling_points:
      - Keeps drinks cold for a whole day.
      - The lid never leaks.
      - It fits every cup holder.
    faq:
      - q: Can it go in the dishwasher?
        a: Only the lid; wash the bottle by hand.
  - kind: text
    text: That was the bottle. See you again in a minute.
"""

OTHER_SHOW = """
title: Another show
language: en
segments:
  - kind: text
    text: Good evening from the second show. This is all new text.
"""


def show(text: str = SHOW):
    return parse_show(text, path="test.yaml")


class Voices:
    """The real voices; remembers which captions were spoken for comments."""

    def __init__(self):
        self.comment_captions: set[str] = set()

    def __call__(self, utterance):
        if utterance.source == "comment":
            self.comment_captions.add(utterance.subtitle)
        return casting.voice_for(utterance)


class OnAir:
    """A scheduler and the speech path it drives, as a channel's render thread runs them; the
    scheduler's control calls and stats pass through. `next_spoken()` is the next piece."""

    def __init__(self, scheduler: Scheduler, warn=lambda message: None):
        self.scheduler = scheduler
        speaker = Speaker(voice_for=scheduler.voice_for, faults=WarnOnce(warn))
        self._pieces = live_speech(scheduler, speaker, flush=lambda: None)

    def next_spoken(self):
        return next(self._pieces)

    def __getattr__(self, name):
        return getattr(self.scheduler, name)


def on_air(show_, voice_for, warn=lambda message: None, **kw) -> OnAir:
    """The show on air in the voices `voice_for` (utterance -> Voice, for every show)."""
    return OnAir(Scheduler(show_, voices=lambda _: voice_for, warn=warn, **kw), warn)


def scheduler(text: str = SHOW, **kw):
    voices = kw.pop("voice_for", None) or Voices()
    s = on_air(show(text), voices, answerer=kw.pop("answerer", None) or Answerer(show(text)),
               clock=kw.pop("clock", None) or VirtualClock(), **kw)
    return s, voices


def key(spoken):
    """What a listener would notice: the words (a pause by its length)."""
    return spoken.caption or f"<{len(spoken.pcm)} samples of silence>"


def reference(n: int):
    """The first n Spokens of an undisturbed scheduler, with their segment indexes."""
    s, _ = scheduler()
    out = []
    for _ in range(n):
        out.append((key(s.next_spoken()), s.stats.segment_index, s.stats.pass_index))
    return out


def until_speech(s, at_least: int = 1):
    """Take Spokens until `at_least` have been taken and the last one is speech."""
    taken = [s.next_spoken() for _ in range(at_least)]
    while not taken[-1].caption:
        taken.append(s.next_spoken())
    return taken


def leading_answers(spokens, voices) -> int:
    """How many Spokens at the start are the answer (its sentences and pauses)."""
    n = 0
    while n < len(spokens) and (spokens[n].caption in voices.comment_captions
                                or (not spokens[n].caption and n + 1 < len(spokens)
                                    and spokens[n + 1].caption in voices.comment_captions)):
        n += 1
    return n


def test_script_loops_forever_with_different_wording_each_pass():
    s, _ = scheduler()
    passes: dict[int, list[str]] = {}
    for _ in range(200):
        spoken = s.next_spoken()
        if spoken.caption and s.stats.segment_index == 1:
            passes.setdefault(s.stats.pass_index, []).append(spoken.caption)
        if len(passes) == 5:
            break
    assert len(passes) == 5, "the show did not come round five times"
    pitches = [" ".join(passes[i]) for i in range(4)]
    assert len(set(pitches)) == 4, "two passes pitched the product word for word"
    assert all("$19.99" in p for p in pitches), "the price is said in every pass"


def test_answer_waits_for_the_utterance_then_the_show_resumes_where_it_left_off():
    ref = reference(40)
    s, voices = scheduler(interrupt=False)
    before = until_speech(s, 6)
    k = len(before)
    said = s.comment("viewer1", "How much is the bottle?")
    assert "$19.99" in said
    assert s.generation == 0, "a waiting answer must not flush the current utterance"
    after = [s.next_spoken() for _ in range(40 - k)]
    n_answer = leading_answers(after, voices)
    assert n_answer >= 1, "the answer comes right after the current utterance"
    answer = after[:n_answer]
    assert "$19.99" in " ".join(sp.caption for sp in answer)
    assert all(sp.visemes and np.abs(sp.pcm).max() > 0 for sp in answer), "the answer is spoken"
    script = [key(sp) for sp in before + after[n_answer:]]
    assert script == [r[0] for r in ref[:len(script)]], "an utterance was skipped or repeated"
    assert s.stats.answered == 1


def test_interrupting_answer_bumps_generation_and_says_the_cut_utterance_again():
    ref = reference(40)
    s, voices = scheduler(interrupt=True)
    before = until_speech(s, 4)
    k = len(before)
    s.comment("viewer1", "Can it go in the dishwasher?")
    assert s.generation == 1
    after = [s.next_spoken() for _ in range(30)]
    n_answer = leading_answers(after, voices)
    assert n_answer >= 1, "the answer comes first"
    assert "lid" in " ".join(sp.caption for sp in after[:n_answer]).lower()
    assert key(after[n_answer]) == key(before[-1]), "the cut utterance is said again"
    script = [key(sp) for sp in after[n_answer + 1:]]
    assert script == [r[0] for r in ref[k:k + len(script)]], "the show did not resume in place"


def test_a_second_question_does_not_interrupt_an_answer():
    s, _ = scheduler(interrupt=True)
    until_speech(s, 3)
    s.comment("a", "How much is the bottle?")
    s.next_spoken()                                   # the answer is playing
    s.comment("b", "Can it go in the dishwasher?")
    assert s.generation == 1


def test_unanswerable_question_gets_a_holding_line():
    s, voices = scheduler()
    until_speech(s, 2)
    said = s.comment("viewer1", "What is the weather like in Lisbon?")
    assert said and "thank" in said.lower()
    assert s.next_spoken().caption in voices.comment_captions
    assert s.stats.holding_lines == 1


def test_say_now_cuts_in_and_is_spoken_even_while_paused():
    s, _ = scheduler()
    before = until_speech(s, 3)
    s.say_now("[smile] Breaking news: the sale ends tonight.")
    assert s.generation == 1
    nxt = s.next_spoken()
    assert nxt.caption.startswith("Breaking news") and nxt.emotion == "smile"
    assert key(s.next_spoken()) == key(before[-1]), "the cut utterance is said again"
    s.pause()
    s.say_now("We will be right back.")
    assert s.next_spoken().caption == "We will be right back."
    assert not s.next_spoken().visemes, "still paused after the say-now line"


@pytest.mark.parametrize("text", ["", "   ", "Hello [pause forever]"])
def test_say_now_refuses_bad_text(text):
    s, _ = scheduler()
    with pytest.raises(AnchorError, match="say-now"):
        s.say_now(text)
    assert s.generation == 0


def test_skip_abandons_the_rest_of_the_segment():
    ref = reference(60)
    first_of_product = next(r[0] for r in ref if r[1] == 1)
    s, _ = scheduler()
    until_speech(s, 2)
    assert s.stats.segment_index == 0
    s.skip()
    assert s.generation == 1
    assert key(s.next_spoken()) == first_of_product
    assert s.stats.segment_index == 1
    # skipped twice before the next segment started: still only one segment skipped
    s2, _ = scheduler()
    until_speech(s2, 2)
    s2.skip()
    s2.skip()
    assert key(s2.next_spoken()) == first_of_product


def test_pause_gives_closed_mouth_idle_until_resume():
    s, _ = scheduler()
    before = until_speech(s, 3)
    s.pause()
    assert s.generation == 1 and s.paused
    s.comment("viewer1", "How much is the bottle?")
    idle = [s.next_spoken() for _ in range(10)]
    for sp in idle:
        assert len(sp.pcm) == IDLE_MS * 48 and not sp.pcm.any() and sp.visemes == ()
        assert sp.caption == "" and sp.state.subtitle == ""
    s.resume()
    assert "$19.99" in s.next_spoken().caption, "the question waited for the resume"
    assert key(s.next_spoken()) == key(before[-1]), "the cut utterance is said again"


def test_reload_takes_effect_at_the_next_utterance():
    s, _ = scheduler()
    until_speech(s, 3)
    s.reload(show(OTHER_SHOW), answerer=Answerer(show(OTHER_SHOW)))
    assert s.generation == 0, "a reload does not cut the current utterance"
    assert s.next_spoken().caption == "Good evening from the second show."
    assert s.show.title == "Another show" and s.stats.reloads == 1
    assert "thank" in s.comment("v", "How much is the bottle?").lower(), \
        "answers come from the new show (it sells nothing)"


def test_reload_whose_voice_fails_keeps_the_old_show():
    ref = reference(30)
    warnings = []
    s, _ = scheduler(warn=warnings.append)
    before = until_speech(s, 4)
    k = len(before)
    bad = OTHER_SHOW.replace("language: en", "language: en\nvoice: no-such-voice")
    s.reload(show(bad))
    after = [s.next_spoken() for _ in range(8)]
    assert [key(sp) for sp in after] == [r[0] for r in ref[k:k + 8]]
    assert s.show.title == "Scheduler test" and s.stats.reload_failures == 1
    assert any("no-such-voice" in w and "still reading" in w for w in warnings)
    s.reload(show(bad))                               # the same mistake again is reported again
    s.next_spoken()
    assert sum("still reading" in w for w in warnings) == 2


def test_reload_with_a_voice_that_cannot_load_keeps_the_old_show():
    def voice_for(utterance):
        if utterance.language == "zh":
            raise VoiceError("the Mandarin voice data is missing")
        return casting.voice_for(utterance)

    warnings = []
    s, _ = scheduler(voice_for=voice_for, warn=warnings.append)
    until_speech(s, 2)
    s.reload(show("title: 中文\nlanguage: zh\nsegments:\n  - kind: text\n    text: 大家好。\n"))
    assert s.next_spoken().caption != "大家好。"
    assert s.show.title == "Scheduler test"
    assert any("Mandarin voice data is missing" in w for w in warnings)


def test_a_voice_failing_on_some_utterances_leaves_them_out_and_the_show_goes_on():
    def voice_for(utterance):
        if "bottle" in utterance.text.lower():
            raise RuntimeError("synthesis crashed")
        return casting.voice_for(utterance)

    warnings = []
    s, _ = scheduler(voice_for=voice_for, warn=warnings.append)
    captions = [s.next_spoken().caption for _ in range(60)]
    assert s.stats.pass_index >= 1, "the show came round again"
    assert not any("bottle" in c.lower() for c in captions)
    assert "Stay with us." in captions and any("$19.99" in c for c in captions)
    assert len([w for w in warnings if "synthesis crashed" in w]) == 1, "warned once, not per pass"


def test_answer_queue_is_bounded_and_drops_the_oldest():
    s, voices = scheduler()
    until_speech(s, 2)
    n = MAX_QUESTIONS + 5
    questions = ["How much is the bottle?", "Can it go in the dishwasher?"]
    said = [s.comment(f"v{i}", questions[i % 2]) for i in range(n)]
    assert s.stats.questions_queued == MAX_QUESTIONS and s.stats.questions_dropped == 5
    heard, longest, run_from, before = [], 0, None, s.stats.answered
    for _ in range(80):
        sp = s.next_spoken()
        if sp.caption in voices.comment_captions:
            heard.append(sp.caption)
            run_from = before if run_from is None else run_from
            longest = max(longest, s.stats.answered - run_from)    # answers begun in this run
        else:
            run_from = None
        before = s.stats.answered
    assert s.stats.answered == MAX_QUESTIONS
    assert longest <= MAX_ANSWERS_IN_ROW, "the show never got a word in"
    assert " ".join(heard).count("$19.99") == sum("$19.99" in a for a in said[5:])


def test_stale_answers_are_dropped():
    clock = VirtualClock()
    s, voices = scheduler(clock=clock)
    until_speech(s)
    s.comment("v", "How much is the bottle?")
    clock._t += 600.0
    assert s.next_spoken().caption not in voices.comment_captions
    assert s.stats.questions_dropped == 1 and s.stats.answered == 0


def test_mute_show_idles_instead_of_spinning():
    warnings = []
    s = on_air(show(), lambda u: _Mute(), answerer=Answerer(show()), clock=VirtualClock(),
               warn=warnings.append)
    out = [s.next_spoken() for _ in range(5)]
    assert all(not sp.visemes for sp in out)
    assert any("nothing to say" in w for w in warnings)


class _Mute:
    def synthesize(self, utterance):
        return iter(())


def test_control_from_another_thread_while_rendering():
    fake = FakeVoice()
    warnings = []
    s = on_air(show(), lambda u: fake, answerer=Answerer(show()), clock=VirtualClock(),
               warn=warnings.append)
    speaker = Speaker(voice_for=s.voice_for)
    errors, generations = [], []
    storm_done = threading.Event()

    def render():
        try:
            while (len(generations) < 300 or not storm_done.is_set()) and len(generations) < 200_000:
                turn, generation = s.next_turn()
                pieces = list(speaker.speak(turn))
                assert pieces and all(p.pcm.dtype == np.int16 and len(p.pcm) > 0 for p in pieces)
                if any(p.line for p in pieces):
                    s.sounded(turn)
                generations.append(generation)
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    thread = threading.Thread(target=render)
    rng = random.Random(1)
    shows = [show(OTHER_SHOW), show()]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)        # make the two threads interleave finely
    try:
        thread.start()
        actions = storm(s, thread, rng, shows)
    finally:
        storm_done.set()
        sys.setswitchinterval(switch)
    thread.join(timeout=30)
    assert not thread.is_alive() and not errors, errors
    assert len(generations) >= 300 and actions == 2000
    assert generations == sorted(generations), "the generation went backwards"
    assert s.stats.questions_queued <= MAX_QUESTIONS
    s.resume()
    assert any(s.next_spoken().visemes for _ in range(40)), "the presenter talks again"


def storm(s, thread, rng, shows) -> int:
    """2000 random control calls while the render thread runs."""
    actions = 0
    while thread.is_alive() and actions < 2000:
        actions += 1
        action = rng.randrange(6)
        if action == 0:
            s.comment(f"v{actions % 7}", "How much is the bottle?")
        elif action == 1:
            s.say_now("Quick note.")
        elif action == 2:
            s.skip()
        elif action == 3:
            s.pause() if rng.random() < 0.5 else s.resume()
        elif action == 4:
            s.reload(shows[actions % 2])
        else:
            assert s.stats.generation >= 0
    return actions


def test_a_long_answer_is_never_split_by_the_show():
    long_faq = SHOW.replace("a: Only the lid; wash the bottle by hand.",
                            "a: Only the lid goes in. Wash the bottle by hand. Use warm water. "
                            "Let it dry open.")
    s, voices = scheduler(long_faq)
    until_speech(s, 2)
    for i in range(MAX_ANSWERS_IN_ROW + 1):
        s.comment(f"v{i}", "Can it go in the dishwasher?")
    order = [s.next_spoken().caption for _ in range(60)]
    spoken = [c for c in order if c]
    starts = [i for i, c in enumerate(spoken) if c == "Only the lid goes in."]
    assert len(starts) >= MAX_ANSWERS_IN_ROW + 1      # the pitch may read this FAQ too
    for i in starts:
        assert spoken[i:i + 4] == ["Only the lid goes in.", "Wash the bottle by hand.",
                                   "Use warm water.", "Let it dry open."], spoken[i:i + 5]
