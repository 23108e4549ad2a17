"""The program: the one speech path from a show to timed program items (audio blocks, video
frames, captions), shared by render and live.

Modules: `speech` (`Program`: spoken utterances placed on the one timeline, with the presenter's
frames), `recording` (a segment read from a recording), `script` (the show read by its
rewriter, with each segment's on-screen state), `casting` (which voice speaks each language,
loaded once), `stage` (the presenter and studio for one program `Format`) and `production`
(all of it, for one performance of a show).
"""
from anchor.program.casting import show_voices, voice_names
from anchor.program.production import production
from anchor.program.script import script
from anchor.program.speech import LEAD_IN_MS, TAIL_MS, Program, Spoken, spoken_stream
from anchor.program.stage import Format, check_avatar, program_format, stage

__all__ = ["Format", "LEAD_IN_MS", "Program", "Spoken", "TAIL_MS", "check_avatar", "production",
           "program_format", "script", "show_voices", "spoken_stream", "stage", "voice_names"]
