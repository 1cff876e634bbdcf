"""`llmdyn simulate`: forecasts from data or a saved model, table/JSON/plot, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmdyn.cli import main
from llmdyn.dynamics import DriftModel, fit_drift, forecast_model, load_trajectories
from tests.cli._run import run_command
from tests.dynamics._linear_sde import two_strategy_csv


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory) -> str:
    return two_strategy_csv(tmp_path_factory.mktemp("sim") / "traj.csv", seed=13)


def _run(capsys, *args: str) -> tuple[int, str, str]:
    return run_command(capsys, "simulate", *args)


def test_json_equals_the_api_forecast(capsys, data_csv):
    code, out, _ = _run(capsys, data_csv, "--strategy", "EF", "--from", "5,5,5", "--steps", "8", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    model = fit_drift(load_trajectories(data_csv), "EF").model
    want = forecast_model(model, [5, 5, 5], 8)
    assert doc["strategy"] == "EF" and doc["forecast"]["method"] == "exact"
    np.testing.assert_allclose(doc["forecast"]["upper"], want.upper, atol=1e-12)
    np.testing.assert_allclose(doc["model"]["A"], model.A, atol=1e-12)
    assert doc["stationary"]["objectives"] == ["security", "efficiency", "functionality"]


def test_monte_carlo_table_with_boundary_and_seed(capsys, data_csv):
    args = (data_csv, "-s", "SF", "--from", "9,9,9", "--steps", "5", "--paths", "2000", "--boundary", "clip",
            "--seed", "3")
    code, out, _ = _run(capsys, *args)
    assert code == 0
    assert "Monte Carlo, 2000 paths, boundary clip" in out
    assert "security" in out and "finite-step" in out
    assert len([ln for ln in out.splitlines() if ln.strip()[:1].isdigit()]) == 6  # t = 0..5
    _, again, _ = _run(capsys, *args)
    assert again == out  # seeded


def test_saved_model_and_fan_chart(capsys, tmp_path):
    model = DriftModel(-0.4 * np.eye(2), [2.0, 3.0], 0.2 * np.eye(2), objectives=("a", "b"))
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model.to_dict()))
    png = tmp_path / "fan.png"
    code, out, err = _run(capsys, str(path), "--from", "1,2", "--steps", "6", "--plot", str(png), "-f", "markdown")
    assert code == 0 and png.stat().st_size > 5000 and "wrote" in err
    assert out.splitlines()[1].startswith("| t | a | b |")


def test_fit_json_is_accepted_as_a_saved_model(capsys, data_csv, tmp_path):
    with pytest.raises(SystemExit):
        main(["fit", data_csv, "--format", "json"])
    fit_json = tmp_path / "fit.json"
    fit_json.write_text(capsys.readouterr().out)
    code, out, _ = _run(capsys, str(fit_json), "-s", "SF", "--from", "5,5,5", "-f", "json")
    assert code == 0
    model = fit_drift(load_trajectories(data_csv), "SF").model
    np.testing.assert_allclose(json.loads(out)["model"]["A"], model.A, atol=1e-9)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "5,5"], "2 value(s) given, the model has 3 objectives"),
        (["--from", "5,x,5"], "expected numbers separated by commas"),
        (["-s", "ZZ"], "strategy ZZ"),
        ([], "choose one with --strategy"),
        (["-s", "EF", "--from", "5,5,12", "--boundary", "reflect"], "outside the box"),
        (["-s", "EF", "--level", "1.5"], "--level"),
    ],
)
def test_bad_input_is_one_line(capsys, data_csv, args, message):
    if args[:1] == ["--from"]:
        args = ["-s", "EF", *args]
    code, out, err = _run(capsys, data_csv, *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_saved_model_needs_a_start(capsys, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(DriftModel(-np.eye(2), [1.0, 1.0], np.eye(2)).to_dict()))
    code, _, err = _run(capsys, str(path))
    assert code == 2 and "--from is required" in err


def test_fit_holdout_option_reports_band_coverage(capsys, data_csv):
    with pytest.raises(SystemExit) as exc:
        main(["fit", data_csv, "--holdout", "0.3", "--format", "json", "--seed", "2"])
    assert int(exc.value.code or 0) == 0
    doc = json.loads(capsys.readouterr().out)
    check = doc["holdout"]
    assert check["fraction"] == 0.3 and check["level"] == 0.9 and set(check["by_strategy"]) == {"EF", "SF"}
    assert 0.6 < check["overall"] <= 1.0 and len(check["test_sessions"]) == 18
    with pytest.raises(SystemExit):
        main(["fit", data_csv, "--holdout", "0.3", "--seed", "2"])
    assert "Held-out coverage of 90% forecast bands" in capsys.readouterr().out
