"""The JSON bodies of the channel's HTTP API, as pydantic models.

The server validates every JSON request with these models and builds every JSON reply from them;
`anchor.live.openapi` generates the document's schemas from the same models, so what the
document says a body is and what the server accepts or answers cannot drift apart. Every error,
whatever the status, is an `Error` (`{"error": "..."}`, sometimes with more fields).

Patterns are Python regular expressions (`regex_engine="python-re"`): `\\S` means what
`str.strip()` keeps, so "not only spaces" in the schema and in the server is the same test.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from anchor.moderation import REASONS

MAX_SAY_CHARS = 2000
MAX_URL_CHARS = 2048

# A push URL the channel can start: rtmp(s)://host[:port]/app/key (RTMP, at least an application
# and a stream key) or http(s)://host[:port]/path (WHIP), with an optional query. Host names and
# IPv4 addresses only; ports 1 to 65535. Everything it matches passes streaming.rtmp's checks.
_HOST = r"[A-Za-z0-9.-]+"
_PORT = (r"(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]"
         r"|6553[0-5]))?")
_SEGMENT = r"[A-Za-z0-9._~!$&'()*+,;=:@%-]+"
_QUERY = r"(?:\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?"
PUSH_URL = (rf"^(?:rtmps?://{_HOST}{_PORT}(?:/{_SEGMENT})+/{_SEGMENT}"
            rf"|https?://{_HOST}{_PORT}(?:/{_SEGMENT})*/?){_QUERY}$(?!\n)")

Reason = Literal[tuple(REASONS)]          # the comment gate's refusal codes ("" when accepted)


class Body(BaseModel):
    """A JSON body: strict types (a number is not a string), unknown fields ignored."""
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore", regex_engine="python-re",
                              json_schema_serialization_defaults_required=True)


# --- requests -----------------------------------------------------------------------------------

class Say(Body):
    text: Annotated[str, Field(max_length=MAX_SAY_CHARS, pattern=r"\S",
                               description=f"what to say next: at most {MAX_SAY_CHARS} "
                                           "characters, not only spaces")]


class Comment(Body):
    text: Annotated[str, Field(min_length=1, pattern=r"\S",
                               description="the comment: not only spaces; the gate then "
                                           "refuses it (422) if it is over 200 characters once "
                                           "cleaned, not text, or not allowed")]
    viewer: Annotated[str | None, Field(description="who says it (default: the client address); "
                                                    "the first 64 characters count")] = None


class NewPush(Body):
    url: Annotated[str, Field(max_length=MAX_URL_CHARS, pattern=PUSH_URL,
                              description="rtmp://host[:port]/app/key or rtmps://… for RTMP, "
                                          "http(s)://host[:port]/path for WHIP")]


# --- replies ------------------------------------------------------------------------------------

class Error(Body):
    """Every error the server answers, whatever its status."""
    error: Annotated[str, Field(description="what went wrong, in one line")]


class Accepted(Body):
    ok: Literal[True] = True


class Verdict(Body):
    """The comment gate's verdict."""
    ok: bool
    reason: Annotated[Reason, Field(description="the gate's code; empty when accepted")]
    message: Annotated[str, Field(description="what to tell the viewer")]
    text: Annotated[str, Field(description="the comment as cleaned (empty when refused)")]


class CommentRefused(Error, Verdict):
    """A comment the gate refused: an `Error` that also carries the verdict."""
    ok: Literal[False] = False


class Reloaded(Body):
    ok: Literal[True] = True
    title: Annotated[str, Field(description="the title of the show now on air")]


class ReloadRefused(Error):
    title: Annotated[str, Field(description="the title of the show that stays on air")]


class Push(Body):
    id: str
    url: Annotated[str, Field(description="the target, its stream key masked")]
    kind: Literal["rtmp", "whip"]
    state: str


class PushStarted(Body):
    id: Annotated[str, Field(description="the target's id: DELETE /api/control/pushes/{id}")]


class Health(Body):
    model_config = ConfigDict(extra="allow")
    status: Annotated[Literal["ok", "degraded", "down"],
                      Field(description="degraded: the render thread has stopped")]
    viewers: int
    render_thread: bool | None = None
    show: Annotated[str | None, Field(description="the title on air")] = None
    pushes: Annotated[dict[str, str] | None, Field(description="push target id -> state")] = None


REQUESTS: tuple[type[Body], ...] = (Say, Comment, NewPush)
REPLIES: tuple[type[Body], ...] = (Error, Accepted, Verdict, CommentRefused, Reloaded,
                                   ReloadRefused, Push, PushStarted, Health)


def refusal(error: ValidationError, model: type[Body]) -> str:
    """One line saying what is wrong with a request body, in the words of the document."""
    first = error.errors()[0]
    name = str(first["loc"][0]) if first["loc"] else ""
    if first["type"] == "missing":
        return f"field {name!r} is missing"
    if first["type"] == "string_type":
        return f"field {name!r} must be a string"
    field = model.model_fields.get(name)
    return f"field {name!r}: {field.description if field and field.description else first['msg']}"
