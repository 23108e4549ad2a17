"""Structured logs for the live channel: one JSON object per line on stderr.

    {"time": "2026-11-24T02:31:05.123Z", "level": "info", "logger": "anchor.live.channel",
     "message": "push target added", "target": "3fa2c1d0", "url": "rtmp://host/live/****"}

Fields passed with `extra={...}` appear as keys of their own; an exception adds "error".
`--log-format text` keeps the classic one-line format for people reading a terminal.
"""
from __future__ import annotations

import json
import logging
import sys
import time

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class WarnOnce:
    """A warn function that passes each distinct message on once: for problems that would come
    back every pass of a looping show. At most `remember` messages are remembered; past that
    the memory starts again."""

    def __init__(self, warn, remember: int = 256):
        self._warn, self._remember = warn, remember
        self._seen: set[str] = set()

    def __call__(self, message: str) -> None:
        if message in self._seen:
            return
        if len(self._seen) >= self._remember:
            self._seen.clear()
        self._seen.add(message)
        self._warn(message)


def configure(fmt: str = "json", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aioice", "aiortc", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
