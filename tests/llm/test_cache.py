"""The on-disk response cache and its key."""

from __future__ import annotations

import asyncio

from llmdyn.llm import CachedBackend, ChatMessage, ChatRequest, ChatResponse, ResponseCache

MSGS = (ChatMessage("user", "Write a function."),)


class Counting:
    """A backend that answers with a counter, so every real call is visible."""

    name = "counting"
    base_url = "http://example.invalid/v1"

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        return ChatResponse(text=f"answer {self.calls}", server_model="m", prompt_tokens=3)

    async def aclose(self) -> None:
        pass


def test_key_covers_model_url_messages_params_replicate_and_arm():
    base = ChatRequest("m", MSGS, temperature=0.7, seed=1, max_tokens=100, replicate=0, arm="EF")
    key = base.key("u")
    assert key == ChatRequest("m", MSGS, 0.7, None, 1, 100, 0, "EF").key("u")
    variants = [
        ChatRequest("m2", MSGS, 0.7, None, 1, 100, 0, "EF").key("u"),
        base.key("u2"),
        ChatRequest("m", (ChatMessage("user", "Other."),), 0.7, None, 1, 100, 0, "EF").key("u"),
        ChatRequest("m", MSGS, 0.2, None, 1, 100, 0, "EF").key("u"),
        ChatRequest("m", MSGS, 0.7, 0.9, 1, 100, 0, "EF").key("u"),
        ChatRequest("m", MSGS, 0.7, None, 2, 100, 0, "EF").key("u"),
        ChatRequest("m", MSGS, 0.7, None, 1, 50, 0, "EF").key("u"),
        ChatRequest("m", MSGS, 0.7, None, 1, 100, 1, "EF").key("u"),
        ChatRequest("m", MSGS, 0.7, None, 1, 100, 0, "SF").key("u"),
    ]
    assert key not in variants and len(set(variants)) == len(variants)


def test_rerun_is_free_but_replicates_stay_independent(tmp_path):
    inner = Counting()
    backend = CachedBackend(inner, ResponseCache(tmp_path / "cache"))

    async def go():
        out = []
        for replicate in (0, 1, 0, 1):
            out.append(await backend.complete(ChatRequest("m", MSGS, replicate=replicate)))
        return out

    r = asyncio.run(go())
    assert inner.calls == 2
    assert [x.text for x in r] == ["answer 1", "answer 2", "answer 1", "answer 2"]
    assert [x.cached for x in r] == [False, False, True, True]
    # a fresh process (new objects) reads the same entries; no temp files are left
    again = CachedBackend(Counting(), ResponseCache(tmp_path / "cache"))
    hit = asyncio.run(again.complete(ChatRequest("m", MSGS, replicate=1)))
    assert hit.text == "answer 2" and hit.cached and again.backend.calls == 0
    assert len(ResponseCache(tmp_path / "cache")) == 2
    assert not list((tmp_path / "cache").rglob(".tmp-*"))


def test_corrupt_entry_is_a_miss(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("ab" * 32, ChatResponse(text="x"))
    path = next(tmp_path.rglob("*.json"))
    path.write_text("{not json")
    assert cache.get("ab" * 32) is None
