"""The chat-backend protocol: one request in, one answer out.

Backends are asynchronous so the runner can keep many sessions in flight. A
backend raises :class:`TransientBackendError` for failures worth retrying (rate
limits, server errors, timeouts, dropped connections, unusable answers) and
:class:`~llmdyn.errors.BackendError` for the rest; retrying is the runner's job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import BackendError


@dataclass(frozen=True)
class ChatMessage:
    """One chat message (``role`` is ``"system"``, ``"user"`` or ``"assistant"``)."""

    role: str
    content: str

    def to_dict(self) -> dict[str, str]:
        """The OpenAI wire form."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ChatRequest:
    """Everything that determines a response, so it can be cached and reproduced.

    ``replicate`` is part of the request on purpose: replicate sessions are
    independent samples, so their requests must never share a cache entry.
    ``arm`` (the session's strategy or policy label) is in the key for the same
    reason: the first turn is the same prompt under every strategy, and a shared
    cache entry would make the strategies' baselines depend on timing.
    """

    model: str
    messages: tuple[ChatMessage, ...]
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    replicate: int = 0
    arm: str = ""

    def params(self) -> dict[str, Any]:
        """Sampling parameters that are set (None means the server's default)."""
        out = {"temperature": self.temperature, "top_p": self.top_p,
               "seed": self.seed, "max_tokens": self.max_tokens}
        return {k: v for k, v in out.items() if v is not None}

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)

    def key(self, base_url: str) -> str:
        """A stable hash of the request at ``base_url`` (the cache key)."""
        payload = {"model": self.model, "base_url": base_url,
                   "messages": [m.to_dict() for m in self.messages],
                   "params": self.params(), "replicate": self.replicate, "arm": self.arm}
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class ChatResponse:
    """A backend's answer and what the server reported about it."""

    text: str
    server_model: str | None = None
    system_fingerprint: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float = 0.0
    cached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)


class TransientBackendError(BackendError):
    """A failure worth retrying; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@runtime_checkable
class ChatBackend(Protocol):
    """An asynchronous chat-completions backend."""

    name: str
    base_url: str

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer one request (raises TransientBackendError or BackendError)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
