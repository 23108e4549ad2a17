"""A client for any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp server,
hosted APIs), on the standard library alone.

POST {base_url}/chat/completions with `stream: true` reads server-sent events ("data: {...}"
lines, "data: [DONE]" at the end); with `stream: false`, or when a server answers a streaming
request with plain JSON, one JSON reply. The API key is read from the environment variable the
configuration names and sent as "Authorization: Bearer ..."; it never appears in an error.

Connection errors, 5xx and 429 are retried with exponential backoff (429 and 503 honour a short
Retry-After), but only before the reply starts: text already yielded is never repeated. 4xx
other than 429 fail at once. A read timeout (the server sends nothing for `timeout_s`) is not
retried. The `Deadline` bounds the whole call, retries and backoff included: each wait on the
network is cut to the time it leaves, and no delta is given once it has passed.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import time
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import urlsplit

from anchor.language_model.chat import ChatError, ChatMessage, Deadline

_MAX_LINE = 1 << 20          # one SSE line or error body, in bytes
_MAX_BODY = 16 << 20         # one non-streaming JSON reply
_MAX_BACKOFF_S = 8.0
_MAX_RETRY_AFTER_S = 30.0


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after_s: float | None = None):
        super().__init__(reason)
        self.reason, self.retry_after_s = reason, retry_after_s


class OpenAIChat:
    """One OpenAI-compatible server and model; `stream` is safe to call from several threads
    (each call opens its own connection)."""

    def __init__(self, *, base_url: str, model: str | None = None, api_key_env: str | None = None,
                 timeout_s: float = 20.0, connect_timeout_s: float = 5.0, retries: int = 1,
                 stream: bool = True, backoff_s: float = 0.5,
                 environ: Mapping[str, str] | None = None):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChatError(f"llm base_url {base_url!r} must be an http:// or https:// URL "
                            "(e.g. http://127.0.0.1:8000/v1)")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        try:
            self._port = parts.port or (443 if self._https else 80)
        except ValueError:
            raise ChatError(f"llm base_url {base_url!r} has a bad port") from None
        self._path = parts.path.rstrip("/") + "/chat/completions"
        self.where = f"LLM server {parts.scheme}://{parts.hostname}:{self._port}{parts.path}"
        self.name = f"openai:{model or parts.hostname}"
        self.model = model
        self._key = None
        if api_key_env:
            self._key = (os.environ if environ is None else environ).get(api_key_env)
            if not self._key:
                raise ChatError(f"llm api_key_env: the environment variable {api_key_env} "
                                "is not set")
        self.timeout_s, self.connect_timeout_s = timeout_s, connect_timeout_s
        self.retries, self.streaming, self.backoff_s = retries, stream, backoff_s

    # ---- the ChatModel interface ---------------------------------------------------------------

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
               temperature: float = 0.7, deadline: Deadline | None = None) -> Iterator[str]:
        request = {"messages": [{"role": m.role, "content": m.content} for m in messages],
                   "max_tokens": max_tokens, "temperature": temperature,
                   "stream": self.streaming}
        if self.model:
            request["model"] = self.model
        body = json.dumps(request).encode()
        attempt = 0
        while True:
            try:
                connection, sock, response = self._post(body, deadline)
                break
            except _Retryable as failure:
                if attempt >= self.retries:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise self._error(failure.reason + tries) from None
                delay = min(self.backoff_s * 2 ** attempt, _MAX_BACKOFF_S)
                if failure.retry_after_s is not None:
                    delay = max(delay, min(failure.retry_after_s, _MAX_RETRY_AFTER_S))
                if deadline is not None and deadline.left() <= delay:
                    raise self._error(f"{failure.reason}; the deadline of {deadline.seconds:g} s "
                                      "leaves no time to retry") from None
                time.sleep(delay)            # a pause before asking the server again
                attempt += 1
        try:
            kind = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
            if kind == "application/json":
                deltas = self._json_reply(sock, response, deadline)
            else:
                deltas = self._event_stream(sock, response, deadline)
            yield from _non_empty(deltas, self._error)
        finally:
            response.close()
            connection.close()

    # ---- one request ---------------------------------------------------------------------------

    def _post(self, body: bytes, deadline: Deadline | None
              ) -> tuple[http.client.HTTPConnection, socket.socket, http.client.HTTPResponse]:
        """Send the request; the connection, its socket (kept: http.client drops it from the
        connection when the server will close it) and a 200 response."""
        timeout = _within(self.connect_timeout_s, deadline)
        if self._https:
            connection = http.client.HTTPSConnection(self._host, self._port, timeout=timeout,
                                                     context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream, "
                   "application/json", "User-Agent": "anchor"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        try:
            connection.connect()
        except (socket.timeout, TimeoutError):
            connection.close()
            raise _Retryable(f"no connection within {timeout:g} s") from None
        except OSError as e:
            connection.close()
            raise _Retryable(f"cannot connect ({_os_reason(e)})") from None
        sock = connection.sock
        try:
            sock.settimeout(_within(self.timeout_s, deadline))
            connection.request("POST", self._path, body=body, headers=headers)
            response = connection.getresponse()
        except (socket.timeout, TimeoutError):
            connection.close()
            raise self._timeout(deadline) from None
        except (http.client.RemoteDisconnected, ConnectionError) as e:
            connection.close()
            raise _Retryable(f"connection lost before the reply ({_os_reason(e)})") from None
        except (OSError, http.client.HTTPException) as e:
            connection.close()
            raise self._error(f"bad reply ({_os_reason(e)})") from None
        if response.status == 200:
            return connection, sock, response
        try:
            detail = _error_detail(response.read(_MAX_LINE))
        except (OSError, http.client.HTTPException):
            detail = ""
        finally:
            connection.close()
        reason = f"HTTP {response.status} {response.reason}".rstrip() + (f": {detail}" if detail
                                                                         else "")
        if response.status == 429 or response.status >= 500:
            raise _Retryable(reason, _retry_after(response.getheader("Retry-After")))
        raise self._error(reason)

    def _event_stream(self, sock: socket.socket, response: http.client.HTTPResponse,
                      deadline: Deadline | None) -> Iterator[str]:
        data: list[str] = []
        for line_number, line in enumerate(self._lines(sock, response, deadline), 1):
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if text.startswith("data:"):
                data.append(text[5:].removeprefix(" "))
                continue
            if text or not data:
                continue     # a comment, another field, or an empty event
            event, data = "\n".join(data), []
            if event.strip() == "[DONE]":
                return
            delta = self._delta(_parse(event, f"line {line_number}", self._error))
            if delta:
                if deadline is not None and deadline.passed():
                    raise self._timeout(deadline)
                yield delta
        # the server closed the stream without "[DONE]": what came is the answer

    def _lines(self, sock: socket.socket, response: http.client.HTTPResponse,
               deadline: Deadline | None) -> Iterator[bytes]:
        """The lines of the body as they arrive. `read1` (unlike `readline`) reports a chunked
        body broken off mid-way, which is an error; a clean end just ends the lines."""
        pending = b""
        while True:
            if deadline is not None and deadline.passed():
                raise self._timeout(deadline)
            try:
                sock.settimeout(_within(self.timeout_s, deadline))
                block = response.read1(65536)
            except (socket.timeout, TimeoutError):
                raise self._timeout(deadline) from None
            except (OSError, http.client.HTTPException) as e:
                raise self._error(f"connection lost during the reply ({_os_reason(e)})") from None
            if not block:
                if pending:
                    yield pending
                return
            *lines, pending = (pending + block).split(b"\n")
            yield from lines
            if len(pending) > _MAX_LINE:
                raise self._error(f"garbage in the event stream: a line longer than "
                                  f"{_MAX_LINE} bytes")

    def _json_reply(self, sock: socket.socket, response: http.client.HTTPResponse,
                    deadline: Deadline | None) -> Iterator[str]:
        try:
            sock.settimeout(_within(self.timeout_s, deadline))
            body = response.read(_MAX_BODY + 1)
        except (socket.timeout, TimeoutError):
            raise self._timeout(deadline) from None
        except (OSError, http.client.HTTPException) as e:
            raise self._error(f"connection lost during the reply ({_os_reason(e)})") from None
        if len(body) > _MAX_BODY:
            raise self._error(f"the reply is larger than {_MAX_BODY >> 20} MB")
        reply = _parse(body.decode("utf-8", errors="replace"), "the reply", self._error)
        choice = self._choice(reply)
        message = choice.get("message") if choice is not None else None
        content = message.get("content") if isinstance(message, dict) else None
        if content is not None and not isinstance(content, str):
            raise self._error("garbage reply: choices[0].message.content is not text")
        if content:
            yield content

    # ---- reading the protocol's objects --------------------------------------------------------

    def _choice(self, reply: object) -> dict | None:
        if not isinstance(reply, dict):
            raise self._error("garbage reply: not a JSON object")
        if "error" in reply:
            raise self._error(f"the server reports an error: {_error_detail(reply)}")
        choices = reply.get("choices")
        if not isinstance(choices, list):
            raise self._error("garbage reply: no \"choices\" list")
        if not choices:
            return None      # e.g. the usage-only chunk at the end of a stream
        if not isinstance(choices[0], dict):
            raise self._error("garbage reply: choices[0] is not an object")
        return choices[0]

    def _delta(self, chunk: object) -> str:
        choice = self._choice(chunk)
        delta = choice.get("delta") if choice is not None else None
        if delta is None:
            return ""
        content = delta.get("content") if isinstance(delta, dict) else delta
        if content is not None and not isinstance(content, str):
            raise self._error("garbage in the event stream: choices[0].delta.content is not "
                              "text")
        return content or ""

    # ---- errors --------------------------------------------------------------------------------

    def _error(self, reason: str) -> ChatError:
        reason = " ".join(reason.split())
        if self._key:
            reason = reason.replace(self._key, "***")
        return ChatError(f"{self.where}: {reason}")

    def _timeout(self, deadline: Deadline | None) -> ChatError:
        if deadline is not None and deadline.left() <= 0.01:
            return self._error("the deadline passed before the reply was complete")
        return self._error(f"the server sent nothing for {self.timeout_s:g} s")


def _non_empty(deltas: Iterator[str], error) -> Iterator[str]:
    """The deltas, with leading white space held back; ChatError when no text comes at all."""
    held = ""
    for delta in deltas:
        if held is None:
            yield delta
        elif (held := held + delta).strip():
            yield held.lstrip()
            held = None
    if held is not None:
        raise error("empty answer")


def _within(timeout_s: float, deadline: Deadline | None) -> float:
    """A socket timeout: `timeout_s`, cut to what the deadline leaves."""
    if deadline is None:
        return timeout_s
    return max(0.001, min(timeout_s, deadline.left()))


def _parse(text: str, where: str, error) -> object:
    try:
        return json.loads(text)
    except ValueError:
        raise error(f"garbage from the server: {where} is not JSON: {text[:60]!r}") from None


def _error_detail(body: bytes | dict) -> str:
    """The server's own words about an error, short and on one line."""
    if isinstance(body, bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return " ".join(body.decode("utf-8", errors="replace").split())[:200]
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        return " ".join(str(message).split())[:200]
    return " ".join(str(body).split())[:200]


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None    # an HTTP date: not worth parsing for a short wait


def _os_reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or type(error).__name__
