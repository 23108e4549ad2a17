"""The OpenAPI 3.1 description of the channel's HTTP API (served at /openapi.json).

Written by hand: tests check that every route of `anchor.live.server.make_app` appears here.
"""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("anchor-presenter")
    except PackageNotFoundError:
        return "0.0.0"


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _reply(description: str, schema: dict | None = None, **extra) -> dict:
    out = {"description": description, **extra}
    if schema is not None:
        out["content"] = _json(schema)
    return out


ERROR = {"$ref": "#/components/schemas/Error"}
OK = {"$ref": "#/components/schemas/Ok"}
VERDICT = {"$ref": "#/components/schemas/Verdict"}
UNAUTHORIZED = _reply("Missing or wrong bearer token (WWW-Authenticate: Bearer).", ERROR)
FORBIDDEN = _reply("The control API is disabled: the channel was started without a token.", ERROR)
CONTROL_ERRORS = {"401": UNAUTHORIZED, "403": FORBIDDEN}
SECURED = [{"bearer": []}]


def _control(summary: str, *, body: dict | None = None, ok: dict | None = None,
             extra: dict | None = None, method_ok: str = "202") -> dict:
    op = {"tags": ["control"], "summary": summary, "security": SECURED,
          "responses": {method_ok: ok or _reply("Accepted.", OK), **CONTROL_ERRORS, **(extra or {})}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(body)}
    return op


def _whep_options() -> dict:
    return {"tags": ["whep"], "summary": "CORS preflight for WHEP players on other origins.",
            "responses": {"204": _reply("Allowed methods and headers.")}}


