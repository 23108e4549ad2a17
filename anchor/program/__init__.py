"""The program: the one speech path from a show to timed program items (audio blocks, video
frames, captions), shared by render and live.

Modules: `speaking` (the `Speaker`: scheduled `Turn`s of the closed item union — `Utterance`,
`Pause`, `Recording` — spoken into streamed `Spoken` pieces, with the lead-in and tail;
`performed`, a finite script spoken start to end), `timeline` (`Program`: Spoken placed on the
one timeline, with the presenter's frames, captions and the `LineObserver`s told of every line
said), `recording` (a segment read from a recording), `script` (the show read by its rewriter,
with each segment's on-screen state), `casting` (which voice speaks each language, loaded
once), `stage` (the presenter and studio for one program `Format`) and `production` (all of
it, for one performance of a show).
"""
from anchor.program.casting import show_voices, voice_names
from anchor.program.production import production
from anchor.program.recording import Recording
from anchor.program.script import script
from anchor.program.speaking import (LEAD_IN_MS, TAIL_MS, Item, Line, Speaker, Spoken, Turn,
                                     performed)
from anchor.program.stage import Format, check_avatar, program_format, stage
from anchor.program.timeline import LineObserver, Program, SaidLine

__all__ = ["Format", "Item", "LEAD_IN_MS", "Line", "LineObserver", "Program", "Recording",
           "SaidLine", "Speaker", "Spoken", "TAIL_MS", "Turn", "check_avatar", "performed",
           "production", "program_format", "script", "show_voices", "stage", "voice_names"]
