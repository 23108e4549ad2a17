"""The OpenAI-compatible chat client against a local server speaking the protocol. Deadlines
are on an injected clock: a virtual one where the test moves time, the system clock where a
blocked read must end at the deadline; the order of events, never their timing, is checked."""
from __future__ import annotations

import asyncio
import time

import pytest

from anchor.clock import SystemClock, VirtualClock
from anchor.language_model import load_chat_model
from anchor.language_model.chat import ChatConfig, ChatError, ChatMessage, Deadline, sentences
from anchor.language_model.openai_chat import OpenAIChat
from openai_server import Drop, Failure, Hang, OpenAIServer, Raw, Reply, closed_port

QUESTION = [ChatMessage("system", "You are a presenter."), ChatMessage("user", "Any news?")]


def client(server: OpenAIServer, **options) -> OpenAIChat:
    options = {"model": "tiny-chat", "timeout_s": 5.0, "backoff_s": 0.02, **options}
    return OpenAIChat(base_url=server.base_url, **options)


def fails(chat: OpenAIChat, **options) -> str:
    with pytest.raises(ChatError) as caught:
        list(chat.stream(QUESTION, **options))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_streams_deltas_and_sends_the_request_with_the_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANCHOR_TEST_LLM_KEY", "sk-test-123")
    with OpenAIServer(Reply("Markets rose today. Oil fell.")) as server:
        chat = load_chat_model(ChatConfig(backend="openai", base_url=server.base_url,
                                          model="tiny-chat", api_key_env="ANCHOR_TEST_LLM_KEY"))
        deltas = list(chat.stream(QUESTION, max_tokens=40, temperature=0.2))
    assert deltas == ["Markets", " rose", " today.", " Oil", " fell."]
    request = server.received[0]
    assert request.headers["Authorization"] == "Bearer sk-test-123"
    assert request.body["stream"] is True and request.body["model"] == "tiny-chat"
    assert request.body["max_tokens"] == 40 and request.body["temperature"] == 0.2
    assert request.body["messages"] == [{"role": "system", "content": "You are a presenter."},
                                        {"role": "user", "content": "Any news?"}]
    assert chat.name == "openai:tiny-chat"


def advance(clock: VirtualClock, seconds: float) -> None:
    asyncio.run(clock.sleep_until(clock.now() + seconds))


def test_the_first_sentence_is_ready_before_the_server_finishes():
    text = "Good evening. Tonight the city opens its new bridge. Traffic should ease by May."
    # "Good evening." is complete once " Tonight" arrives, the third of 14 deltas; the server
    # holds the rest back until the test has the first sentence
    with OpenAIServer(Reply(text, hold_after=3)) as server:
        said = sentences(client(server).stream(QUESTION), language="en")
        first = next(said)
        request = server.received[0]
        assert first == "Good evening." and request.finished_at is None
        server.release()
        rest = list(said)
    assert rest == ["Tonight the city opens its new bridge.", "Traffic should ease by May."]
    assert request.finished_at is not None


def test_a_plain_json_reply_when_streaming_is_off_or_the_server_ignores_it():
    with OpenAIServer(Reply("One whole answer.")) as server:
        assert list(client(server, stream=False).stream(QUESTION)) == ["One whole answer."]
        assert server.received[0].body["stream"] is False
        server.script(Raw(b'{"choices": [{"message": {"role": "assistant", "content": "Hi."}}]}',
                          content_type="application/json"))
        assert list(client(server).stream(QUESTION)) == ["Hi."]
        # a server that closes the connection after its reply (http.client drops the socket)
        server.script(Raw(b'data: {"choices": [{"delta": {"content": "Bye."}}]}\n\n',
                          headers=(("Connection", "close"),)))
        assert list(client(server).stream(QUESTION)) == ["Bye."]


def test_server_errors_and_rate_limits_are_retried_with_backoff():
    with OpenAIServer(Failure(500), Failure(429, retry_after="0.1"), Reply("Back again.")) as server:
        started = time.monotonic()
        assert "".join(client(server, retries=2).stream(QUESTION)) == "Back again."
        assert len(server.received) == 3
        assert time.monotonic() - started >= 0.1      # the Retry-After was honoured
        server.script(Failure(503, message="overloaded"))
        message = fails(client(server, retries=1))
    assert "HTTP 503" in message and "overloaded" in message and "after 2 attempts" in message
    assert len(server.received) == 5