def openapi() -> dict:
    """The OpenAPI document, as a plain dict."""
    text_body = {"type": "object", "required": ["text"],
                 "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Anchor live channel", "version": _version(),
                 "description": "A live AI presenter channel: the player page, WebRTC playback "
                                "through WHEP, viewer comments, and the operator's control API. "
                                "Everything the presenter says is AI-generated."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "--token or ANCHOR_TOKEN"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"],
                          "properties": {"error": {"type": "string"}}},
                "Ok": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
                "Verdict": {"type": "object", "required": ["ok", "reason", "message", "text"],
                            "properties": {"ok": {"type": "boolean"},
                                           "reason": {"enum": ["", "not_text", "binary", "empty",
                                                               "too_long", "rate", "instruction",
                                                               "blocked"]},
                                           "message": {"type": "string",
                                                       "description": "what to tell the viewer"},
                                           "text": {"type": "string",
                                                    "description": "the comment as cleaned"}}},
                "Push": {"type": "object", "required": ["id", "url", "kind", "state"],
                         "properties": {"id": {"type": "string"},
                                        "url": {"type": "string",
                                                "description": "stream key redacted"},
                                        "kind": {"enum": ["rtmp", "whip"]},
                                        "state": {"type": "string"}},
                         "additionalProperties": True},
            },
        },
        "paths": {
            "/": {"get": {"tags": ["page"], "summary": "The player page.",
                          "responses": {"200": {"description": "HTML",
                                                "content": {"text/html": {}}}}}},
            "/static/{name}": {"get": {
                "tags": ["page"], "summary": "A file of the player page (JS, CSS, images).",
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_-]*\.[a-z]+$"}}],
                "responses": {"200": {"description": "The file."},
                              "404": {"description": "No such file."}}}},
            "/whep": {
                "post": {"tags": ["whep"], "summary": "Join as a WebRTC viewer (WHEP).",
                         "requestBody": {"required": True,
                                         "content": {"application/sdp": {"schema": {"type": "string"}}}},
                         "responses": {
                             "201": {"description": "The SDP answer; Location names the viewer.",
                                     "headers": {"Location": {"schema": {"type": "string"}}},
                                     "content": {"application/sdp": {"schema": {"type": "string"}}}},
                             "400": _reply("Malformed SDP offer (text/plain reason)."),
                             "413": _reply("The offer is too large."),
                             "415": _reply("Content-Type is not application/sdp."),
                             "503": _reply("The channel has as many viewers as it takes.")}},
                "options": _whep_options()},
            "/whep/{viewer_id}": {
                "parameters": [{"name": "viewer_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "delete": {"tags": ["whep"], "summary": "Leave: end this viewer's session.",
                           "responses": {"200": _reply("Closed."),
                                         "404": _reply("No such viewer.")}},
                "patch": {"tags": ["whep"], "summary": "Trickle ICE: not supported.",
                          "responses": {"405": _reply("Not supported; send a complete offer.")}},
                "options": _whep_options()},
            "/ws": {"get": {
                "tags": ["page"], "summary": "WebSocket of the player page.",
                "description": "Server to page: JSON events {type: hello|subtitle|viewers|answer|"
                               "comment_ack}. Page to server: {\"type\": \"comment\", \"text\": "
                               "\"...\"}, answered by {\"type\": \"comment_ack\", \"ok\", "
                               "\"reason\"}. Binary messages are refused; frames over 16 KiB "
                               "close the connection (1009).",
                "responses": {"101": {"description": "Switching protocols."}}}},
            "/api/comments": {"post": {
                "tags": ["comments"], "summary": "A viewer's comment or question.",
                "description": "Passes the text gate (length, rate per viewer, blocklist, "
                               "instructions aimed at the presenter) before it is answered.",
                "requestBody": {"required": True, "content": _json({
                    "type": "object", "required": ["text"],
                    "properties": {"viewer": {"type": "string",
                                              "description": "default: the client address"},
                                   "text": {"type": "string"}}})},
                "responses": {"202": _reply("Accepted; it will be answered.", VERDICT),
                              "400": _reply("The body is not a JSON object.", ERROR),
                              "413": _reply("The body is too large."),
                              "422": _reply("Refused by the gate.", VERDICT),
                              "429": _reply("Too many comments from this viewer.", VERDICT)}}},
            "/api/control/say": {"post": _control("Say this text next (interrupts the script).",
                                                  body=text_body,
                                                  extra={"422": _reply("Empty or too long.", ERROR)})},
            "/api/control/skip": {"post": _control("Abandon the rest of the current segment.")},
            "/api/control/pause": {"post": _control("Pause: the presenter idles.")},
            "/api/control/resume": {"post": _control("Resume after a pause.")},
            "/api/control/reload": {"post": _control(
                "Re-read the show file; takes effect at the next utterance.", method_ok="200",
                ok=_reply("Reloaded.", {"type": "object", "properties": {
                    "ok": {"type": "boolean"}, "title": {"type": "string"}}}),
                extra={"422": _reply("The show file is invalid; the old show keeps running.",
                                     ERROR)})},
            "/api/control/pushes": {
                "get": _control("The push targets (RTMP, WHIP) and their state.", method_ok="200",
                                ok=_reply("The targets.", {"type": "array", "items": {
                                    "$ref": "#/components/schemas/Push"}})),
                "post": _control("Start pushing to a URL: rtmp(s):// for RTMP, http(s):// for WHIP.",
                                 method_ok="201",
                                 body={"type": "object", "required": ["url"],
                                       "properties": {"url": {"type": "string"}}},
                                 ok=_reply("Started.", {"type": "object",
                                                        "properties": {"id": {"type": "string"}}}),
                                 extra={"422": _reply("Not a usable URL.", ERROR)})},
            "/api/control/pushes/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
                "delete": _control("Stop pushing to this target.", method_ok="200",
                                   extra={"404": _reply("No such target.", ERROR)})},
            "/healthz": {"get": {"tags": ["observability"], "summary": "Channel health.",
                                 "responses": {"200": _reply("ok or degraded", {
                                     "type": "object", "properties": {
                                         "status": {"enum": ["ok", "degraded"]}}}),
                                     "503": _reply("Down.")}}},
            "/metrics": {"get": {"tags": ["observability"],
                                 "summary": "Prometheus text exposition (version 0.0.4).",
                                 "responses": {"200": {"description": "Metrics.",
                                                       "content": {"text/plain": {}}}}}},
            "/openapi.json": {"get": {"tags": ["observability"], "summary": "This document.",
                                      "responses": {"200": _reply("OpenAPI 3.1.", {"type": "object"})}}},
        },
    }
