"""Reliability: a killed runner resumes exactly; the API key is never written;
bad configs fail in one line before any work."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from llmdyn.cli import main
from llmdyn.experiment import load_config, run_experiment
from llmdyn.store import Store
from tests.fake_openai import small_answer

SECRET = "sk-llmdyn-test-9f8e7d6c5b4a3f2e1d0c"


def _toml(path, base_url: str, store, score_workers: int = 0) -> None:
    path.write_text(
        f'model = "fake-model"\nbase_url = "{base_url}"\napi_key_env = "LLMDYN_TEST_KEY"\n'
        'tasks = ["zip_import", "user_search"]\nstrategies = ["EF", "SF", "FF", "AI"]\n'
        f'iterations = 4\nconcurrency = 4\nscore_workers = {score_workers}\nretries = 2\n'
        f'backoff_base = 0.001\nstore = "{store}"\n')


def _children(pid: int) -> list[int]:
    """Child process ids (Linux /proc)."""
    path = f"/proc/{pid}/task/{pid}/children"
    with open(path) as handle:
        return [int(x) for x in handle.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


def _ok_steps(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM steps WHERE status = 'ok'").fetchone()[0]
    except sqlite3.Error:
        return 0


def _scores(db) -> dict[tuple[str, int], dict]:
    with Store(db) as store:
        return {(s.session_id, s.t): s.scores for s in store.steps() if s.status == "ok"}


@pytest.mark.timeout(120)
def test_sigkill_mid_run_then_rerun_gives_exactly_the_clean_steps(tmp_path, fake_openai,
                                                                  monkeypatch):
    monkeypatch.setenv("LLMDYN_TEST_KEY", SECRET)
    # one server for both runs: same identity (model, base_url, ...) => same experiment
    # name => the same session ids in both stores
    server = fake_openai(answer=small_answer, latency=0.1)
    _toml(tmp_path / "clean.toml", server.base_url, tmp_path / "clean.sqlite")
    _toml(tmp_path / "run.toml", server.base_url, tmp_path / "run.sqlite", score_workers=1)
    server.latency = 0.0
    run_experiment(load_config(tmp_path / "clean.toml"), progress=False)
    server.latency = 0.1
    expected = _scores(tmp_path / "clean.sqlite")
    assert len(expected) == 8 * 5

    db = tmp_path / "run.sqlite"
    cmd = [sys.executable, "-m", "llmdyn.cli", "run", str(tmp_path / "run.toml"), "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _ok_steps(db) < 6 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = _children(child.pid)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    killed_at = _ok_steps(db)
    assert child.returncode == -signal.SIGKILL
    assert 6 <= killed_at < 40, "the runner must die mid-run"
    assert len(workers) == 1  # the scoring process ...
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)  # ... does not outlive a killed runner

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=90)
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(db) as con:
        dup = con.execute("SELECT session_id, t, COUNT(*) c FROM steps GROUP BY session_id, t "
                          "HAVING c > 1").fetchall()
        statuses = con.execute("SELECT DISTINCT status FROM sessions").fetchall()
    assert dup == [] and statuses == [("complete",)]
    assert _scores(db) == expected


def test_api_key_never_reaches_db_logs_or_exports(tmp_path, fake_openai, monkeypatch, capfd,
                                                  caplog):
    monkeypatch.setenv("LLMDYN_TEST_KEY", SECRET)
    caplog.set_level(logging.DEBUG)
    server = fake_openai(answer=small_answer, api_key=SECRET, fault_rate=0.2, seed=5,
                         retry_after="0")
    store = tmp_path / "k.sqlite"
    _toml(tmp_path / "k.toml", server.base_url, store)
    for argv in (["run", str(tmp_path / "k.toml")],
                 ["export", str(store), "--format", "csv", "--out", str(tmp_path / "t.csv")],
                 ["export", str(store), "--format", "jsonl", "--out", str(tmp_path / "t.jsonl")],
                 ["export", str(store), "--format", "parquet", "--out", str(tmp_path / "t.pq")]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 0
    assert server.counts["ok"] > 0  # the key was sent and accepted
    # a wrong key: the one-line error names the variable, never the value
    monkeypatch.setenv("LLMDYN_TEST_KEY", SECRET + "x")
    with pytest.raises(SystemExit):
        main(["run", str(tmp_path / "k.toml")])
    out, err = capfd.readouterr()
    assert "LLMDYN_TEST_KEY" in err
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in files)  # the response cache was written
    assert len(files) >= 6
    needle = SECRET.encode()
    for path in files:
        assert needle not in path.read_bytes(), path
    for text in (out, err, caplog.text):
        assert SECRET not in text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("extra, needle", [
    (["--strategies", "EF,BOGUS"], "unknown strategy 'BOGUS'"),
    (["--tasks", "zip_import,missing_task"], "unknown task 'missing_task'"),
    (["--sessions", "-4"], "sessions:"),
    (["--iterations", "-1"], "iterations:"),
    ([], "cannot connect"),
])
def test_bad_config_is_one_line_before_any_work(tmp_path, capfd, extra, needle):
    store = tmp_path / "never.sqlite"
    argv = ["run", "--model", "m", "--base-url", f"http://127.0.0.1:{_closed_port()}/v1",
            "--store", str(store), *extra]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capfd.readouterr().err.strip()
    assert err.startswith("error: ") and needle in err and "\n" not in err
    assert not store.exists() and not list(tmp_path.iterdir())
