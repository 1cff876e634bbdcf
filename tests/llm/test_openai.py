"""The OpenAI-compatible backend on the real SDK against the fake server."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import threading
import time

import pytest

from llmdyn.errors import BackendError, ConfigError
from llmdyn.experiment import get_task
from llmdyn.llm import ChatMessage, ChatRequest, OpenAIBackend, TransientBackendError, \
    parse_retry_after

PROMPT = get_task("zip_import").prompt


def _request() -> ChatRequest:
    return ChatRequest("fake-model", (ChatMessage("user", PROMPT),), temperature=0.5, seed=3)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_answer_and_server_report(fake_openai):
    server = fake_openai()

    async def go():
        backend = OpenAIBackend(server.base_url, "LLMDYN_NO_SUCH_VAR", timeout=5)
        try:
            await backend.check()
            return await backend.complete(_request())
        finally:
            await backend.aclose()

    response = asyncio.run(go())
    assert "```python" in response.text
    assert response.server_model == "fake-model"
    assert response.system_fingerprint == "fp_fake"
    assert response.prompt_tokens > 0 and response.completion_tokens > 0
    assert response.latency_s > 0
    assert server.requests[-1]["temperature"] == 0.5 and server.requests[-1]["seed"] == 3


@pytest.mark.parametrize("kind", ["429", "500", "timeout", "malformed", "empty"])
def test_faults_are_transient(fake_openai, kind):
    server = fake_openai(fault_rate=1.0, faults=[kind], hang_s=0.6, retry_after="2")

    async def go():
        backend = OpenAIBackend(server.base_url, timeout=0.3)
        try:
            await backend.complete(_request())
        finally:
            await backend.aclose()

    with pytest.raises(TransientBackendError) as info:
        asyncio.run(go())
    if kind == "429":
        assert info.value.retry_after == 2.0
    assert server.counts[kind] == 1
    if kind == "timeout":
        assert "timeout after 0.3 s" in str(info.value)


def test_dropped_and_refused_connections_are_named_as_such():
    """Not as timeouts (the aiohttp transport reports both as connect timeouts)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)

        def drop() -> None:
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.close()

        async def go(url):
            backend = OpenAIBackend(url, timeout=5)
            try:
                await backend.complete(_request())
            finally:
                await backend.aclose()

        thread = threading.Thread(target=drop, daemon=True)
        thread.start()
        port = listener.getsockname()[1]
        with pytest.raises(TransientBackendError, match="^connection error: ") as info:
            asyncio.run(go(f"http://127.0.0.1:{port}/v1"))
        thread.join(5)
    assert "timeout" not in str(info.value)
    with pytest.raises(TransientBackendError, match="^connection error: .*(efused|failed)"):
        asyncio.run(go(f"http://127.0.0.1:{_closed_port()}/v1"))


def test_client_errors_are_permanent(fake_openai):
    server = fake_openai()

    async def go():
        backend = OpenAIBackend(server.base_url)
        try:
            await backend.complete(ChatRequest("m", (ChatMessage("user", "not a task"),)))
        finally:
            await backend.aclose()

    with pytest.raises(BackendError) as info:
        asyncio.run(go())
    assert not isinstance(info.value, TransientBackendError)
    assert "400" in str(info.value)


def test_check_names_the_problem(fake_openai, monkeypatch):
    async def check(url, env="LLMDYN_TEST_KEY"):
        backend = OpenAIBackend(url, env, timeout=2)
        try:
            await backend.check()
        finally:
            await backend.aclose()

    with pytest.raises(ConfigError, match="cannot connect"):
        asyncio.run(check(f"http://127.0.0.1:{_closed_port()}/v1"))
    server = fake_openai(api_key="right-key")
    monkeypatch.setenv("LLMDYN_TEST_KEY", "wrong-key")
    with pytest.raises(ConfigError, match="LLMDYN_TEST_KEY"):
        asyncio.run(check(server.base_url))
    monkeypatch.setenv("LLMDYN_TEST_KEY", "right-key")
    asyncio.run(check(server.base_url))


def test_parse_retry_after():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < parse_retry_after({"retry-after": later}) <= 31
