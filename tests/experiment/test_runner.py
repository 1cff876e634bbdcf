"""The session runner: replay, records, faults, policy hook, Ctrl-C."""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace

import pytest

from llmdyn.dynamics import Decision, TriggerEvent, load_trajectories
from llmdyn.experiment import backoff_wait, get_task, load_config, run_experiment
from llmdyn.llm import TransientBackendError
from llmdyn.objectives import get_objective_set
from llmdyn.store import Store, trajectory_frame
from tests.fake_openai import small_answer

TASKS = ["zip_import", "user_search", "notes_api"]


def _fast(tmp_path, base_url: str, **over):
    """A config against the fake server with fast retries and inline scoring."""
    settings = dict(model="fake-model", base_url=base_url, tasks=TASKS[:2],
                    strategies=["EF", "SF", "FF", "AI"], iterations=3, concurrency=8,
                    store=str(tmp_path / "run.sqlite"), score_workers=0, timeout=2.0,
                    retries=2, backoff_base=0.001, backoff_max=0.01, api_key_env="LLMDYN_NONE")
    settings.update(over)
    return load_config(None, settings)


def _by_session(store_path, experiment=None):
    with Store(store_path) as store:
        steps = store.steps(experiment)
    out: dict[str, list] = {}
    for s in steps:
        out.setdefault(s.session_id, []).append(s)
    return out


@pytest.mark.parametrize("history", ["full", "last"])
def test_replay_scores_and_records_every_request(tmp_path, history):
    cfg = load_config(None, dict(backend="replay", tasks=["zip_import"], strategies=["EF", "SF"],
                                 iterations=2, store=str(tmp_path / "r.sqlite"),
                                 score_workers=0, history=history, temperature=0.3, seed=7))
    summary = run_experiment(cfg, progress=False)
    assert (summary.sessions_done, summary.steps_ok, summary.steps_failed) == (2, 6, 0)
    code_set = get_objective_set("code")
    profile = get_task("zip_import").profile()
    for sid, steps in _by_session(cfg.store).items():
        assert [s.t for s in steps] == [0, 1, 2]
        label = sid.split("/")[-2]
        assert [s.strategy for s in steps] == [label, label, label]
        for prev, step in zip([None, *steps], steps):
            assert step.status == "ok" and step.error is None
            assert step.scores == code_set.score(step.response, profile).values
            assert (step.model, step.base_url, step.server_model) == \
                ("replay", "replay://bundled", "replay")
            assert (step.temperature, step.seed, step.replicate) == (0.3, 7, 0)
            assert step.latency_s is not None and step.completion_tokens > 0
            assert step.parent_hash == (prev.code_hash if prev else None)
            assert step.code and step.code.strip() in step.response
    frame = trajectory_frame(cfg.store)
    assert len(frame) == 6 and set(frame.strategy) == {"EF", "SF"}
    assert len(load_trajectories(cfg.store).session_ids) == 2


def test_fault_injection_every_step_scored_or_failed_with_its_error(tmp_path, fake_openai):
    server = fake_openai(answer=small_answer, fault_rate=0.2, seed=3, hang_s=0.4)
    cfg = _fast(tmp_path, server.base_url, tasks=TASKS, timeout=0.25, retries=1)
    summary = run_experiment(cfg, progress=False)
    faults = sum(server.counts[k] for k in ("429", "500", "timeout", "malformed", "empty"))
    assert faults > 0 and summary.retries > 0
    sessions = _by_session(cfg.store)
    assert len(sessions) == 12 == summary.sessions
    with Store(cfg.store) as store:
        status = {sid: store.ensure_session(sid, 1, "", "", 0, None) for sid in sessions}
    for sid, steps in sessions.items():
        assert [s.t for s in steps] == list(range(len(steps)))
        if status[sid] == "complete":
            assert len(steps) == 4 and all(s.status == "ok" and s.scores for s in steps)
        else:
            assert status[sid] == "failed"
            assert all(s.status == "ok" for s in steps[:-1])
            assert steps[-1].status == "failed" and steps[-1].error
            assert steps[-1].error.startswith("TransientBackendError")
    n_failed = sum(1 for v in status.values() if v == "failed")
    assert n_failed == summary.sessions_failed

    # a rerun once the server is healthy retries the failed steps; nothing is duplicated
    server.fault_rate = 0.0
    patient = cfg.model_copy(update={"timeout": 10.0, "retries": 3})  # same experiment
    assert patient.experiment_name() == cfg.experiment_name()
    again = run_experiment(patient, progress=False)
    assert again.sessions_failed == 0
    sessions = _by_session(cfg.store)
    assert all([s.t for s in v] == [0, 1, 2, 3] and all(s.status == "ok" for s in v)
               for v in sessions.values())


def test_backoff_honours_retry_after():
    wait = backoff_wait(0.01, 0.05)
    hinted = SimpleNamespace(attempt_number=1, outcome=SimpleNamespace(
        exception=lambda: TransientBackendError("429", retry_after=2.5)))
    plain = SimpleNamespace(attempt_number=6, outcome=SimpleNamespace(
        exception=lambda: TransientBackendError("500")))
    assert all(wait(hinted) >= 2.5 for _ in range(20))
    assert all(0 <= wait(plain) <= 0.05 for _ in range(20))


