"""The asynchronous session runner.

Sessions (task x strategy x replicate, or task x replicate under a policy) run
on ``concurrency`` workers; within a session, turns are sequential: the task
prompt, then ``iterations`` improvement turns whose strategy the policy picks.
Every response is scored and committed to the store as its own transaction
before the next request, so an interrupted or killed run resumes where it
stopped: completed steps are read back and the conversation rebuilt from them.

Transient failures (429, 5xx, timeouts, dropped connections, malformed answers)
are retried with exponential backoff and full jitter, never sooner than the
server's Retry-After. When a session's retry budget is spent, its failed step is
recorded with the error, the session is marked failed, and the run goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, \
    stop_after_attempt, wait_random_exponential

from ..errors import ConfigError
from ..llm import CachedBackend, ChatBackend, ChatRequest, ChatResponse, OpenAIBackend, \
    ReplayBackend, ResponseCache, TransientBackendError
from ..store import StepRecord, Store
from ._config import ExperimentConfig
from ._scoring import ResponseScorer, _plain
from ._strategies import Strategy, build_conversation
from ._tasks import Task

if TYPE_CHECKING:  # the dynamics layer (pandas, scipy) is only imported when a policy is used
    from ..dynamics._policy import Policy


@dataclass(frozen=True)
class SessionPlan:
    """One session to run: its id, task, label (strategy or policy) and replicate.

    ``policy`` None means the fixed strategy ``label`` (what ``FixedPolicy``
    would answer, without importing the dynamics layer).
    """

    session_id: str
    task: Task
    label: str
    replicate: int
    policy: "Policy | None" = field(default=None, compare=False)


@dataclass(frozen=True)
class RunSummary:
    """What this invocation did: sessions finished now, failed or stopped; steps
    scored now, failed now, or kept from an earlier run (``steps_resumed``);
    requests sent (with retries and cache hits), tokens, distinct scorings."""

    experiment: str
    store: str
    sessions: int
    sessions_done: int
    sessions_failed: int
    sessions_stopped: int
    steps_ok: int
    steps_failed: int
    steps_resumed: int
    requests: int
    retries: int
    cached: int
    tokens: int
    scorings: int
    wall_s: float
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class _Turn:
    """A policy's decision in plain form: strategy, reason, events (dicts), stop."""

    strategy: str
    reason: str
    events: list[dict[str, Any]]
    stop: bool


class _WaitRetryAfter:
    """Exponential backoff with full jitter, never shorter than Retry-After."""

    def __init__(self, base: float, cap: float) -> None:
        self._jitter = wait_random_exponential(multiplier=base, max=cap)

    def __call__(self, state: RetryCallState) -> float:
        wait = self._jitter(state)
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        return max(wait, min(float(hint), 600.0)) if hint is not None else wait


def backoff_wait(base: float, cap: float) -> Callable[[RetryCallState], float]:
    """The wait strategy the runner uses (exposed for tests and docs)."""
    return _WaitRetryAfter(base, cap)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_sessions(config: ExperimentConfig, policy: Policy | None = None) -> list[SessionPlan]:
    """The sessions of an experiment, in a stable order (tasks, labels, replicates)."""
    name = config.experiment_name()
    plans: list[SessionPlan] = []
    for task in config.task_list():
        if policy is not None:
            labels = [(policy.name, policy)]
        else:
            labels = [(s, None) for s in config.strategies]
        for label, pol in labels:
            for r in range(config.sessions):
                plans.append(SessionPlan(f"{name}/{task.id}/{label}/r{r}", task, label, r, pol))
    return plans


def make_backend(config: ExperimentConfig, *, cache: bool | None = None) -> ChatBackend:
    """The backend a config names, wrapped in the response cache if enabled."""
    if config.backend == "replay":
        return ReplayBackend(model=config.resolved_model())
    backend: ChatBackend = OpenAIBackend(config.base_url, config.api_key_env, config.timeout)
    use_cache = config.cache if cache is None else cache
    if use_cache:
        folder = config.cache_dir or str(Path(config.store).with_suffix("")) + "-cache"
        backend = CachedBackend(backend, ResponseCache(folder))
    return backend


