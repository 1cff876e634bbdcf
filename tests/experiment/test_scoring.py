"""The scoring pool winds down before the run returns, so the CLI exits cleanly."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

from llmdyn.experiment._scoring import ResponseScorer
from llmdyn.experiment._tasks import Task
from llmdyn.objectives import get_objective_set


def _pool_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if type(t).__name__ == "_ExecutorManagerThread" and t.is_alive()]


def test_close_joins_the_pool_manager_thread():
    # A manager thread still closing its wake-up pipe at interpreter exit races the
    # exit hook of concurrent.futures ("Exception ignored ... Bad file descriptor").
    scorer = ResponseScorer(get_objective_set("code"), "code", workers=2)
    task = Task(id="t", prompt="Write a function.", tags=(), expected_lines=5)

    async def go():
        return await scorer.score("```python\ndef f(x):\n    return x\n```", task)

    scored = asyncio.run(go())
    assert set(scored.scores) == {"security", "efficiency", "functionality"}
    assert _pool_threads()
    scorer.close()
    assert not _pool_threads()


def test_cli_run_exits_without_a_traceback(tmp_path):
    (tmp_path / "run.toml").write_text(
        'backend = "replay"\ntasks = ["password_reset"]\nstrategies = ["EF", "SF"]\n'
        "iterations = 0\nsessions = 1\nscore_workers = 2\ncache = false\n")
    # the race was intermittent (about 1 run in 16): run the CLI a few times at once
    procs = [subprocess.Popen(
        [sys.executable, "-m", "llmdyn.cli", "run", str(tmp_path / "run.toml"),
         "--store", str(tmp_path / f"r{i}.sqlite"), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "2 scored, 0 failed" in err
        assert "Exception ignored" not in err and "Traceback" not in err, err


def test_each_finding_is_stored_once():
    from llmdyn.experiment import get_task
    from llmdyn.experiment._scoring import score_text
    from llmdyn.objectives import get_objective_set

    scored = score_text(get_objective_set("code"), "only prose, no code", get_task("password_reset"))
    rules = [f["rule"] for f in scored.findings]
    assert rules and len(rules) == len(set(rules))
