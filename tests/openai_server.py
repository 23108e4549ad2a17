"""A local server speaking the OpenAI chat-completions protocol, for tests and benchmarks.

    with OpenAIServer(Reply("Hello. How are you?", token_interval_s=0.05)) as server:
        chat = OpenAIChat(base_url=server.base_url, model="tiny")
        ...
        server.received[0].headers["Authorization"]

Each request takes the next scripted reply (the last one repeats when the script runs out):
`Reply` (an answer, streamed as server-sent events when the request asks for `stream: true`,
else one JSON object; with a time to first token and a time between tokens), `Failure` (an
HTTP error with the protocol's error body), `Raw` (any bytes: garbage), `Hang` (accepts the
request and never answers) and `Drop` (streams a few tokens, then cuts the connection).
A streamed `Reply(hold_after=n)` sends n deltas, sets `server.holding` and waits for
`server.release()` before the rest: tests order events instead of timing them.
The aiohttp app runs in its own thread on 127.0.0.1 and a free port.
"""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Reply:
    text: str = "Hello there."
    pieces: tuple[str, ...] | None = None   # the deltas; default: the text cut before spaces
    first_token_s: float = 0.0              # from the request to the first delta
    token_interval_s: float = 0.0           # between deltas
    done: bool = True                       # end the event stream with "data: [DONE]"
    hold_after: int | None = None           # deltas sent before waiting for server.release()

    def deltas(self) -> tuple[str, ...]:
        if self.pieces is not None:
            return self.pieces
        words = self.text.split(" ")
        return tuple(w if i == 0 else " " + w for i, w in enumerate(words))


@dataclass(frozen=True)
class Failure:
    status: int = 500
    message: str = "the model is overloaded"
    retry_after: str | None = None


@dataclass(frozen=True)
class Raw:
    body: bytes = b"<html>not json</html>"
    content_type: str = "text/event-stream"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Hang:
    pass


@dataclass(frozen=True)
class Drop:
    reply: Reply = Reply("One. Two. Three. Four.")
    after: int = 2          # deltas sent before the connection is cut


@dataclass
class Received:
    headers: dict[str, str]
    body: dict
    at: float                           # time.monotonic() when the request arrived
    finished_at: float | None = None    # when the server sent its last byte
    sent_at: list[float] = field(default_factory=list)   # when each delta was sent


class OpenAIServer:
    def __init__(self, *script: Reply | Failure | Raw | Hang | Drop):
        self._script = list(script) or [Reply()]
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._released: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.holding = threading.Event()     # a reply is held (see Reply.hold_after)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply | Failure | Raw | Hang | Drop) -> None:
        """Replace what the next requests get."""
        with self._lock:
            self._script = list(replies)

    def release(self) -> None:
        """Let a held reply go on (and every later one straight through)."""
        self._loop.call_soon_threadsafe(self._released.set)

    def __enter__(self) -> "OpenAIServer":
        started = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(started,), daemon=True,
                                        name="openai-test-server")
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the test OpenAI server did not start")
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)

    # ---- the server thread ---------------------------------------------------------------------

    def _serve(self, started: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main(started))
        self._loop.close()

    async def _main(self, started: threading.Event) -> None:
        self._stopping = asyncio.Event()
        self._released = asyncio.Event()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        runner = web.AppRunner(app, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        started.set()
        await self._stopping.wait()
        await runner.cleanup()

    def _next(self) -> Reply | Failure | Raw | Hang | Drop:
        with self._lock:
            return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            body = {}
        received = Received(headers=dict(request.headers), body=body, at=time.monotonic())
        self.received.append(received)
        step = self._next()
        if isinstance(step, Failure):
            headers = {"Retry-After": step.retry_after} if step.retry_after else None
            return web.json_response({"error": {"message": step.message, "type": "server_error"}},
                                     status=step.status, headers=headers)
        if isinstance(step, Raw):
            return web.Response(body=step.body, status=step.status,
                                content_type=step.content_type, headers=dict(step.headers))
        if isinstance(step, Hang):
            try:
                await asyncio.wait_for(self._stopping.wait(), 60)
            except asyncio.TimeoutError:
                pass
            return web.Response(status=504)
        reply, cut_after = (step.reply, step.after) if isinstance(step, Drop) else (step, None)
        deltas = reply.deltas()
        if not body.get("stream"):
            await asyncio.sleep(reply.first_token_s + reply.token_interval_s * len(deltas))
            received.finished_at = time.monotonic()
            return web.json_response(_completion(body, "".join(deltas)))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        await asyncio.sleep(reply.first_token_s)
        await response.write(_event(_chunk(body, {"role": "assistant", "content": ""})))
        for i, delta in enumerate(deltas):
            if i:
                await asyncio.sleep(reply.token_interval_s)
            if i == reply.hold_after:
                self.holding.set()
                await self._until_released()
            if cut_after is not None and i == cut_after:
                request.transport.close()
                received.finished_at = time.monotonic()
                return response
            await response.write(_event(_chunk(body, {"content": delta})))
            received.sent_at.append(time.monotonic())
        await response.write(_event(_chunk(body, {}, finish="stop")))
        if reply.done:
            await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        received.finished_at = time.monotonic()
        return response


    async def _until_released(self) -> None:
        """Wait for release() (or the server's end; a minute at most, so nothing hangs)."""
        waits = [asyncio.ensure_future(e.wait()) for e in (self._released, self._stopping)]
        await asyncio.wait(waits, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()


def _event(payload: dict) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def _chunk(request: dict, delta: dict, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
            "model": request.get("model", "test-model"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _completion(request: dict, text: str) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
            "model": request.get("model", "test-model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}]}


def closed_port() -> int:
    """A loopback port nothing listens on (for "the server is down")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
