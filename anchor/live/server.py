"""The channel's HTTP face: the player page, WHEP viewers, the page's WebSocket, comments, the
control API (bearer token), health, metrics and the OpenAPI description.

`make_app(channel, token=...)` builds an aiohttp application around one live channel. Every
handler runs on the event loop thread, like the channel's own methods. JSON requests are
validated, and JSON replies built, with the models of `anchor.live.api_models`, which the OpenAPI
document is generated from. Every error is answered with the one `Error` body, whoever raised it
(a handler, aiohttp's router, the WHEP handlers); an unexpected error in a handler is logged and
answered with 500; it never reaches the channel.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
from pathlib import Path

from aiohttp import WSMsgType, web
from pydantic import ValidationError

from anchor.errors import AnchorError
from anchor.live.api_models import (Accepted, Body, Comment, CommentRefused, Error, Health,
                                    NewPush, Push, PushStarted, Reloaded, ReloadRefused, Say,
                                    Verdict, refusal)
from anchor.live.openapi import openapi
from streaming.webrtc import TRICKLE_TYPE, whep_routes

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[2] / "streaming" / "static"
CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                 ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}
STATIC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(?:html|js|css|svg|png|ico)")

MAX_BODY = 64 * 1024          # bytes: an SDP offer is a few kB, a JSON command far less
MAX_WS_MESSAGE = 16 * 1024    # bytes: larger WebSocket frames end that connection (1009)
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
WHEP = "/whep"

CHANNEL = web.AppKey("channel", object)
TOKEN = web.AppKey("token", object)
SOCKETS = web.AppKey("sockets", set)


def make_app(channel, *, token: str | None) -> web.Application:
    """The HTTP application of one live channel. `token`: the control API's bearer token; with
    None the control API answers 403 to everyone."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_errors, _control_auth])
    app[CHANNEL] = channel
    app[TOKEN] = token or None
    app[SOCKETS] = set()
    r = app.router
    r.add_get("/", _index)
    r.add_get("/static/{name}", _static)
    app.add_routes(whep_routes(channel.viewers, WHEP))   # POST, DELETE and PATCH (trickle)
    r.add_route("OPTIONS", WHEP, _whep_options)
    r.add_route("OPTIONS", WHEP + "/{viewer_id}", _whep_options)
    r.add_get("/ws", _websocket)
    r.add_post("/api/comments", _post_comment)
    r.add_post("/api/control/say", _say)
    r.add_post("/api/control/skip", _simple("skip"))
    r.add_post("/api/control/pause", _simple("pause"))
    r.add_post("/api/control/resume", _simple("resume"))
    r.add_post("/api/control/reload", _reload)
    r.add_get("/api/control/pushes", _pushes)
    r.add_post("/api/control/pushes", _add_push)
    r.add_delete("/api/control/pushes/{id}", _remove_push)
    r.add_get("/healthz", _health)
    r.add_get("/metrics", _metrics)
    r.add_get("/openapi.json", _openapi)
    app.on_response_prepare.append(_whep_cors)
    app.on_shutdown.append(_close_sockets)
    return app


# --- middlewares ---------------------------------------------------------------------------

@web.middleware
async def _errors(request: web.Request, handler):
    """Every error in the one Error shape: aiohttp's own (404, 405, 413...) and the plain-text
    refusals of the WHEP handlers become {"error": ...} with their status and headers kept."""
    try:
        response = await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        response = e
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return _problem(500, "internal error (logged on the server)")
    if response.status >= 400 and isinstance(response, web.Response) \
            and response.content_type != "application/json":
        text = (response.text or "").strip()
        if text.startswith(f"{response.status}:"):          # aiohttp's "404: Not Found"
            text = text.partition(":")[2].strip()
        kept = {k: v for k, v in response.headers.items()
                if k.lower() not in ("content-type", "content-length")}
        return _problem(response.status, text or response.reason, headers=kept)
    return response


@web.middleware
async def _control_auth(request: web.Request, handler):
    if request.path.startswith("/api/control/"):
        token = request.app[TOKEN]
        if token is None:
            return _problem(403, "the control API is disabled: start the channel with --token "
                                 "or ANCHOR_TOKEN")
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(),
                                                                 token.encode()):
            response = _problem(401, "a valid bearer token is needed")
            response.headers["WWW-Authenticate"] = 'Bearer realm="anchor"'
            return response
    return await handler(request)