def test_permanent_errors_fail_the_session_without_retries(tmp_path, fake_openai):
    server = fake_openai()  # corpus answers: a task outside the corpus gets HTTP 400
    cfg = _fast(tmp_path, server.base_url, tasks=["csv_report"], strategies=["EF"])
    summary = run_experiment(cfg, progress=False)
    assert (summary.sessions_failed, summary.retries, summary.requests) == (1, 0, 1)
    (steps,) = _by_session(cfg.store).values()
    assert steps[0].status == "failed" and "HTTP 400" in steps[0].error


class StopAtTwo:
    """Alternate SF/EF; stop the session when it reaches t = 2."""

    name = "test-stop"

    def decide(self, history):
        turn = history.t + 1  # the latest state is history.t; this decides the next turn
        if turn > 2:
            event = TriggerEvent("enough", history.t, "two is enough", action="stop")
            return Decision("AI", "stop now", (event,))
        note = TriggerEvent("note", history.t, "noted", value=1.5)
        return Decision("EF" if turn % 2 else "SF", f"turn {turn}", (note,))


def test_policy_decisions_are_recorded_and_stop_ends_the_session(tmp_path, fake_openai):
    server = fake_openai(answer=small_answer)
    cfg = _fast(tmp_path, server.base_url, tasks=["zip_import"], iterations=5)
    summary = run_experiment(cfg, policy=StopAtTwo(), progress=False)
    assert summary.sessions == 1 and summary.sessions_stopped == 1
    (steps,) = _by_session(cfg.store).values()
    assert [(s.t, s.strategy, s.reason) for s in steps] == [
        (0, "test-stop", "task prompt"), (1, "EF", "turn 1"), (2, "SF", "turn 2")]
    assert steps[1].events[0]["name"] == "note" and steps[1].events[0]["value"] == 1.5
    frame = trajectory_frame(cfg.store)
    assert list(frame.strategy) == ["test-stop", "EF", "SF"]
    assert set(frame.policy) == {"test-stop"}
    # a stopped session is final: a rerun asks nothing
    again = run_experiment(cfg, policy=StopAtTwo(), progress=False)
    assert again.requests == 0


def test_schedule_policy_from_spec(tmp_path, fake_openai):
    server = fake_openai(answer=small_answer)
    cfg = _fast(tmp_path, server.base_url, tasks=["zip_import"], iterations=3,
                policy="schedule:EF1-SF")
    run_experiment(cfg, progress=False)
    (steps,) = _by_session(cfg.store).values()
    assert [s.strategy for s in steps[1:]] == ["EF", "SF", "SF"]


def test_ctrl_c_stops_cleanly_and_the_rerun_finishes(tmp_path, fake_openai):
    count = {"n": 0}

    def answer(messages):
        count["n"] += 1
        if count["n"] == 6:
            os.kill(os.getpid(), signal.SIGINT)
        return small_answer(messages)

    server = fake_openai(answer=answer, latency=0.02)
    cfg = _fast(tmp_path, server.base_url, concurrency=2)
    summary = run_experiment(cfg, progress=False)
    assert summary.interrupted and 0 < summary.steps_ok < 32
    with Store(cfg.store) as store:
        assert all(s.status == "ok" for s in store.steps())
    rest = run_experiment(cfg, progress=False)
    assert not rest.interrupted and rest.steps_resumed + rest.steps_ok == 32
    assert sum(len(v) for v in _by_session(cfg.store).values()) == 32


def test_cache_makes_a_rerun_free_and_replicates_independent(tmp_path, fake_openai):
    server = fake_openai(answer=small_answer)
    cfg = _fast(tmp_path, server.base_url, tasks=["zip_import"], strategies=["EF"], sessions=2,
                iterations=1, cache=True)
    run_experiment(cfg, progress=False)
    assert server.counts["requests"] == 4  # two replicates, never shared
    other = _fast(tmp_path, server.base_url, tasks=["zip_import"], strategies=["EF"],
                  sessions=2, iterations=1, cache=True, store=str(tmp_path / "other.sqlite"),
                  cache_dir=str(tmp_path / "run-cache"))
    summary = run_experiment(other, progress=False)
    assert server.counts["requests"] == 4 and summary.cached == 4


class Broken:
    """A policy that fails at the second decision, or names a strategy nobody knows."""

    name = "broken"

    def decide(self, history):
        if history.t == 0:
            return Decision("NOPE" if history.task == "zip_import" else "EF", "first")
        raise RuntimeError("model exploded")


def test_policy_failures_are_recorded_and_the_run_goes_on(tmp_path, fake_openai):
    server = fake_openai(answer=small_answer)
    cfg = _fast(tmp_path, server.base_url, tasks=["zip_import", "user_search"], iterations=3)
    summary = run_experiment(cfg, policy=Broken(), progress=False)
    assert summary.sessions_failed == 2 and summary.steps_ok == 3
    errors = {sid.split("/")[1]: steps[-1].error for sid, steps in _by_session(cfg.store).items()}
    assert "unknown strategy 'NOPE'" in errors["zip_import"]
    assert "model exploded" in errors["user_search"]