def test_client_errors_fail_at_once_and_never_show_the_key(monkeypatch):
    monkeypatch.setenv("ANCHOR_TEST_LLM_KEY", "sk-secret-999")
    with OpenAIServer(Failure(401, message="Incorrect API key provided: sk-secret-999")) as server:
        message = fails(client(server, retries=3, api_key_env="ANCHOR_TEST_LLM_KEY"))
    assert len(server.received) == 1
    assert "HTTP 401" in message and "Incorrect API key" in message
    assert "sk-secret-999" not in message and "***" in message


def test_a_missing_key_variable_is_named():
    with pytest.raises(ChatError, match="ANCHOR_NO_SUCH_KEY is not set"):
        OpenAIChat(base_url="http://127.0.0.1:9/v1", api_key_env="ANCHOR_NO_SUCH_KEY",
                   environ={})
    with pytest.raises(ChatError, match="base_url"):
        OpenAIChat(base_url="127.0.0.1:8000/v1")


def test_a_server_that_is_down():
    chat = OpenAIChat(base_url=f"http://127.0.0.1:{closed_port()}/v1", retries=2, backoff_s=0.02)
    message = fails(chat)
    assert "cannot connect" in message and "after 3 attempts" in message


def test_a_server_that_hangs_times_out():
    with OpenAIServer(Hang()) as server:
        message = fails(client(server, timeout_s=0.3, retries=2))
    assert "sent nothing for 0.3 s" in message
    assert len(server.received) == 1   # a timeout is not retried


def test_no_text_comes_after_the_deadline_on_the_callers_clock():
    clock = VirtualClock()
    with OpenAIServer(Reply("word " * 40)) as server:
        got = []
        with pytest.raises(ChatError, match="the deadline passed"):
            for delta in client(server).stream(QUESTION, deadline=Deadline.after(5, clock=clock)):
                got.append(delta)
                if len(got) == 3:
                    advance(clock, 5)         # the reply is now late, on the caller's clock
    assert got == ["word", " word", " word"]


def test_a_read_that_waits_past_the_deadline_ends_there():
    with OpenAIServer(Reply("word " * 40, hold_after=3)) as server:
        got = []
        deadline = Deadline.after(0.3, clock=SystemClock())
        with pytest.raises(ChatError, match="the deadline passed"):
            for delta in client(server).stream(QUESTION, deadline=deadline):
                got.append(delta)
        assert server.holding.is_set() and server.received[0].finished_at is None
    assert got == ["word", " word", " word"]


@pytest.mark.parametrize("garbage, reason", [
    (Raw(b"data: {this is not json\n\n"), "not JSON"),
    (Raw(b"<html>Bad gateway</html>", content_type="application/json"), "not JSON"),
    (Raw(b'data: {"object": "chat.completion.chunk"}\n\n'), "no \"choices\" list"),
    (Raw(b'data: {"error": {"message": "model not loaded"}}\n\n'), "model not loaded"),
])
def test_garbage_from_the_server(garbage, reason):
    with OpenAIServer(garbage) as server:
        assert reason in fails(client(server))


@pytest.mark.parametrize("empty", [Reply("", pieces=()), Reply(pieces=(" ", "\n\n", " ")),
                                   Raw(b"data: [DONE]\n\n")])
def test_an_empty_answer_is_an_error(empty):
    with OpenAIServer(empty) as server:
        assert "empty answer" in fails(client(server))
        assert "empty answer" in fails(client(server, stream=False))


def test_a_connection_cut_mid_answer_is_an_error_after_the_text_so_far():
    with OpenAIServer(Drop(after=2)) as server:
        got = []
        with pytest.raises(ChatError, match="connection lost"):
            for delta in client(server).stream(QUESTION):
                got.append(delta)
    assert got == ["One.", " Two."]
    assert len(server.received) == 1     # never retried once text was given out


def test_no_retry_when_the_deadline_leaves_no_time_for_the_backoff():
    with OpenAIServer(Failure(503)) as server:
        deadline = Deadline.after(0.3, clock=VirtualClock())
        message = fails(client(server, retries=3, backoff_s=1.0), deadline=deadline)
    assert "HTTP 503" in message and "the deadline of 0.3 s leaves no time to retry" in message
    assert len(server.received) == 1
