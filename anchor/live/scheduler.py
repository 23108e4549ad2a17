"""The live scheduler: what the presenter says next, around the clock.

The scheduler decides; it does not speak. The render thread asks `next_turn()` for the next
`Turn` (an utterance, a pause or a recording, in the picture of its segment) and the generation
it belongs to, has the one speech path speak it (`anchor.program.Speaker`, driven by
`anchor.live.speaking`), and tells the scheduler when a turn made a sound (`sounded`): a whole
pass of the show without one, and the presenter idles instead of reading on. The voices are the
show's (`voice_for`, for the show being read). The show is read pass after pass with the
rewriter's pass-varied wording;
viewer answers, say-now lines and operator control cut in between utterances, and the show then
RESUMES WHERE IT LEFT OFF: no script utterance is skipped or repeated, except the one an
interruption cut short, which is said again afterwards.

Control calls (`comment`, `say_now`, `skip`, `pause`, `resume`, `reload`) come from another
thread (the event loop). They never synthesize and never wait for the render thread: they
update a little state and append to a control deque under a short lock (a comment is matched
against the show's facts there, which is cheap, so its answer text can be shown at once), and
the render thread applies that deque at its next call. An interrupting action bumps
`generation` at once, so the channel can flush the media it has queued while the render thread
is still busy.

What comes first at each call:
  1. the rest of a say-now text, then new say-now texts (spoken even while paused);
  2. while paused: a 200 ms idle pause (mouth closed; the animator breathes and blinks);
  3. the rest of an answer, then the next queued question (at most MAX_ANSWERS_IN_ROW answers
     before the show gets a word in again);
  4. a reloaded show, which starts from its first segment;
  5. the script: an interrupted utterance again, then the next utterance or pause.

Viewer names are never spoken, and a viewer's text is never read as show directives: only the
answerer's templated answer (built from the show's own facts) is spoken.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from pydantic import ValidationError

from anchor.answers import Answerer
from anchor.answers.llm import LLMAnswerer
from anchor.clock import Clock
from anchor.errors import AnchorError
from anchor.logs import WarnOnce
from anchor.media import Pause, Utterance
from anchor.program import Item, Recording, Turn, voice_names
from anchor.program.script import segment_scripts, segment_state
from anchor.rewriter import RulesRewriter
from anchor.show import Show, TextSegment
from voices.base import Voice

__all__ = [
    "IDLE_MS",
    "MAX_ANSWERS_IN_ROW",
    "MAX_QUESTIONS",
    "QUESTION_TTL_S",
    "Scheduler",
    "SchedulerStats",
]

log = logging.getLogger(__name__)

IDLE_MS = 200               # one idle pause: paused, or nothing to say
MAX_QUESTIONS = 8           # questions waiting for an answer; the oldest is dropped beyond this
MAX_ANSWERS_IN_ROW = 3      # then one script item before the next answer
QUESTION_TTL_S = 120.0      # a question not answered within this long is dropped as stale
MAX_SAY_NOW = 16            # say-now texts waiting; the oldest is dropped beyond this
MAX_COMMANDS = 256          # a last guard on control commands waiting for the render thread


# The answerers a scheduler takes: the offline one answers at once (`answer`), the model's on
# its own thread (`answer_later`), so that a comment never waits on a model.
CommentAnswerer = Answerer | LLMAnswerer


@dataclass(frozen=True, slots=True)
class SchedulerStats:
    generation: int
    paused: bool
    questions_queued: int
    questions_dropped: int      # dropped because the queue was full or they went stale
    answered: int               # answers spoken (holding lines included)
    holding_lines: int          # questions the show's facts could not answer
    said_now: int
    skips: int
    reloads: int                # reloads that took effect
    reload_failures: int        # reloads refused at switch time (the old show kept running)
    utterances: int             # script utterances handed out
    pass_index: int
    segment_index: int
    last_answer_wait_s: float   # clock time from a comment to its answer being handed out


@dataclass(frozen=True, slots=True, eq=False)
class _Turn:
    """One Turn handed (or about to be handed) to the render thread, and where it came from."""
    turn: Turn
    place: tuple[int, int, int] | None = None   # (reading, pass, segment) of a script turn

    @property
    def origin(self) -> str:                    # "script" | "answer" | "say" | "idle"
        return self.turn.origin

    @property
    def speech(self) -> bool:
        """An utterance or a recording, not a pause."""
        return not isinstance(self.turn.item, Pause)

    @property
    def interruptible(self) -> bool:
        match self.turn.item:
            case Utterance(interruptible=interruptible):
                return interruptible
            case Recording() as recording:
                return recording.interruptible
        return True


@dataclass(frozen=True, slots=True)
class _Answer:
    text: str                                   # what will be said
    asked: float                                # clock time of the comment


@dataclass(frozen=True, slots=True)
class _Interrupt:
    turn: _Turn                                 # cut short: say it again later


@dataclass(frozen=True, slots=True)
class _Skip:
    place: tuple[int, int, int] | None          # the segment to abandon (None: the current one)


@dataclass(frozen=True, slots=True)
class _Say:
    segment: TextSegment


@dataclass(frozen=True, slots=True, eq=False)
class _Reload:
    show: Show
    answerer: CommentAnswerer | None


class _Reading:
    """One show read pass after pass, one segment at a time; remembers where it is."""

    def __init__(self, show: Show, serial: int, warn: Callable[[str], None],
                 voices: Callable[[Show], Callable[[Utterance], Voice]], *, clock: Clock):
        self.show, self.serial = show, serial
        self.names = voice_names(show)          # unknown voice: AnchorError
        self.voice_for = voices(show)
        self.rewriter = RulesRewriter(seed=show.seed, warn=warn, source_name=str(show.path))
        script_rewriter = None
        if show.llm is not None:    # LLM text prepared ahead; never waited for (see lookahead)
            from anchor.rewriter import script_rewriter as llm_rewriter
            script_rewriter = llm_rewriter(show, live=True, clock=clock, voices=self.names,
                                           warn=warn)
        self.script_rewriter = script_rewriter
        self._segments = segment_scripts(show, passes=None, warn=warn, rewriter=script_rewriter)
        self._items: Iterator | None = None
        self.pass_index, self.segment_index = 0, -1
        self.state = segment_state(show.segments[0], show.language_of(show.segments[0]))
        self.mute = False
        self._sounded = -1                      # the last pass that made a sound

    @property
    def place(self) -> tuple[int, int, int]:
        return self.serial, self.pass_index, self.segment_index

    def next_item(self) -> Item | None:
        """The next script item; None once a whole pass has gone by without a sound."""
        while not self.mute:
            if self._items is None:
                pass_index, index, items = next(self._segments)
                if pass_index > self._sounded + 1:
                    self.mute = True
                    return None
                self.pass_index, self.segment_index, self._items = pass_index, index, items
            found = next(self._items, None)
            if found is not None:
                item, self.state = found
                return item
            self._items = None
        return None

    @property
    def in_segment(self) -> bool:
        return self._items is not None

    def drop_item_source(self) -> None:
        """Give up on the current segment after an error in its reading."""
        self._items = None

    def sounded(self, pass_index: int) -> None:
        self._sounded = max(self._sounded, pass_index)

    def skip(self, place: tuple[int, int, int] | None) -> bool:
        """Abandon the rest of the segment at `place` if that is the one being read."""
        if place is not None and place != self.place:
            return False
        self._items = None
        self._sounded = max(self._sounded, self.pass_index)   # skipping is not a mute show
        return True


class Scheduler:
    """What the presenter says next: the looping show, answers, say-now and operator control.

    `voices` maps a show to its voices, utterance -> Voice (`anchor.program.show_voices`): a
    reloaded show whose voices do not load is refused, and `voice_for` is the voices of the show
    being read. `answerer` answers from the show's facts (`anchor.answers.comment_answerer`;
    give the new show's one to `reload`): the offline `Answerer` at once, the `LLMAnswerer` on
    its own thread. `interrupt`: may an answer cut into the current utterance (None: the show's
    `answers.interrupt`, also after a reload). `clock` times comments (stale answers are
    dropped; `stats.last_answer_wait_s`). `warn` gets one line per problem (a problem that
    comes back every pass, such as a failing voice, only once).
    """

    def __init__(self, show: Show, *, voices: Callable[[Show], Callable[[Utterance], Voice]],
                 answerer: CommentAnswerer, clock: Clock, interrupt: bool | None = None,
                 warn: Callable[[str], None] = log.warning):
        self._voices, self._clock, self._warn_to = voices, clock, warn
        self._interrupt_setting = interrupt
        self._warn_once = WarnOnce(warn)     # for problems that come back every pass
        self._reading = _Reading(show, 0, self._warn_once, voices, clock=clock)  # a bad show raises here
        self._show = show
        self._answerer = answerer
        # render-thread state
        self._handed: _Turn | None = None                    # the turn last handed out
        self._say_turns: deque[_Turn] = deque()
        self._answer_turns: deque[_Turn] = deque()
        self._ahead: deque[_Turn] = deque()                  # script turns to say before reading on
        self._pending_show: _Reload | None = None
        self._answers_in_row = 0
        # shared with control calls, under _lock
        self._lock = threading.RLock()    # RLock: a warn callback may read stats
        self._render_lock = threading.Lock()
        self._commands: deque = deque()
        self._answers: deque[_Answer] = deque()
        self._current: _Turn | None = None                   # the turn the channel is playing
        self._script_place: tuple[int, int, int] | None = None
        self._on_screen = self._reading.state                # the picture of the script
        self._generation = 0
        self._paused = False
        self._interrupts = interrupt if interrupt is not None else show.answers.interrupt
        self._counts = {name: 0 for name in ("questions_dropped", "answered", "holding_lines",
                                             "said_now", "skips", "reloads", "reload_failures",
                                             "utterances")}
        self._last_wait = 0.0

    # ---- control (any thread) ----------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Bumped by every interrupting action: media queued before the bump is stale."""
        with self._lock:
            return self._generation

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    @property
    def show(self) -> Show:
        """The show on air: the last one given to the constructor or to `reload`, unless its
        switch was refused (its reading starts at the next utterance)."""
        with self._lock:
            return self._show

    def comment(self, viewer: str, text: str,
                done: Callable[[str], None] | None = None) -> str:
        """Answer a viewer's question (already through the gate) from the show's facts, or with
        a holding line, and queue the answer to be spoken; returns what will be said ("" if
        nothing can be, or not yet: an answerer with `answer_later`, a model, answers on its own
        thread and the answer is queued when ready). `done` gets the answer text once it is
        queued. `viewer` is never spoken."""
        with self._lock:
            answerer, product = self._answerer, self._on_screen.product
            seed = self._counts["answered"] + len(self._answers)
        current = product.name if product else None
        asked = self._clock.now()
        if isinstance(answerer, LLMAnswerer):     # never wait on a model (anchor/answers/llm.py)
            answerer.answer_later(text, current=current, done=lambda answer: self._queue_answer(
                answer or answerer.holding_line(seed), not answer, asked, done))
            return ""
        try:
            answer = answerer.answer(text, current=current)
            holding = not answer
            if holding:
                answer = answerer.holding_line(seed)
        except Exception as e:  # noqa: BLE001 (a 24/7 channel survives a faulty part)
            self._warn(f"answering a comment failed ({type(e).__name__}: {e})")
            return ""
        return self._queue_answer(answer, holding, asked, done)

    def _queue_answer(self, answer: str, holding: bool, asked: float,
                      done: Callable[[str], None] | None) -> str:
        with self._lock:
            busy = bool(self._answers) or (self._current is not None
                                            and self._current.origin == "answer")
            if len(self._answers) >= MAX_QUESTIONS:
                self._answers.popleft()
                self._counts["questions_dropped"] += 1
            self._answers.append(_Answer(answer, asked))
            self._counts["holding_lines"] += holding
            current = self._current
            if (self._interrupts and not busy and current is not None
                    and current.origin == "script" and current.speech and current.interruptible):
                self._cut(current)
        if done is not None:
            done(answer)
        return answer

    def say_now(self, text: str) -> None:
        """Say `text` (show directives allowed) as soon as possible, even while paused; the
        utterance it cuts short is said again afterwards. Bad text raises AnchorError."""
        try:
            segment = TextSegment(kind="text", text=text)
        except ValidationError as e:
            problem = e.errors()[0]["msg"].removeprefix("Value error, ")
            raise AnchorError(f"say-now text: {problem}") from None
        with self._lock:
            self._command(_Say(segment))
            current = self._current
            if current is not None and current.speech and current.origin in ("script", "answer"):
                self._cut(current)

    def skip(self) -> None:
        """Abandon the rest of the current segment; the show goes on with the next one."""
        with self._lock:
            self._command(_Skip(self._script_place))
            self._counts["skips"] += 1
            current = self._current
            if current is not None and current.origin == "script":
                self._generation += 1
                self._current = None

    def pause(self) -> None:
        """Stop talking (idle presenter) until resume(); a cut utterance is said again then."""
        with self._lock:
            self._paused = True
            current = self._current
            if current is not None and current.speech and current.origin in ("script", "answer"):
                self._cut(current)

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    def reload(self, show: Show, *, answerer: CommentAnswerer | None = None) -> None:
        """Read `show` (already validated) from its first segment, from the next utterance on,
        answering from `answerer` (default: the old answerer). It is the show on air from now;
        if its voices fail to load, the old show keeps running and `warn` says why."""
        with self._lock:
            self._show = show
            self._command(_Reload(show, answerer))

    @property
    def stats(self) -> SchedulerStats:
        with self._lock:
            reading = self._reading
            return SchedulerStats(generation=self._generation, paused=self._paused,
                                  questions_queued=len(self._answers),
                                  pass_index=reading.pass_index,
                                  segment_index=max(reading.segment_index, 0),
                                  last_answer_wait_s=self._last_wait, **self._counts)

    def _cut(self, turn: _Turn) -> None:   # under _lock
        self._generation += 1
        self._command(_Interrupt(turn))
        self._current = None

    def _command(self, command) -> None:   # under _lock
        """Queue a command for the render thread. The deque stays small without dropping an
        interrupt (there is at most one per handed-out turn): the latest reload replaces an
        older one, a repeated skip of the same segment counts once, say-now texts are capped."""
        commands = self._commands
        if isinstance(command, _Reload):
            for old in [c for c in commands if isinstance(c, _Reload)]:
                commands.remove(old)
        elif isinstance(command, _Skip) and any(isinstance(c, _Skip) and c.place == command.place
                                                for c in commands):
            return
        elif isinstance(command, _Say):
            says = [c for c in commands if isinstance(c, _Say)]
            if len(says) >= MAX_SAY_NOW:
                commands.remove(says[0])
                self._warn(f"scheduler: more than {MAX_SAY_NOW} say-now texts waiting; "
                           "the oldest was dropped")
        if len(commands) >= MAX_COMMANDS:
            commands.popleft()
            self._warn(f"scheduler: more than {MAX_COMMANDS} control commands waiting; "
                       "the oldest was dropped")
        commands.append(command)

    # ---- the render thread -------------------------------------------------------------------

    def next_turn(self) -> tuple[Turn, int]:
        """The next Turn and the generation it belongs to, taken atomically: a channel that
        sees `generation` move past this number flushes what it made of this Turn, and does
        not begin a Turn whose generation has already moved on (it is handed out again)."""
        with self._render_lock:
            for attempt in range(4):
                self._apply_commands()
                handed = self._next()
                with self._lock:
                    if self._commands and attempt < 3:
                        self._put_back(handed)   # control came in meanwhile: obey it first
                        continue
                    self._current = self._handed = handed
                    if handed.origin == "script" and handed.place is not None:
                        self._script_place = handed.place
                        self._on_screen = self._reading.state
                        self._counts["utterances"] += handed.speech
                    return handed.turn, self._generation
        raise AssertionError("unreachable")

    def sounded(self, turn: Turn) -> None:
        """The render thread heard `turn` (the last one handed out) make a sound: the show it
        came from is not mute."""
        handed, reading = self._handed, self._reading
        if (handed is not None and handed.turn is turn and handed.place is not None
                and handed.place[0] == reading.serial):
            reading.sounded(handed.place[1])

    def voice_for(self, utterance: Utterance) -> Voice:
        """The voice of an utterance of the show being read (on the render thread)."""
        return self._reading.voice_for(utterance)

    def _apply_commands(self) -> None:
        with self._lock:
            commands = list(self._commands)
            self._commands.clear()
        for command in commands:
            if isinstance(command, _Interrupt):
                self._put_back(command.turn)
            elif isinstance(command, _Skip):
                target = command.place
                if self._reading.skip(target):
                    target = self._reading.place
                self._ahead = deque(t for t in self._ahead if t.place != target)
            elif isinstance(command, _Say):
                self._say_turns.extend(self._turns_for(command.segment.text, "say", "script"))
                with self._lock:
                    self._counts["said_now"] += 1
            elif isinstance(command, _Reload):
                self._pending_show = command

    def _put_back(self, turn: _Turn) -> None:
        """A turn not (fully) played goes back to the front of its line."""
        line = {"script": self._ahead, "answer": self._answer_turns, "say": self._say_turns}
        if turn.origin in line:
            line[turn.origin].appendleft(turn)

    def _next(self) -> _Turn:
        if self._say_turns:
            return self._say_turns.popleft()
        if self.paused:
            return self._idle()
        if self._answer_turns:                  # the rest of the answer being given
            return self._answer_turns.popleft()
        if self._answers_in_row < MAX_ANSWERS_IN_ROW:
            self._answer_turns.extend(self._answer_next_question())
            if self._answer_turns:
                self._answers_in_row += 1     # answers, not sentences, are counted
                return self._answer_turns.popleft()
        self._answers_in_row = 0
        if self._pending_show is not None:
            reload, self._pending_show = self._pending_show, None
            self._switch(reload.show, reload.answerer)
        if self._ahead:
            return self._ahead.popleft()
        return self._script_turn() or self._idle()

    def _idle(self) -> _Turn:
        return _Turn(Turn(Pause(IDLE_MS), self._reading.state, "idle"))

    def _script_turn(self) -> _Turn | None:
        reading = self._reading
        while True:
            try:
                item = reading.next_item()
            except Exception as e:  # noqa: BLE001 (a 24/7 channel survives a faulty part)
                if reading.in_segment:      # one segment's reading broke: go on with the next
                    self._warn_once(f"{reading.show.path}: segment {reading.segment_index + 1} "
                               f"skipped ({type(e).__name__}: {e})")
                    reading.drop_item_source()
                    continue
                self._warn_once(f"{reading.show.path}: reading the show failed ({e}); idling")
                reading.mute = True
                return None
            if item is None:
                self._warn_once(f"{reading.show.path}: nothing to say (no sound for a whole "
                                "pass of the show); idling until a reload")
                return None
            return _Turn(Turn(item, reading.state, "script"), reading.place)

    def _answer_next_question(self) -> list[_Turn]:
        while True:
            with self._lock:
                if not self._answers:
                    return []
                answer = self._answers.popleft()
                if self._clock.now() - answer.asked > QUESTION_TTL_S:
                    self._counts["questions_dropped"] += 1
                    continue
            turns = self._turns_for(answer.text, "answer", "comment")
            if not turns:
                continue
            with self._lock:
                self._counts["answered"] += 1
                self._last_wait = max(0.0, self._clock.now() - answer.asked)
            return turns

    def _turns_for(self, text: str, origin: str, source: str) -> list[_Turn]:
        """Text spoken in the show's language and voice, in the current segment's picture."""
        reading = self._reading
        language = reading.show.language
        try:
            segment = TextSegment(kind="text", text=text)
            items = list(reading.rewriter.utterances(segment, language=language,
                                                     voice=reading.names[language]))
        except (ValidationError, AnchorError) as e:
            self._warn(f"cannot say {text[:40]!r}: {e}")
            return []
        turns = [_Turn(Turn(item if isinstance(item, Pause) else replace(item, source=source),
                            reading.state, origin)) for item in items]
        return turns if any(t.speech for t in turns) else []

    def _switch(self, show: Show, answerer: CommentAnswerer | None) -> None:
        """Start reading `show`, unless its voices cannot be had."""
        try:
            reading = _Reading(show, self._reading.serial + 1, self._warn_once, self._voices,
                               clock=self._clock)
            for language, name in reading.names.items():
                reading.voice_for(Utterance(0, "", language, name))     # loads (and caches) it
        except Exception as e:  # noqa: BLE001 (a 24/7 channel survives a faulty part)
            with self._lock:
                self._counts["reload_failures"] += 1
                if self._show is show:
                    self._show = self._reading.show
            self._warn(f"reload of {show.path or show.title!r} failed ({type(e).__name__}: {e}); "
                       f"still reading {self._reading.show.path or self._reading.show.title!r}")
            return
        with self._lock:
            self._reading = reading
            self._answerer = answerer or self._answerer
            self._on_screen = reading.state
            self._counts["reloads"] += 1
            if self._interrupt_setting is None:
                self._interrupts = show.answers.interrupt
        self._ahead.clear()

    def _warn(self, message: str) -> None:
        self._warn_to(message)