def _answer(body: Body, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.json_response(body.model_dump(mode="json", exclude_none=True), status=status,
                             headers=headers)


def _problem(status: int, message: str, headers: dict | None = None) -> web.Response:
    return _answer(Error(error=message), status, headers)


# --- the player page -----------------------------------------------------------------------

async def _index(request: web.Request) -> web.StreamResponse:
    return _static_file("index.html")


async def _static(request: web.Request) -> web.StreamResponse:
    return _static_file(request.match_info["name"])


def _static_file(name: str) -> web.Response:
    if not STATIC_NAME.fullmatch(name):
        raise web.HTTPNotFound()
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR or not path.is_file():
        raise web.HTTPNotFound()
    kind = CONTENT_TYPES[path.suffix]
    charset = "utf-8" if kind.startswith("text/") or kind.endswith("+xml") else None
    return web.Response(body=path.read_bytes(), content_type=kind, charset=charset,
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


# --- WHEP ----------------------------------------------------------------------------------

# POST /whep and DELETE /whep/{viewer_id} are streaming.webrtc's own handlers (whep_routes):
# 201 + Location + answer, 400 malformed SDP, 413 too large, 415 wrong type, 503 channel full.
# Here only the CORS preflight, so that WHEP players served from other origins can connect.
WHEP_CORS = {"Access-Control-Allow-Origin": "*",
             "Access-Control-Allow-Methods": "POST, PATCH, DELETE, OPTIONS",
             "Access-Control-Allow-Headers": "Content-Type, Authorization",
             "Access-Control-Expose-Headers": "Location"}


async def _whep_options(request: web.Request) -> web.Response:
    return web.Response(status=204, headers={**WHEP_CORS, "Accept-Post": "application/sdp",
                                             "Accept-Patch": TRICKLE_TYPE})


async def _whep_cors(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == WHEP or request.path.startswith(WHEP + "/"):
        for name, value in WHEP_CORS.items():
            response.headers.setdefault(name, value)


async def _body(request: web.Request) -> bytes:
    """The request body, refused with 413 past MAX_BODY (whatever Content-Length claims)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    return await request.read()          # aiohttp enforces client_max_size while reading


async def _request(request: web.Request, model: type[Body]) -> Body:
    """The JSON body as `model`: 400 if it is not a JSON object, 422 if it does not match
    (as HTTP exceptions, which the _errors middleware answers with an Error)."""
    raw = await _body(request)
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text="the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise web.HTTPUnprocessableEntity(text=refusal(e, model)) from None


# --- comments ------------------------------------------------------------------------------

def _verdict(verdict) -> Verdict:
    """The gate's verdict: `reason` is the gate's code ("rate", "blocked", ...), `message` what
    to tell the viewer."""
    return Verdict(ok=bool(verdict.ok), reason=verdict.reason, message=verdict.message,
                   text=verdict.text)


def _rate_limited(verdict) -> bool:
    return not verdict.ok and verdict.reason == "rate"


async def _post_comment(request: web.Request) -> web.Response:
    comment = await _request(request, Comment)
    viewer = comment.viewer or f"ip:{request.remote}"
    verdict = request.app[CHANNEL].comment(viewer[:64], comment.text)
    if verdict.ok:
        return _answer(_verdict(verdict), 202)
    refused = CommentRefused(error=verdict.message, reason=verdict.reason,
                             message=verdict.message, text=verdict.text)
    return _answer(refused, 429 if _rate_limited(verdict) else 422)


async def _websocket(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Upgrade", "").lower() != "websocket":
        return _problem(426, "this is the player page's WebSocket: connect with a WebSocket "
                             "client (Upgrade: websocket)",
                        headers={"Upgrade": "websocket", "Connection": "Upgrade"})
    ws = web.WebSocketResponse(max_msg_size=MAX_WS_MESSAGE, heartbeat=30.0)
    await ws.prepare(request)
    channel = request.app[CHANNEL]
    viewer = f"ws:{secrets.token_hex(6)}"
    request.app[SOCKETS].add(ws)
    events = channel.events()
    pump = asyncio.create_task(_pump_events(ws, events), name=f"events {viewer}")
    try:
        await ws.send_json({"type": "hello", "viewer": viewer, "title": channel.show.title,
                            "language": channel.show.language, "viewers": channel.viewers.count})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                try:
                    reply = _ws_comment(channel, viewer, msg.data)
                except Exception:
                    log.exception("comment from %s failed", viewer)
                    reply = {"type": "comment_ack", "ok": False, "reason": "error",
                             "message": "Something went wrong on the server; try again."}
                await ws.send_json(reply)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_json({"type": "comment_ack", "ok": False, "reason": "binary",
                                    "message": "Binary messages are not accepted."})
            elif msg.type == WSMsgType.ERROR:
                log.info("WebSocket %s closed: %s", viewer, ws.exception())
    finally:
        pump.cancel()
        try:
            await pump
        except (asyncio.CancelledError, Exception):
            pass
        await events.aclose()
        request.app[SOCKETS].discard(ws)
    return ws


def _ws_comment(channel, viewer: str, raw: str) -> dict:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("type") != "comment" \
            or not isinstance(data.get("text"), str):
        return {"type": "comment_ack", "ok": False, "reason": "not_text",
                "message": 'Expected {"type": "comment", "text": "..."}.'}
    verdict = channel.comment(viewer, data["text"])
    return {"type": "comment_ack", **_verdict(verdict).model_dump(),
            "rate_limited": _rate_limited(verdict)}


async def _pump_events(ws: web.WebSocketResponse, events) -> None:
    try:
        async for event in events:
            if ws.closed:
                return
            await ws.send_json(event)
    except (ConnectionError, asyncio.CancelledError):
        raise
    except Exception:
        log.exception("page events stopped")
        raise


async def _close_sockets(app: web.Application) -> None:
    for ws in tuple(app[SOCKETS]):
        await ws.close(code=1001, message=b"server shutdown")


# --- control -------------------------------------------------------------------------------

async def _say(request: web.Request) -> web.Response:
    say = await _request(request, Say)
    request.app[CHANNEL].say_now(say.text.strip())
    return _answer(Accepted(), 202)


def _simple(action: str):
    async def handler(request: web.Request) -> web.Response:
        getattr(request.app[CHANNEL], action)()
        return _answer(Accepted(), 202)
    handler.__name__ = f"_{action}"
    return handler


async def _reload(request: web.Request) -> web.Response:
    channel = request.app[CHANNEL]
    try:
        channel.reload()
    except AnchorError as e:
        return _answer(ReloadRefused(error=_one_line(e), title=channel.show.title), 422)
    return _answer(Reloaded(title=channel.show.title))


async def _pushes(request: web.Request) -> web.Response:
    targets = request.app[CHANNEL].pushes()
    return web.json_response([Push.model_validate(t).model_dump(mode="json") for t in targets])


async def _add_push(request: web.Request) -> web.Response:
    push = await _request(request, NewPush)
    try:
        target = await request.app[CHANNEL].add_push(push.url)
    except (AnchorError, ValueError) as e:
        return _problem(422, _one_line(e))
    return _answer(PushStarted(id=target), 201,
                   headers={"Location": f"/api/control/pushes/{target}"})


async def _remove_push(request: web.Request) -> web.Response:
    target = request.match_info["id"]
    try:
        await request.app[CHANNEL].remove_push(target)
    except KeyError:
        return _problem(404, f"no push target {target!r}")
    return _answer(Accepted())


# --- observability -------------------------------------------------------------------------

async def _health(request: web.Request) -> web.Response:
    health = Health.model_validate(request.app[CHANNEL].health())
    return _answer(health, 200 if health.status in ("ok", "degraded") else 503)


async def _metrics(request: web.Request) -> web.Response:
    text = request.app[CHANNEL].metrics()
    return web.Response(body=text.encode(), headers={"Content-Type": METRICS_TYPE})


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi())


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())[:500]


def routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, path template) of every route the app answers, HEAD left out."""
    out = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if route.method != "HEAD" and path:
            out.append((route.method, path))
    return out
