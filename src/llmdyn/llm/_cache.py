"""An on-disk response cache, so rerunning an experiment costs nothing.

The key hashes the model, the base URL, the messages, the sampling parameters
and the replicate index (:meth:`ChatRequest.key`). Without the replicate index a
cache would answer every replicate with the first one's response and silently
turn 100 sessions into one. Entries are JSON files written atomically (temp
file + rename), so a killed process never leaves a half-written entry.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from ._protocol import ChatBackend, ChatRequest, ChatResponse


class ResponseCache:
    """A folder of cached responses, one JSON file per request key."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> ChatResponse | None:
        """The cached response for ``key``, or None (a corrupt entry counts as none)."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return ChatResponse(**data)
        except (OSError, ValueError, TypeError):
            return None

    def put(self, key: str, response: ChatResponse) -> None:
        """Store ``response`` under ``key`` atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(replace(response, cached=False).to_dict(), ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("*/*.json")) if self.folder.exists() else 0


class CachedBackend:
    """Wrap a backend with a :class:`ResponseCache` (a hit is marked ``cached``)."""

    def __init__(self, backend: ChatBackend, cache: ResponseCache) -> None:
        self.backend = backend
        self.cache = cache
        self.name = f"cached-{backend.name}"
        self.base_url = backend.base_url

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """A cached answer when there is one, else ask the backend and store it."""
        key = request.key(self.base_url)
        hit = self.cache.get(key)
        if hit is not None:
            return replace(hit, cached=True)
        response = await self.backend.complete(request)
        self.cache.put(key, response)
        return response

    async def aclose(self) -> None:
        """Close the wrapped backend."""
        await self.backend.aclose()

    def __getattr__(self, name: str):  # check(), api_key_env, ... of the wrapped backend
        return getattr(self.backend, name)
