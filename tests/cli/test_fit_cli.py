"""`llmdyn fit`: JSON equals analyze(), tables render, bad input is a one-line error."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from llmdyn.dynamics import analyze, load_trajectories
from tests.cli._run import run_command
from tests.dynamics._linear_sde import EXPONENTIAL, NOISE, intercept, simulate_states, to_frame, two_strategy_csv


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> str:
    return two_strategy_csv(tmp_path_factory.mktemp("fit") / "traj.csv", seed=3)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    return run_command(capsys, "fit", *args)


def test_json_is_the_analysis_dict(capsys, data_csv):
    code, out, _ = _run(capsys, data_csv, "--format", "json", "--bootstrap", "50", "--seed", "4")
    assert code == 0
    got = json.loads(out)
    want = json.loads(json.dumps(analyze(load_trajectories(data_csv), bootstrap=50, seed=4).to_dict()))
    assert got == want
    assert set(got["strategies"]) == {"EF", "SF"}


def test_options_select_strategy_objectives_and_bounds(capsys, data_csv):
    code, out, _ = _run(capsys, data_csv, "-f", "json", "--strategy", "SF", "--objectives",
                        "security,efficiency", "--bounds", "0,20")
    assert code == 0
    got = json.loads(out)
    assert list(got["strategies"]) == ["SF"]
    assert got["objectives"] == ["security", "efficiency"]
    assert got["bounds"] == [[0.0, 0.0], [20.0, 20.0]]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_tables_render(capsys, data_csv, fmt):
    code, out, _ = _run(capsys, data_csv, "--format", fmt)
    assert code == 0
    assert "EF" in out and "SF" in out and "oscillatory" in out
    if fmt == "markdown":
        assert "|" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "error: missing.csv: no such file"),
        (["{data}", "--objectives", "speed"], "missing objective column 'speed'"),
        (["{data}", "--strategy", "XX"], "no transitions for strategy XX"),
        (["{data}", "--bounds", "10"], "error: --bounds: expected two numbers lo,hi such as 0,10, got '10'"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, data_csv, args, message):
    code, out, err = _run(capsys, *[a.format(data=data_csv) for a in args])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_bad_row_names_file_row_and_column(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    pd.DataFrame({"session": ["a", "a"], "strategy": ["EF", "EF"], "t": [0, 1],
                  "security": [1.0, "oops"]}).to_csv(path, index=False)
    code, _, err = _run(capsys, str(path))
    assert code == 2
    assert err.strip() == (f"error: {path}: row 2 (session a, t=1), column 'security': value is not a number "
                           f"('oops'); every objective score must be a finite number")


def test_constant_objective_tells_what_to_do(capsys, tmp_path):
    rng = np.random.default_rng(0)
    df = to_frame(simulate_states(EXPONENTIAL, intercept(EXPONENTIAL), NOISE, 5, 8, rng), strategy="FF")
    df["security"] = 10.0
    path = tmp_path / "const.csv"
    df.to_csv(path, index=False)
    code, _, err = _run(capsys, str(path))
    assert code == 2
    assert err.strip() == ("error: strategy FF: security is constant (10.0) in all 40 transitions; drop it with "
                           "--objectives or collect more varied sessions")
