"""A small OpenAI-compatible chat-completions server for tests and benchmarks.

It listens on 127.0.0.1 (port 0: any free port) in a background thread and
answers ``POST /v1/chat/completions`` from the bundled corpus (through
:meth:`llmdyn.llm.Corpus.answer`), with optional latency and injected faults:
429 with Retry-After, 500, a hang past the client's timeout, malformed JSON and
an empty choice list. ``GET /v1/models`` lists one model.

Run it alone for benchmarks: ``python -m tests.fake_openai --latency 0.2``
prints the base URL and serves until killed.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from llmdyn.llm import ChatMessage, Corpus

FAULT_KINDS = ("429", "500", "timeout", "malformed", "empty")


@dataclass
class FakeOpenAIServer:
    """Settings and counters of a running fake server (see module docstring).

    ``fault_rate`` is the share of chat requests that get a fault, drawn with a
    seeded generator; ``faults`` the kinds to draw from; ``hang_s`` how long a
    ``timeout`` fault sleeps; ``retry_after`` the Retry-After header value.
    ``answer`` maps the request's messages to the reply text (default: corpus;
    :func:`small_answer` gives short programs that score fast). With ``api_key``
    set, a request without ``Authorization: Bearer <api_key>`` gets 401.
    """

    latency: float = 0.0
    fault_rate: float = 0.0
    faults: Sequence[str] = FAULT_KINDS
    seed: int = 0
    hang_s: float = 1.0
    retry_after: str = "0.01"
    api_key: str | None = None
    model: str = "fake-model"
    fingerprint: str = "fp_fake"
    answer: Callable[[list[ChatMessage]], str] | None = None
    counts: Counter = field(default_factory=Counter)
    requests: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._corpus: Corpus | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> "FakeOpenAIServer":
        """Bind a free port and serve in a daemon thread."""
        if self.answer is None:
            self._corpus = _bundled_corpus()
        server = self

        class Handler(_Handler):
            fake = server

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def draw_fault(self) -> str | None:
        """The fault for the next chat request, if any (seeded, thread-safe)."""
        with self._lock:
            if self.fault_rate > 0 and self._rng.random() < self.fault_rate:
                return self._rng.choice(list(self.faults))
        return None

    def reply(self, messages: list[ChatMessage]) -> str:
        """The answer text for ``messages``."""
        if self.answer is not None:
            return self.answer(messages)
        assert self._corpus is not None
        return self._corpus.answer(messages)


@functools.lru_cache(maxsize=1)
def _bundled_corpus() -> Corpus:
    """The bundled corpus, loaded once per process (it is read-only)."""
    return Corpus.bundled()


def small_answer(messages: list[ChatMessage]) -> str:
    """A short, deterministic program that depends on the task, turn and strategy.

    Scores vary between turns and strategies (so fits are not degenerate) while
    scoring stays cheap; the corpus answers are long and slow to score.
    """
    users = [m.content for m in messages if m.role == "user"]
    k = sum(1 for m in messages if m.role == "assistant")
    seed = int(hashlib.sha256(f"{users[0]}|{users[-1][:40]}|{k}".encode()).hexdigest()[:8], 16)
    parts = ['"""Generated answer."""', "import hashlib", ""]
    for i in range(1 + seed % 4 + k):
        parts += [f"def step_{i}(values):", f'    """Step {i}."""',
                  "    out = []", "    for v in values:"]
        if (seed >> i) % 3 == 0:
            parts += ["        for w in values:", "            out.append(v * w)"]
        else:
            parts += [f"        out.append(v + {i})"]
        parts += ["    return out", ""]
    if seed % 5 == 0:
        parts += ["def digest(text):", "    return hashlib.md5(text.encode()).hexdigest()", ""]
    if (seed >> 3) % 4 == 0:
        parts += ["def run(cmd):", "    import os", "    os.system(cmd)", ""]
    return "Here it is:\n\n```python\n" + "\n".join(parts) + "\n```\n"


class _QuietServer(ThreadingHTTPServer):
    """A threading server that does not print clients' dropped connections."""

    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 refuses bursts of new connections

    def handle_error(self, request: object, client_address: object) -> None:
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stalls per response
    fake: FakeOpenAIServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        return

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self._headers_buffer.append(b"\r\n" + body)  # headers and body in one write
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.fake.api_key is not None and \
                self.headers.get("Authorization") != f"Bearer {self.fake.api_key}":
            self._send(401, b'{"error": {"message": "invalid api key", "type": "auth"}}')
            return
        if self.path.rstrip("/").endswith("/models"):
            body = {"object": "list", "data": [{"id": self.fake.model, "object": "model",
                                                "created": 0, "owned_by": "fake"}]}
            self._send(200, json.dumps(body).encode())
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        fake = self.fake
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, b'{"error": {"message": "not found"}}')
            return
        if fake.api_key is not None and \
                self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            self._send(401, b'{"error": {"message": "invalid api key", "type": "auth"}}')
            return
        try:
            payload = json.loads(raw)
        except ValueError:
            self._send(400, b'{"error": {"message": "request body is not JSON"}}')
            return
        with fake._lock:
            fake.counts["requests"] += 1
            fake.requests.append({k: v for k, v in payload.items() if k != "messages"})
        if fake.latency:
            time.sleep(fake.latency)
        fault = fake.draw_fault()
        if fault is not None:
            with fake._lock:
                fake.counts[fault] += 1
            self._fault(fault)
            return
        messages = [ChatMessage(m["role"], m["content"]) for m in payload["messages"]]
        try:
            text = fake.reply(messages)
        except Exception as exc:  # noqa: BLE001 - answer like a server would
            err = {"error": {"message": str(exc), "type": "invalid_request_error"}}
            self._send(400, json.dumps(err).encode())
            return
        prompt_tokens = sum(len(m.content) for m in messages) // 4
        body = {
            "id": f"chatcmpl-{fake.counts['requests']}", "object": "chat.completion",
            "created": 0, "model": fake.model, "system_fingerprint": fake.fingerprint,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text) // 4,
                      "total_tokens": prompt_tokens + len(text) // 4},
        }
        with fake._lock:
            fake.counts["ok"] += 1
        self._send(200, json.dumps(body).encode())

    def _fault(self, kind: str) -> None:
        fake = self.fake
        if kind == "429":
            err = b'{"error": {"message": "rate limited", "type": "rate_limit_error"}}'
            self._send(429, err, {"Retry-After": fake.retry_after})
        elif kind == "500":
            self._send(500, b'{"error": {"message": "internal error", "type": "server_error"}}')
        elif kind == "timeout":
            time.sleep(fake.hang_s)
            self._send(500, b'{"error": {"message": "too late"}}')
        elif kind == "malformed":
            self._send(200, b'{"id": "chatcmpl-x", "choices": [{"index": 0, "mess')
        elif kind == "empty":
            body = {"id": "chatcmpl-e", "object": "chat.completion", "created": 0,
                    "model": fake.model, "choices": []}
            self._send(200, json.dumps(body).encode())


def main(argv: list[str] | None = None) -> None:
    """Serve until killed; print the base URL on the first line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--answers", choices=("corpus", "small"), default="corpus",
                        help="corpus: the recorded programs; small: short generated ones")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(latency=args.latency, fault_rate=args.fault_rate,
                              answer=small_answer if args.answers == "small" else None).start()
    print(server.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
