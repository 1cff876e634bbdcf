"""The determinism probe: identical seeded requests, distinct answers counted and stored."""

from __future__ import annotations

import itertools

import pytest

from llmdyn.errors import ConfigError
from llmdyn.experiment import load_config, probe_determinism
from llmdyn.store import Store


def test_probe_counts_distinct_answers_and_records_them(fake_openai, tmp_path):
    calls = itertools.count()

    def answer(messages):  # deterministic for one task, a new answer every time for the other
        if "password" in messages[0].content:
            return "```python\nx = 1\n```"
        return f"```python\nx = {next(calls)}\n```"

    server = fake_openai(answer=answer)
    cfg = load_config(None, {"model": "m", "base_url": server.base_url, "seed": 7,
                             "tasks": ["password_reset", "user_search"],
                             "store": str(tmp_path / "s.sqlite")})
    report = probe_determinism(cfg, 2, repeats=3)

    by_task = {p.task: p for p in report.probes}
    assert by_task["password_reset"].identical and by_task["password_reset"].distinct_responses == 1
    assert not by_task["user_search"].identical and by_task["user_search"].distinct_responses == 3
    assert report.identical_share == 0.5
    assert "1 of 2 requests answered identically" in report.summary()
    assert [r["seed"] for r in server.requests] == [7] * 6  # the same seed every time
    with Store(tmp_path / "s.sqlite") as store:
        saved = store.get_meta(f"determinism:{cfg.experiment_name()}")
    assert saved == report.to_dict()


def test_probe_reports_failures_instead_of_raising(fake_openai, tmp_path):
    server = fake_openai(fault_rate=1.0, faults=("500",))
    cfg = load_config(None, {"model": "m", "base_url": server.base_url, "tasks": ["user_search"],
                             "store": str(tmp_path / "s.sqlite")})
    report = probe_determinism(cfg, 1, repeats=2)
    assert report.probes[0].errors and not report.probes[0].identical
    assert "1 probe(s) failed" in report.summary()


def test_probe_needs_two_repeats(tmp_path):
    cfg = load_config(None, {"backend": "replay", "store": str(tmp_path / "s.sqlite")})
    with pytest.raises(ConfigError, match="repeats must be at least 2"):
        probe_determinism(cfg, 1, repeats=1)
