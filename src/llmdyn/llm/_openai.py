"""An OpenAI-compatible chat backend on the official ``openai`` SDK.

Works with any server that speaks the chat-completions API (OpenAI, vLLM,
Ollama, llama.cpp server) through ``base_url``. The API key is read from the
environment variable the configuration names and lives only inside the SDK
client: it is never returned, logged or stored, and it is scrubbed from error
messages. The SDK's own retries are off; the runner retries with backoff.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from typing import Any

from ..errors import BackendError, ConfigError
from ._protocol import ChatRequest, ChatResponse, TransientBackendError

#: Placeholder key for local servers that need none (the SDK insists on one).
NO_KEY = "EMPTY"

_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


def parse_retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` / ``retry-after`` headers, if any."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
        value = headers.get("retry-after")
    except Exception:  # noqa: BLE001 - odd header objects
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class OpenAIBackend:
    """Chat completions through ``openai.AsyncOpenAI`` at any ``base_url``.

    Parameters
    ----------
    base_url : the server's API root, e.g. ``http://127.0.0.1:8000/v1``.
    api_key_env : name of the environment variable that holds the key; when it
        is unset a placeholder is sent (local servers ignore it).
    timeout : per-request timeout in seconds.
    """

    name = "openai"

    def __init__(self, base_url: str, api_key_env: str = "OPENAI_API_KEY",
                 timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        import openai  # imported here: a second or two, and replay runs never need it

        key = os.environ.get(api_key_env) if api_key_env else None
        self._secret = key or None
        self._client = openai.AsyncOpenAI(base_url=self.base_url, api_key=key or NO_KEY,
                                          timeout=self.timeout, max_retries=0,
                                          http_client=_http_client(openai, self.timeout))

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={self.base_url!r}, api_key_env={self.api_key_env!r})"

    def _scrub(self, text: str) -> str:
        """Remove the key's value from a message (servers sometimes echo it)."""
        if self._secret:
            text = text.replace(self._secret, "***")
        return " ".join(text.split())[:500]

    async def complete(self, request: ChatRequest) -> ChatResponse:
        """Send ``request``; map failures to transient or permanent errors."""
        import openai

        body = {"model": request.model, "messages": [m.to_dict() for m in request.messages],
                **request.params()}
        start = time.perf_counter()
        try:
            # The SDK's low-level post: the same client, retries off and error mapping,
            # without the typed-parameter transform that walks every message (~10 ms of
            # CPU per request on long conversations) and without building the typed
            # response model (~1 ms): the body comes back as bytes and is read below.
            raw = await self._client.post("/chat/completions", cast_to=bytes, body=body)
            completion = json.loads(raw)
        except openai.APIConnectionError as exc:
            if _timed_out(exc):
                raise TransientBackendError(f"timeout after {self.timeout:g} s") from exc
            raise TransientBackendError(self._scrub(f"connection error: {_cause(exc)}")) from exc
        except openai.APIStatusError as exc:
            message = self._scrub(f"HTTP {exc.status_code}: {exc.message}")
            if exc.status_code in _TRANSIENT_STATUS or exc.status_code >= 500:
                raise TransientBackendError(
                    message, retry_after=parse_retry_after(exc.response.headers)) from exc
            raise BackendError(message) from exc
        except (openai.APIResponseValidationError, json.JSONDecodeError, ValueError,
                TypeError, AttributeError) as exc:
            raise TransientBackendError(
                self._scrub(f"malformed response: {type(exc).__name__}: {exc}")) from exc
        latency = time.perf_counter() - start
        return _to_response(completion, latency)

    async def check(self) -> None:
        """Fail fast with a one-line :class:`ConfigError` if the server is unusable.

        Lists the server's models: a refused connection, a timeout or a rejected
        key stops the run before any work; a server without ``/models`` passes.
        """
        import openai

        try:
            await self._client.with_options(timeout=min(self.timeout, 10.0)).models.list()
        except openai.APIConnectionError as exc:
            kind = "timed out" if _timed_out(exc) else "cannot connect"
            raise ConfigError(f"base_url {self.base_url}: {kind}; check the URL and that "
                              "the server is running") from exc
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise ConfigError(f"base_url {self.base_url}: the server rejected the API key "
                              f"(HTTP {exc.status_code}); set the environment variable "
                              f"{self.api_key_env} or api_key_env in the config") from exc
        except openai.APIStatusError:
            return  # reachable; some servers do not list models
        except Exception:  # noqa: BLE001 - a reachable server with an odd answer
            return

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.close()


def _http_client(openai: Any, timeout: float) -> Any:
    """The SDK's aiohttp-based HTTP client when ``aiohttp`` is installed, else None.

    Same SDK, same error types; its transport costs about half the CPU per
    request of the default one (whose connection pool scans every open
    connection on each request), which matters at high concurrency.
    """
    factory = getattr(openai, "DefaultAioHttpClient", None)
    if factory is None:
        return None
    try:
        return factory(timeout=timeout)
    except RuntimeError:  # the SDK without its aiohttp extra
        return None


def _timed_out(exc: BaseException) -> bool:
    """Whether an SDK connection error is a timeout.

    The aiohttp transport reports every connection failure (a refused or
    dropped connection too) as a connect timeout; the cause chain says which:
    a timeout has a ``TimeoutError`` in it, or ends in the HTTP library's own
    timeout error.
    """
    import openai

    if not isinstance(exc, openai.APITimeoutError):
        return False
    last: BaseException = exc
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        if isinstance(seen, TimeoutError):
            return True
        last, seen = seen, seen.__cause__ or seen.__context__
    return type(last).__module__.split(".")[0] in ("openai", "httpx", "httpx2", "httpcore",
                                                   "httpcore2")


def _cause(exc: BaseException) -> str:
    """The innermost cause, named (the SDK's own message says only "Connection error.")."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _to_response(completion: Any, latency: float) -> ChatResponse:
    """Turn a decoded completion into a :class:`ChatResponse` (or a transient error)."""
    choices = _get(completion, "choices")
    if not choices or not isinstance(choices, list):
        raise TransientBackendError("malformed response: no choices")
    text = _get(_get(choices[0], "message"), "content")
    if not isinstance(text, str):
        raise TransientBackendError("malformed response: the first choice has no text")
    usage = _get(completion, "usage")
    return ChatResponse(
        text=text,
        server_model=_get(completion, "model"),
        system_fingerprint=_get(completion, "system_fingerprint"),
        finish_reason=_get(choices[0], "finish_reason"),
        prompt_tokens=_get(usage, "prompt_tokens"),
        completion_tokens=_get(usage, "completion_tokens"),
        latency_s=latency,
    )