def _compact(n: int) -> str:
    """812345 -> '812k', 2345678 -> '2.3M'."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    return f"{n / 1e3:.0f}k" if n >= 10_000 else str(n)


class _Progress:
    """Counters plus an optional rich progress bar."""

    def __init__(self, total_steps: int, sessions: int, show: bool) -> None:
        self.sessions, self.sessions_done, self.steps = sessions, 0, 0
        self.tokens, self.errors = 0, 0
        self._bar = None
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, \
                TimeRemainingColumn

            console = Console(stderr=True)
            self._bar = Progress(
                BarColumn(bar_width=16), MofNCompleteColumn(),
                TextColumn("steps · sessions {task.fields[s]} · {task.fields[tok]} tokens · "
                           "{task.fields[err]} errors · ETA"), TimeRemainingColumn(),
                console=console, disable=not console.is_terminal, transient=False)
            self._task = self._bar.add_task("run", total=total_steps, s="0/0", tok=0, err=0)

    def __enter__(self) -> "_Progress":
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._refresh()
            self._bar.stop()

    def _refresh(self, advance: int = 0) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=advance,
                             s=f"{self.sessions_done}/{self.sessions}",
                             tok=_compact(self.tokens), err=self.errors)

    def step(self, tokens: int, failed: bool, advance: int = 1) -> None:
        self.steps += 1
        self.tokens += tokens
        self.errors += int(failed)
        self._refresh(advance)

    def skip(self, steps: int) -> None:
        self._refresh(steps)

    def session_done(self, remaining_steps: int = 0) -> None:
        self.sessions_done += 1
        self._refresh(remaining_steps)


class Runner:
    """Runs an experiment's sessions into a store (see module docstring).

    Parameters
    ----------
    config : the validated experiment.
    backend : a chat backend (default: the one the config names).
    policy : one policy for every session (default: each session's fixed strategy).
    objective_set : the scorer (default: ``get_objective_set(config.objectives)``).
    progress : show the rich progress bar (only drawn on a terminal).
    """

    def __init__(self, config: ExperimentConfig, *, backend: ChatBackend | None = None,
                 policy: Policy | None = None, objective_set: Any = None,
                 progress: bool = True) -> None:
        from ..objectives import get_objective_set

        self.config = config
        self.backend = backend if backend is not None else make_backend(config)
        self.policy = policy
        if objective_set is None:
            self.scorer = ResponseScorer(get_objective_set(config.objectives), config.objectives,
                                         config.resolved_score_workers())
        else:
            self.scorer = ResponseScorer(objective_set, None)
        self.strategies = config.strategy_table()
        self.plans = plan_sessions(config, policy)
        self.show_progress = progress
        self._counts = {"requests": 0, "retries": 0, "cached": 0, "ok": 0, "failed": 0,
                        "resumed": 0, "done": 0, "stopped": 0, "session_failed": 0}
        self._tokens = 0

    # -- public ------------------------------------------------------------------------

    def run(self) -> RunSummary:
        """Run to completion (or Ctrl-C) and return the summary."""
        return asyncio.run(self.arun())

    async def arun(self) -> RunSummary:
        """The asynchronous form of :meth:`run`."""
        start = time.perf_counter()
        cfg = self.config
        name = cfg.experiment_name()
        interrupted = False
        store: Store | None = None
        try:
            check = getattr(self.backend, "check", None)
            if check is not None:
                await check()  # unreachable server -> ConfigError before any work
            store = Store(cfg.store)
            exp_id = store.ensure_experiment(name, cfg.model_dump(mode="json"), cfg.identity())
            statuses = {p.session_id: store.ensure_session(
                p.session_id, exp_id, p.task.id, p.label, p.replicate, cfg.resolved_model(),
                p.label if self.policy is not None else None) for p in self.plans}
            # stopped sessions are final; complete ones are revisited (cheaply) in case
            # iterations grew since; failed ones retry from their failed step
            todo = [p for p in self.plans if statuses[p.session_id] != "stopped"]
            steps_per = cfg.iterations + 1
            with _Progress(len(self.plans) * steps_per, len(self.plans),
                           self.show_progress) as prog:
                prog.sessions_done = len(self.plans) - len(todo)
                prog.skip(prog.sessions_done * steps_per)
                interrupted = await self._run_all(store, todo, prog)
        finally:
            if store is not None:
                store.close()
            self.scorer.close()
            await self.backend.aclose()
        c = self._counts
        return RunSummary(
            experiment=name, store=str(cfg.store), sessions=len(self.plans),
            sessions_done=c["done"], sessions_failed=c["session_failed"],
            sessions_stopped=c["stopped"], steps_ok=c["ok"], steps_failed=c["failed"],
            steps_resumed=c["resumed"], requests=c["requests"], retries=c["retries"],
            cached=c["cached"], tokens=self._tokens, scorings=self.scorer.scored,
            wall_s=time.perf_counter() - start, interrupted=interrupted)

    # -- internals -----------------------------------------------------------------------

    async def _run_all(self, store: Store, todo: list[SessionPlan], prog: _Progress) -> bool:
        queue: asyncio.Queue[SessionPlan] = asyncio.Queue()
        for plan in todo:
            queue.put_nowait(plan)

        async def worker() -> None:
            while True:
                try:
                    plan = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await self._run_session(store, plan, prog)

        workers = [asyncio.create_task(worker())
                   for _ in range(min(self.config.concurrency, max(1, len(todo))))]
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_sigint() -> None:
            stopped.set()
            for w in workers:
                w.cancel()

        installed = False
        try:
            loop.add_signal_handler(signal.SIGINT, on_sigint)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or no signals here
        try:
            results = await asyncio.gather(*workers, return_exceptions=True)
            for result in results:
                if isinstance(result, Exception):
                    raise result  # a bug, not a backend failure (those are recorded)
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGINT)
        return stopped.is_set()

    async def _request(self, request: ChatRequest) -> tuple[ChatResponse, int]:
        """Send with retries; return the response and the number of attempts."""
        cfg = self.config
        attempts = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(cfg.retries + 1),
            wait=backoff_wait(cfg.backoff_base, cfg.backoff_max),
            retry=retry_if_exception_type(TransientBackendError), reraise=True)
        async for attempt in retrying:
            with attempt:
                attempts += 1
                self._counts["requests"] += 1
                if attempts > 1:
                    self._counts["retries"] += 1
                try:
                    async with asyncio.timeout(cfg.timeout):
                        response = await self.backend.complete(request)
                except TimeoutError as exc:
                    raise TransientBackendError(f"timeout after {cfg.timeout:g} s") from exc
        return response, attempts

    async def _run_session(self, store: Store, plan: SessionPlan, prog: _Progress) -> None:
        cfg = self.config
        objectives = self.scorer.objectives
        done = store.completed_steps(plan.session_id)
        self._counts["resumed"] += len(done)
        prog.skip(min(len(done), cfg.iterations + 1))
        if len(done) >= cfg.iterations + 1:  # complete from an earlier run
            store.finish_session(plan.session_id, "complete")
            prog.session_done()
            return
        responses = [s.response or "" for s in done]
        codes = [s.code or "" for s in done]
        states = [[s.scores[o] for o in objectives] for s in done]
        used: list[Strategy] = [self.strategies[s.strategy] for s in done[1:]]
        for t in range(len(done), cfg.iterations + 1):
            reason, events, strategy = "task prompt", [], None
            if t > 0:
                try:
                    decision = self._decide(plan, states, used, objectives)
                except Exception as exc:  # noqa: BLE001 - a policy's failure ends its session
                    error = f"policy {plan.label} failed: {type(exc).__name__}: {exc}"
                    self._fail(store, plan, t, None, "policy error", [], error, prog)
                    return
                events = decision.events
                if decision.stop:
                    store.finish_session(plan.session_id, "stopped",
                                         reason=decision.reason or "policy stop", events=events)
                    self._counts["stopped"] += 1
                    prog.session_done(cfg.iterations + 1 - t)
                    return
                reason = decision.reason
                strategy = self.strategies.get(decision.strategy)
                if strategy is None:
                    error = f"policy {plan.policy.name} chose unknown strategy {decision.strategy!r}"
                    self._fail(store, plan, t, decision.strategy, reason, events, error, prog)
                    return
            request = cfg.chat_request(
                build_conversation(plan.task.prompt, responses, codes,
                                   used + ([strategy] if strategy else []), cfg.history),
                plan.replicate, plan.label)
            seed = request.seed
            label = strategy.id if strategy else plan.label
            base = dict(session_id=plan.session_id, t=t, strategy=label, reason=reason,
                        events=events, model=request.model, base_url=self.backend.base_url,
                        temperature=request.temperature, top_p=request.top_p, seed=seed,
                        max_tokens=request.max_tokens, replicate=plan.replicate,
                        parent_hash=_hash(codes[-1]) if codes else None,
                        request_key=request.key(self.backend.base_url))
            try:
                response, attempts = await self._request(request)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - recorded, the run goes on
                error = f"{type(exc).__name__}: {exc}"
                self._fail(store, plan, t, label, reason, events, error, prog, base=base,
                           attempts=cfg.retries + 1 if isinstance(exc, TransientBackendError)
                           else None)
                return
            scored = await self.scorer.score(response.text, plan.task)
            scores, code = scored.scores, scored.code
            tokens = (response.prompt_tokens or 0) + (response.completion_tokens or 0)
            store.record_step(StepRecord(
                **base, status="ok", server_model=response.server_model,
                system_fingerprint=response.system_fingerprint, code_hash=_hash(code),
                response=response.text, code=code, language=scored.language, scores=scores,
                findings=scored.findings, latency_s=response.latency_s,
                prompt_tokens=response.prompt_tokens,
                completion_tokens=response.completion_tokens, attempts=attempts,
                cached=response.cached, finish_reason=response.finish_reason))
            self._counts["ok"] += 1
            self._counts["cached"] += int(response.cached)
            self._tokens += tokens
            prog.step(tokens, failed=False)
            responses.append(response.text)
            codes.append(code)
            states.append([scores[o] for o in objectives])
            if strategy is not None:
                used.append(strategy)
        store.finish_session(plan.session_id, "complete")
        self._counts["done"] += 1
        prog.session_done()

    @staticmethod
    def _decide(plan: SessionPlan, states: list, used: list[Strategy],
                objectives: tuple[str, ...]) -> _Turn:
        """The policy's decision for the next turn (the fixed label without a policy)."""
        if plan.policy is None:
            return _Turn(plan.label, "fixed strategy", [], False)
        from ..dynamics._policy import History

        history = History(states=np.asarray(states, dtype=float),
                          strategies=tuple(s.id for s in used), objectives=objectives,
                          task=plan.task.id, session=plan.session_id)
        decision = plan.policy.decide(history)
        return _Turn(decision.strategy, decision.reason,
                     [_plain(e) for e in decision.events], decision.stop)

    def _fail(self, store: Store, plan: SessionPlan, t: int, strategy: str | None,
              reason: str, events: list, error: str, prog: _Progress, *,
              base: dict | None = None, attempts: int | None = None) -> None:
        base = base or dict(session_id=plan.session_id, t=t, strategy=strategy, reason=reason,
                            events=events, replicate=plan.replicate)
        store.record_step(StepRecord(**base, status="failed", error=error, attempts=attempts))
        store.finish_session(plan.session_id, "failed", error=error)
        self._counts["failed"] += 1
        self._counts["session_failed"] += 1
        prog.step(0, failed=True, advance=self.config.iterations + 1 - t)
        prog.session_done()


def build_policy(spec: str, strategies: list[str] | tuple[str, ...],
                 policy_data: str | Path | None = None) -> Policy:
    """A policy from its spec, with drift models fitted on ``policy_data`` if given.

    ``policy_data`` is a trajectory file or store; each strategy in
    ``strategies`` that has transitions there gets a fitted :class:`DriftModel`.
    """
    from ..dynamics import fit_models, load_trajectories, make_policy

    models = None
    if policy_data is not None:
        traj = load_trajectories(policy_data)
        fitted = fit_models(traj, [s for s in strategies if s in traj.strategies])
        models = fitted.models
        if not models:
            problems = [f"{s}: {why}" for s, why in fitted.failures.items()]
            raise ConfigError(f"policy_data {policy_data}: no drift model could be fitted for "
                              f"the strategies {', '.join(strategies)}"
                              + (f" ({'; '.join(problems)})" if problems else ""))
    return make_policy(spec, models, tuple(strategies))


def run_experiment(config: ExperimentConfig, *, backend: ChatBackend | None = None,
                   policy: Policy | None = None, progress: bool = True) -> RunSummary:
    """Run ``config`` into its store and return the :class:`RunSummary`.

    Without ``policy``, ``config.policy`` (if set) is built by :func:`build_policy`.
    """
    if policy is None and config.policy:
        policy = build_policy(config.policy, config.strategies, config.policy_data)
    return Runner(config, backend=backend, policy=policy, progress=progress).run()
