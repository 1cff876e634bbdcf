"""Scoring responses for the runner: off the event loop, each text once.

Static scoring parses the code and costs tens of milliseconds for a long
answer; done on the event loop it would stall every other session's I/O. So
the runner scores in a process pool (``score_workers``), and memoises by the
response text and task: scores are a pure function of both, so an identical
answer (a replayed or cached turn, a deterministic server) is scored once.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from typing import Any

from ._tasks import Task


@dataclass(frozen=True)
class Scored:
    """Scores, findings (plain dicts), the extracted code and its language."""

    scores: dict[str, float]
    findings: list[dict[str, Any]]
    code: str
    language: str | None


def _plain(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    if hasattr(obj, "__dataclass_fields__"):
        return asdict(obj)
    return dict(obj) if isinstance(obj, dict) else {"value": str(obj)}


def score_text(objective_set: Any, text: str, task: Task) -> Scored:
    """Extract and score one response with ``objective_set`` (in this process)."""
    from ..objectives import extract_code

    extracted = extract_code(text)
    card = objective_set.score(text, task.profile())
    # the objective set extracts the code itself and reports the extraction findings
    findings = [_plain(f) for f in getattr(card, "findings", ())]
    scores = {str(k): float(v) for k, v in card.values.items()}
    return Scored(scores, findings, extracted.code, getattr(extracted, "language", None))


def _worker_init(parent: int) -> None:
    """In each scoring process: leave Ctrl-C to the runner, and exit with the parent.

    A runner killed with SIGKILL cannot stop its pool; without the watchdog the
    workers would wait for work forever.
    """
    import os
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _score_by_name(set_name: str, text: str, task: Task) -> Scored:
    """Worker entry point: look the objective set up by name (picklable call)."""
    from ..objectives import get_objective_set

    return score_text(get_objective_set(set_name), text, task)


class ResponseScorer:
    """Scores responses for a run; ``workers > 0`` uses that many processes.

    A pool is only used with a registered objective set (``set_name``), since
    the workers look it up by name; an injected object is scored inline.
    """

    def __init__(self, objective_set: Any, set_name: str | None, workers: int = 0) -> None:
        self.objective_set = objective_set
        self.objectives: tuple[str, ...] = tuple(objective_set.objectives)
        self._set_name = set_name
        self._workers = workers if set_name is not None else 0
        self._pool: ProcessPoolExecutor | None = None
        self._memo: dict[tuple[str, str, int | None, tuple[str, ...]], asyncio.Future] = {}
        self.scored = 0

    async def score(self, text: str, task: Task) -> Scored:
        """The scores of ``text`` for ``task`` (computed once per distinct pair)."""
        key = (hashlib.sha256(text.encode()).hexdigest(), task.id, task.expected_lines, task.tags)
        future = self._memo.get(key)
        if future is None:
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            self._memo[key] = future
            try:
                result = await self._compute(text, task)
            except BaseException as exc:
                del self._memo[key]
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
                    future.exception()  # retrieved: no warning if nobody else waits
                raise
            future.set_result(result)
            return result
        return await asyncio.shield(future)

    async def _compute(self, text: str, task: Task) -> Scored:
        self.scored += 1
        if self._workers <= 0:
            return score_text(self.objective_set, text, task)
        if self._pool is None:
            # fork on Linux: spawn would re-run a calling script that lacks a main guard
            method = "fork" if sys.platform == "linux" else "spawn"
            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=multiprocessing.get_context(method),
                initializer=_worker_init, initargs=(os.getpid(),))
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, _score_by_name, self._set_name,
                                              text, task)
        except BrokenProcessPool:
            self.close()
            self._workers = 0  # score inline from now on rather than fail the run
            return score_text(self.objective_set, text, task)

    def close(self) -> None:
        """Stop the worker processes and wait for the pool to wind down.

        Waiting matters: with ``wait=False`` the pool's manager thread closes
        its wake-up pipe while the interpreter exits, and the exit hook of
        ``concurrent.futures`` writes to that pipe without a lock, so a run
        could end with "Exception ignored ... Bad file descriptor". Pending
        scorings are cancelled, so this only waits for those in flight.
        """
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
