"""`llmdyn steer evaluate`: fits the data, simulates the policies, prints or dumps JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmdyn._cli.steer import split_policies
from tests.cli._run import run_command
from tests.dynamics._steering import OBJ, switching_csv


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sessions of the four synthetic strategies as a trajectory CSV."""
    return switching_csv(tmp_path_factory.mktemp("steer") / "traj.csv", sessions=10, steps=7, seed=7)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_command(capsys, *argv)


def test_split_policies_keeps_options_inside_a_spec() -> None:
    assert split_policies(["fixed:EF,mpc:3,utility=worst", "bandit"]) == [
        "fixed:EF", "mpc:3,utility=worst", "bandit"]
    assert split_policies(["schedule+triggers=security_below:2@stop,efficiency_drop:1,phase"]) == [
        "schedule+triggers=security_below:2@stop,efficiency_drop:1", "phase"]


def test_evaluate_prints_a_table_with_the_winner(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["steer", "evaluate", str(data), "--policies",
                           "fixed:EF,fixed:SF,fixed:FF,fixed:AI,bandit,mpc", "--steps", "8",
                           "--paths", "400", "--utility", "worst", "--x0", "5,5,5"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("policy") and "utility [90%]" in lines[0]
    assert lines[2].startswith("mpc:1")  # sorted by utility, best first
    assert "mpc:1 beats the best fixed policy" in out and "security >= 2" in out


def test_evaluate_json_with_uncertainty(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["steer", "evaluate", str(data), "-p", "fixed:AI", "-p", "mpc:utility=worst",
                           "--steps", "5", "--paths", "300", "--uncertainty", "10", "--seed", "1",
                           "--format", "json", "--triggers", "security_below:3"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["uncertainty"] == 10 and d["triggers"] == ["security_below"]
    assert {p["policy"] for p in d["policies"]} == {"fixed:AI", "mpc:1"}
    assert sum(p["win_share"] for p in d["policies"]) == pytest.approx(1.0)
    assert set(d["policies"][0]["mean_final"]) == set(OBJ)


@pytest.mark.parametrize("args, words", [
    (["--policies", "banana"], ["unknown policy", "fixed:STRATEGY"]),
    (["--policies", "fixed:XX"], ["XX", "EF"]),
    (["--x0", "1,2"], ["--x0", "3 numbers"]),
    (["--constraints", "security>2"], ["OBJECTIVE>=VALUE"]),
])
def test_bad_options_fail_with_one_line(data: Path, capsys: pytest.CaptureFixture[str],
                                        args: list[str], words: list[str]) -> None:
    code, _, err = _run(["steer", "evaluate", str(data), "--paths", "10", "--steps", "1", *args], capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    for w in words:
        assert w in err
