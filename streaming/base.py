"""The Sink interface: program media in time order, out to a file, a network or a player."""
from __future__ import annotations

from typing import Protocol

from anchor.media import AudioBlock, Caption, VideoFrame

ProgramItem = VideoFrame | AudioBlock | Caption


class Sink(Protocol):
    def write(self, item: ProgramItem) -> None:
        """Items arrive in program order; a sink ignores kinds it does not carry."""
        ...

    def close(self) -> None:
        """Finish: flush and publish the output (a file appears only now)."""
        ...

    def abort(self) -> None:
        """Stop and leave nothing half-written behind."""
        ...
