"""Measure whether a server answers the same request the same way.

Seeds are sent and recorded, never trusted: many local servers (batching,
non-deterministic kernels) answer one seeded request differently each time.
This probe sends each task's first request ``repeats`` times with identical
parameters (seed included), bypassing the response cache, and counts the
distinct answers, so an experiment can say how deterministic its server was.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..llm import ChatBackend, ChatMessage, ChatRequest
from ._config import ExperimentConfig
from ._tasks import Task


@dataclass(frozen=True)
class DeterminismProbe:
    """The answers to one request sent ``repeats`` times."""

    task: str
    repeats: int
    distinct_responses: int
    fingerprints: tuple[str | None, ...]
    errors: tuple[str, ...] = ()

    @property
    def identical(self) -> bool:
        """True when every repeat answered with the same text."""
        return not self.errors and self.distinct_responses == 1

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"task": self.task, "repeats": self.repeats, "identical": self.identical,
                "distinct_responses": self.distinct_responses,
                "fingerprints": list(self.fingerprints), "errors": list(self.errors)}


@dataclass(frozen=True)
class DeterminismReport:
    """Determinism of a server under the experiment's parameters."""

    model: str
    base_url: str
    seed: int | None
    temperature: float | None
    probes: tuple[DeterminismProbe, ...]

    @property
    def identical_share(self) -> float:
        """Share of probed requests whose repeats all answered identically."""
        answered = [p for p in self.probes if not p.errors]
        return sum(p.identical for p in answered) / len(answered) if answered else float("nan")

    def summary(self) -> str:
        """One line for the terminal."""
        answered = [p for p in self.probes if not p.errors]
        same = sum(p.identical for p in answered)
        fps = {f for p in answered for f in p.fingerprints}
        text = (f"determinism: {same} of {len(answered)} requests answered identically on every "
                f"repeat (seed {self.seed}, temperature {self.temperature})")
        if len(fps - {None}) > 1:
            text += f"; {len(fps - {None})} different system fingerprints"
        if len(answered) < len(self.probes):
            text += f"; {len(self.probes) - len(answered)} probe(s) failed"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (no key material: the base URL and parameters only)."""
        return {"model": self.model, "base_url": self.base_url, "seed": self.seed,
                "temperature": self.temperature, "identical_share": self.identical_share,
                "probes": [p.to_dict() for p in self.probes]}


def _first_request(config: ExperimentConfig, task: Task) -> ChatRequest:
    return config.chat_request((ChatMessage("user", task.prompt),), 0, "determinism-probe")


async def _probe(backend: ChatBackend, request: ChatRequest, task: str,
                 repeats: int) -> DeterminismProbe:
    texts: list[str] = []
    fingerprints: list[str | None] = []
    errors: list[str] = []
    for _ in range(repeats):  # in sequence: a server may batch concurrent requests differently
        try:
            response = await backend.complete(request)
        except Exception as exc:  # noqa: BLE001 - a failed probe is reported, not raised
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        texts.append(hashlib.sha256(response.text.encode()).hexdigest())
        fingerprints.append(response.system_fingerprint)
    return DeterminismProbe(task, repeats, len(set(texts)), tuple(fingerprints), tuple(errors))


async def measure_determinism(backend: ChatBackend, config: ExperimentConfig,
                              tasks: Sequence[Task] | None = None,
                              repeats: int = 3) -> DeterminismReport:
    """Send each task's first request ``repeats`` times and count distinct answers.

    ``backend`` should be uncached (a cache answers identically by design).
    """
    if repeats < 2:
        raise ConfigError(f"determinism probe: repeats must be at least 2, got {repeats}")
    chosen = tuple(tasks) if tasks is not None else config.task_list()
    probes = await asyncio.gather(*(_probe(backend, _first_request(config, t), t.id, repeats)
                                    for t in chosen))
    return DeterminismReport(config.resolved_model(), backend.base_url, config.seed,
                             config.temperature, tuple(probes))


def probe_determinism(config: ExperimentConfig, n_tasks: int, repeats: int = 3) -> DeterminismReport:
    """Probe the config's server on its first ``n_tasks`` tasks and record the
    report in the store (meta key ``determinism:<experiment>``)."""
    from ..store import Store
    from ._runner import make_backend

    if n_tasks < 1:
        raise ConfigError(f"determinism probe: the number of tasks must be at least 1, got {n_tasks}")
    backend = make_backend(config, cache=False)

    async def go() -> DeterminismReport:
        try:
            return await measure_determinism(backend, config, config.task_list()[:n_tasks], repeats)
        finally:
            await backend.aclose()

    report = asyncio.run(go())
    with Store(config.store) as store:
        store.set_meta(f"determinism:{config.experiment_name()}", report.to_dict())
    return report
