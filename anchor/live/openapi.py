"""The OpenAPI 3.1 description of the channel's HTTP API (served at /openapi.json).

The schemas are generated from the pydantic models in `anchor.live.api_models`, the same models
the server validates requests with and builds its JSON replies from. This module lists the
operations: for each, its request body and every status the server can answer with, and which
model that answer's body is. Tests check that every route of `anchor.live.server.make_app`
appears here and nothing else, and run schemathesis against a live channel with this document.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from anchor.live.api_models import (REPLIES, REQUESTS, Accepted, Comment, CommentRefused, Error,
                                    Health, NewPush, Push, PushStarted, Reloaded, ReloadRefused,
                                    Say, Verdict)
from streaming.webrtc import TRICKLE_TYPE

REF = "#/components/schemas/{model}"
SDP = "application/sdp"
SECURED = [{"bearer": []}]


def _version() -> str:
    try:
        return version("anchor-presenter")
    except PackageNotFoundError:
        return "0.0.0"


def _schemas() -> dict:
    pairs = [(m, "validation") for m in REQUESTS] + [(m, "serialization") for m in REPLIES]
    _, top = models_json_schema(pairs, ref_template=REF)
    return top["$defs"]


def _schema(body: type[BaseModel] | dict) -> dict:
    return {"$ref": REF.format(model=body.__name__)} if isinstance(body, type) else body


def _reply(description: str, body: type[BaseModel] | dict | None = None, *,
           media: str = "application/json", headers: tuple[str, ...] = ()) -> dict:
    out: dict = {"description": description}
    if headers:
        out["headers"] = {h: {"schema": {"type": "string"}} for h in headers}
    if body is not None:
        out["content"] = {media: {"schema": _schema(body)}}
    return out


def _error(description: str, body: type[Error] | dict = Error, **extra) -> dict:
    return _reply(description, body, **extra)


INTERNAL = _error("An unexpected error (logged on the server; the channel carries on).")
NOT_AN_OBJECT = _error("The body is not JSON, or not a JSON object.")
TOO_LARGE = _error("The body is larger than the server takes (64 KiB).")
CONTROL = {"401": _error("Missing or wrong bearer token.", headers=("WWW-Authenticate",)),
           "403": _error("The control API is disabled: the channel was started without a token.")}


def _op(tag: str, summary: str, responses: dict, *, body: dict | None = None,
        control: bool = False, **extra) -> dict:
    op = {"tags": [tag], "summary": summary, **extra}
    if control:
        op["security"] = SECURED
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    op["responses"] = {**responses, **(CONTROL if control else {}), "500": INTERNAL}
    return op


def _json_body(model: type[BaseModel]) -> dict:
    return {"application/json": {"schema": _schema(model)}}


def _text_body(media: str) -> dict:
    return {media: {"schema": {"type": "string"}}}


def _control(summary: str, ok: dict, *, body: type[BaseModel] | None = None,
             refusals: dict | None = None, **extra) -> dict:
    responses = dict(ok)
    if body is not None:
        responses |= {"400": NOT_AN_OBJECT, "413": TOO_LARGE}
    return _op("control", summary, responses | (refusals or {}),
               body=body and _json_body(body), control=True, **extra)


def _whep_options() -> dict:
    return _op("whep", "CORS preflight for WHEP players on other origins.",
               {"204": _reply("Allowed methods and headers (Access-Control-*).")})


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _paths() -> dict:
    accepted = {"202": _reply("Accepted.", Accepted)}
    return {
        "/": {"get": _op("page", "The player page.",
                         {"200": _reply("HTML.", {"type": "string"}, media="text/html")})},
        "/static/{name}": {"get": _op(
            "page", "A file of the player page (JS, CSS, images).",
            {"200": {"description": "The file, with its type."},
             "404": _error("No such file.")},
            parameters=[_path("name") | {"example": "player.js"}])},
        "/whep": {
            "post": _op("whep", "Join as a WebRTC viewer (WHEP): send an SDP offer.", {
                "201": _reply("The SDP answer; Location names this viewer's resource.",
                              {"type": "string"}, media=SDP, headers=("Location",)),
                "400": _error("Malformed SDP offer, or nothing in it that the channel sends."),
                "413": _error("The offer is larger than 64 KiB."),
                "415": _error(f"Content-Type is not {SDP}."),
                "503": _error("The channel has as many viewers as it takes.",
                              headers=("Retry-After",))},
                body=_text_body(SDP)),
            "options": _whep_options()},
        "/whep/{viewer_id}": {
            "parameters": [_path("viewer_id")],
            "delete": _op("whep", "Leave: end this viewer's session.", {
                "200": _reply("Closed."), "404": _error("No such viewer.")}),
            "patch": _op("whep", "Trickle ICE (RFC 9725): more of the viewer's ICE candidates.", {
                "204": _reply("The candidates were added to the viewer's connection."),
                "400": _error("Malformed SDP fragment."),
                "404": _error("No such viewer."),
                "413": _error("The fragment is larger than 64 KiB."),
                "415": _error(f"Content-Type is not {TRICKLE_TYPE}."),
                "501": _error("ICE restarts (a new ice-ufrag or ice-pwd) are not supported.")},
                body=_text_body(TRICKLE_TYPE),
                description="An SDP fragment (RFC 8840): `a=ice-ufrag`/`a=ice-pwd` of the "
                            "offer, an `m=` line with its `a=mid`, `a=candidate` lines and "
                            "optionally `a=end-of-candidates`."),
            "options": _whep_options()},
        "/ws": {"get": _op("page", "WebSocket of the player page.", {
            "101": _reply("Switching protocols: the WebSocket is open."),
            "400": _error("A WebSocket handshake that cannot be completed."),
            "426": _error("Not a WebSocket upgrade request: connect with a WebSocket client.",
                          headers=("Upgrade",))},
            description="Server to page: JSON events {type: hello|subtitle|viewers|answer|show|"
                        "comment_ack}. Page to server: {\"type\": \"comment\", \"text\": "
                        "\"...\"}, answered by {\"type\": \"comment_ack\", \"ok\", \"reason\", "
                        "\"message\", \"text\", \"rate_limited\"}. Binary messages are refused; "
                        "frames over 16 KiB close the connection (1009).")},
        "/api/comments": {"post": _op("comments", "A viewer's comment or question.", {
            "202": _reply("Accepted; it will be answered.", Verdict),
            "400": NOT_AN_OBJECT,
            "413": TOO_LARGE,
            "422": _error("The body does not match the schema (an Error), or the gate refused "
                          "the comment (a CommentRefused).",
                          {"anyOf": [_schema(CommentRefused), _schema(Error)]}),
            "429": _error("Too many comments from this viewer.", CommentRefused)},
            body=_json_body(Comment),
            description="Passes the text gate (length, rate per viewer, blocklist, "
                        "instructions aimed at the presenter) before it is answered.")},
        "/api/control/say": {"post": _control(
            "Say this text next (interrupts the script).", accepted, body=Say,
            refusals={"422": _error("The body does not match the schema.")})},
        "/api/control/skip": {"post": _control("Abandon the rest of the current segment.",
                                                accepted)},
        "/api/control/pause": {"post": _control("Pause: the presenter idles.", accepted)},
        "/api/control/resume": {"post": _control("Resume after a pause.", accepted)},
        "/api/control/reload": {"post": _control(
            "Re-read the show file; takes effect at the next utterance.",
            {"200": _reply("Reloaded.", Reloaded)},
            refusals={"422": _error("The show file is invalid; the old show keeps running.",
                                    ReloadRefused)})},
        "/api/control/pushes": {
            "get": _control("The push targets (RTMP, WHIP) and their state.",
                            {"200": _reply("The targets.", {"type": "array",
                                                            "items": _schema(Push)})}),
            "post": _control(
                "Start pushing to a URL: rtmp(s):// for RTMP, http(s):// for WHIP.",
                {"201": _reply("Started.", PushStarted, headers=("Location",)) | {"links": {
                    "stop": {"operationId": "stopPush",
                             "parameters": {"id": "$response.body#/id"}}}}},
                body=NewPush,
                refusals={"422": _error("The body does not match the schema, or the channel "
                                        "cannot push to that URL.")})},
        "/api/control/pushes/{id}": {
            "parameters": [_path("id")],
            "delete": _control("Stop pushing to this target.",
                               {"200": _reply("Stopped.", Accepted)},
                               refusals={"404": _error("No such target.")},
                               operationId="stopPush")},
        "/healthz": {"get": _op("observability", "Channel health.", {
            "200": _reply("On air: ok, or degraded.", Health),
            "503": _reply("Down.", Health)})},
        "/metrics": {"get": _op("observability", "Prometheus text exposition (version 0.0.4).", {
            "200": _reply("Metrics.", {"type": "string"}, media="text/plain")})},
        "/openapi.json": {"get": _op("observability", "This document.", {
            "200": _reply("OpenAPI 3.1.", {"type": "object"})})},
    }


def openapi() -> dict:
    """The OpenAPI document, as a plain dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Anchor live channel", "version": _version(),
                 "description": "A live AI presenter channel: the player page, WebRTC playback "
                                "through WHEP, viewer comments, and the operator's control API. "
                                "Everything the presenter says is AI-generated. Every error "
                                "body is an Error: {\"error\": \"...\"}."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "--token or ANCHOR_TOKEN"}},
            "schemas": _schemas(),
        },
        "paths": _paths(),
    }
