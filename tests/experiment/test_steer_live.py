"""A live run under a steering policy: strategies, reasons and trigger events are stored,
and a run killed mid-way resumes to the same sessions as an uninterrupted one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from llmdyn.dynamics import History, fit_drift, load_trajectories, make_policy
from llmdyn.experiment import load_config, run_experiment
from llmdyn.store import Store
from tests.dynamics._steering import OBJ, switching_csv

POLICY = "mpc:utility=worst+triggers=security_below:9.5"
TASKS = "password_reset"
ITERATIONS = 4


def _policy_data(path: Path) -> Path:
    return switching_csv(path, sessions=8, steps=6, seed=11)


def _config(tmp: Path, base_url: str, store: str, data: Path) -> Path:
    cfg = tmp / f"{store}.toml"
    cfg.write_text(
        f'model = "fake-model"\nbase_url = "{base_url}"\napi_key_env = "LLMDYN_FAKE_KEY"\n'
        f'tasks = {TASKS.split(",")!r}\nstrategies = ["EF", "SF", "FF", "AI"]\n'
        f'iterations = {ITERATIONS}\nconcurrency = 1\ncache = false\nscore_workers = 0\n'
        f'retries = 0\npolicy = "{POLICY}"\npolicy_data = "{data}"\nstore = "{tmp / store}"\n'
        'name = "steer-live"\n'.replace("'", '"'))
    return cfg


def _ok_steps(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as con:
            return int(con.execute("SELECT COUNT(*) FROM steps WHERE status = 'ok'").fetchone()[0])
    except sqlite3.Error:
        return 0


def _sessions(db: Path) -> dict[str, list]:
    with Store(db) as st:
        steps = st.steps("steer-live")
    out: dict[str, list] = {}
    for s in steps:
        out.setdefault(s.session_id, []).append(s)
    return out


@pytest.mark.timeout(120)
def test_policy_run_records_decisions_and_resumes_after_a_kill(
        tmp_path: Path, fake_openai, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMDYN_FAKE_KEY", "sk-test")
    data = _policy_data(tmp_path / "policy.csv")
    ref_server = fake_openai()
    ref_cfg = _config(tmp_path, ref_server.base_url, "ref.sqlite", data)
    summary = run_experiment(load_config(ref_cfg), progress=False)
    assert summary.sessions_failed == 0 and summary.steps_ok == ITERATIONS + 1

    # The same run in a child process, killed after a few steps, then resumed.
    server = fake_openai(latency=0.15)
    cfg = _config(tmp_path, server.base_url, "killed.sqlite", data)
    db = tmp_path / "killed.sqlite"
    env = {**os.environ, "LLMDYN_FAKE_KEY": "sk-test", "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-m", "llmdyn.cli", "run", str(cfg), "--quiet"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _ok_steps(db) < 2 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    killed_at = _ok_steps(db)
    assert 2 <= killed_at < ITERATIONS + 1, "the child must die mid-run"
    resumed = run_experiment(load_config(cfg), progress=False)
    assert resumed.steps_resumed >= killed_at and resumed.sessions_failed == 0

    ref, got = _sessions(tmp_path / "ref.sqlite"), _sessions(db)
    assert ref.keys() == got.keys() and len(got) == 1
    traj = load_trajectories(data)
    policy = make_policy(POLICY, {s: fit_drift(traj, s).model for s in traj.strategies})
    n_events = 0
    for sid, steps in got.items():
        assert [s.t for s in steps] == list(range(ITERATIONS + 1))
        assert all(s.status == "ok" for s in steps)
        # Resumed session = uninterrupted session, step by step.
        assert [(s.strategy, s.scores) for s in steps] == [(s.strategy, s.scores) for s in ref[sid]]
        states = np.array([[s.scores[o] for o in OBJ] for s in steps])
        for t in range(1, ITERATIONS + 1):
            expected = policy.decide(History(states[:t], tuple(s.strategy for s in steps[1:t]), OBJ,
                                             session=sid))
            assert steps[t].strategy == expected.strategy
            assert steps[t].reason == expected.reason and steps[t].reason.startswith("mpc: ")
            assert [e["name"] for e in steps[t].events] == [e.name for e in expected.events]
            n_events += len(steps[t].events)
    assert n_events > 0  # security under 9.5 happens in the recorded answers
    assert {s.strategy for steps in got.values() for s in steps[1:]} <= {"EF", "SF", "FF", "AI"}


def test_a_stop_trigger_ends_the_session_and_the_log_shows_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from llmdyn._cli.steer import decision_log
    from llmdyn.cli import main

    cfg = load_config(None, {"backend": "replay", "tasks": ["password_reset"], "iterations": 3,
                             "score_workers": 0, "cache": False, "store": str(tmp_path / "stop.sqlite"),
                             "policy": "schedule:SF1-AI+triggers=security_below:10.5@stop"})
    summary = run_experiment(cfg, progress=False)
    assert summary.sessions_stopped == 1
    rows = decision_log(tmp_path / "stop.sqlite")
    assert [r["t"] for r in rows] == [0, None]  # stopped before the first improvement turn
    end = rows[-1]
    assert end["status"] == "stopped" and end["events"][0]["name"] == "security_below"
    assert end["events"][0]["action"] == "stop" and "triggers: security_below" in end["reason"]
    with pytest.raises(SystemExit) as done:
        main(["steer", "log", str(tmp_path / "stop.sqlite"), "--events"])
    assert done.value.code in (0, None)
    out = capsys.readouterr().out
    assert "stopped: schedule entry 1/2" in out and "security_below (stop)" in out
