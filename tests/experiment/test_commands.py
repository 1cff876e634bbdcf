"""`llmdyn run --replay`, `llmdyn export` and `llmdyn demo`."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from llmdyn.cli import main
from llmdyn.experiment import DemoResult, run_demo
from llmdyn.store import trajectory_frame


def _cli(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        main(argv)
    return info.value.code


def test_run_replay_then_export(tmp_path, capfd):
    store = tmp_path / "r.sqlite"
    argv = ["run", "--replay", "--tasks", "template_render", "--strategies", "EF,FF",
            "--iterations", "1", "--store", str(store), "-q"]
    assert _cli(argv) == 0
    assert "4 scored, 0 failed" in capfd.readouterr().err
    assert _cli(argv) == 0  # rerun: nothing to do
    assert "0 requests" in capfd.readouterr().err
    out = tmp_path / "t.jsonl"
    assert _cli(["export", str(store), "--format", "jsonl", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and {r["strategy"] for r in rows} == {"EF", "FF"}
    assert {"security", "efficiency", "functionality"} <= set(rows[0])
    assert _cli(["export", str(store)]) == 0  # default: csv beside the store
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "r.csv")[["session", "t"]],
                                  trajectory_frame(store)[["session", "t"]])


def test_demo_on_one_task(tmp_path):
    result = run_demo(tmp_path / "demo", tasks=("zip_import",))
    assert isinstance(result, DemoResult) and dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.folder = tmp_path  # type: ignore[misc]
    assert result.store_path.is_file() and result.trajectories_path.is_file()
    assert result.run.steps_ok == 28 and result.run.steps_failed == 0
    frame = pd.read_csv(result.trajectories_path)
    assert len(frame) == 28 and set(frame.strategy) == {"EF", "SF", "FF", "AI"}
    assert set(result.analysis["strategies"]) == {"EF", "SF", "FF", "AI"}
    json.dumps(result.to_dict(), default=str)


@pytest.mark.slow
def test_demo_command_prints_the_tables(tmp_path, capfd):
    assert _cli(["demo", str(tmp_path / "d")]) == 0
    out, err = capfd.readouterr()
    assert "Strategies" in out and "Interference" in out
    assert "demo.sqlite" in err


def test_run_with_a_policy_spec(tmp_path, capfd):
    store = tmp_path / "p.sqlite"
    assert _cli(["run", "--replay", "--tasks", "template_render", "--iterations", "2",
                 "--policy", "schedule:EF1-SF", "--store", str(store), "-q"]) == 0
    frame = trajectory_frame(store)
    assert list(frame.strategy) == ["schedule:EF1-SF", "EF", "SF"]
    assert _cli(["run", "--replay", "--policy", "warp:9", "--store",
                 str(tmp_path / "never.sqlite")]) == 2
    err = capfd.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and "unknown policy" in err
    assert not (tmp_path / "never.sqlite").exists()
