"""Live: the show performed around the clock. The `Scheduler` decides what the presenter says
next (the looping show, answers to comments, say-now, operator control); a `Channel` renders
that in real time against one clock, encodes it once per codec and broadcasts it to every
viewer and push target; `make_app` is the channel's HTTP face (player page, WHEP, WebSocket,
comments, control API, health, metrics, OpenAPI)."""
from anchor.live.channel import Channel
from anchor.live.scheduler import Scheduler
from anchor.live.server import make_app

__all__ = ["Channel", "Scheduler", "make_app"]
