"""Live speech: the scheduler's turns spoken by the one speech path, as they are decided.

`live_speech` is what a live render thread feeds its `Program`: it asks the scheduler for the
next turn, has the speaker speak it piece by piece, and tells the scheduler when a turn made a
sound. After an interruption (the generation moved on) the media still queued for the old
generation is dropped first (`flush`); a turn interrupted before it began is not begun (the
scheduler hands it out again), and one interrupted while it is spoken is not synthesized any
further. The same speaker and program serve `anchor render`, driven by the finite script.
"""
from __future__ import annotations

from typing import Callable, Iterator

from anchor.live.scheduler import Scheduler
from anchor.program import Speaker, Spoken


def live_speech(scheduler: Scheduler, speaker: Speaker, *, flush: Callable[[], None],
                before_turn: Callable[[], None] = lambda: None) -> Iterator[Spoken]:
    """Spoken pieces forever, in the scheduler's order. `before_turn` runs before each turn is
    asked for (the channel picks up an edited show file there)."""
    seen = 0                                       # the generation whose media is queued
    while True:
        before_turn()
        turn, generation = scheduler.next_turn()
        if generation != seen:
            seen = generation
            flush()
        pieces, sounded = speaker.speak(turn), False
        try:
            while scheduler.generation == generation:
                spoken = next(pieces, None)
                if spoken is None:
                    break
                sounded = sounded or spoken.line is not None
                yield spoken
        finally:
            pieces.close()
        if sounded:
            scheduler.sounded(turn)
