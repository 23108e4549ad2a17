"""A production: everything needed to perform a show once into a program, the stage and the
show's speech (read by its rewriter, spoken by its voices)."""
from __future__ import annotations

import logging
from typing import Callable, Iterator, Sequence

from anchor.clock import SystemClock
from anchor.program.casting import show_voices
from anchor.program.script import script
from anchor.program.speaking import Speaker, Spoken, Turn, performed
from anchor.program.stage import Format, stage
from anchor.program.timeline import LineObserver, Program
from anchor.rewriter import script_rewriter
from anchor.show import Show

log = logging.getLogger(__name__)


def production(show: Show, fmt: Format, *, avatar: str | None = None, limit_s: float | None = None,
               passes: int | None = 1, warn: Callable[[str], None] = log.warning,
               observers: Sequence[LineObserver] = ()) -> tuple[Program, Iterator[Spoken]]:
    """Everything needed to perform a show: the program and its speech, `passes` times through
    the show (None: looping until `limit_s`); `observers` are told of every line said."""
    animator, studio = stage(show, fmt, avatar=avatar)
    program = Program(animator=animator, studio=studio, fps=fmt.fps, limit_s=limit_s,
                      observers=observers)
    rewriter = None
    if show.llm is not None:      # the show's LLM rewriter (a file render may wait on it)
        rewriter = script_rewriter(show, live=False, clock=SystemClock(), warn=warn)
    turns = (Turn(item, state) for item, state in
             script(show, passes=passes, warn=warn, rewriter=rewriter))
    return program, performed(turns, Speaker(voice_for=show_voices(show)))
