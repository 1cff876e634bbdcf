import json
import math

import numpy as np
import pytest

from llmdyn.errors import DataError
from llmdyn.report import drift_tables, interference_tables, render_tables, strategy_table
from llmdyn.report._tables import diagnostic_tables

from ._fixtures import OBJECTIVES, analysis_dict


def test_strategy_table_has_the_paper_columns():
    df = strategy_table(analysis_dict())
    assert list(df.index) == ["SF", "EF"]
    assert df.loc["SF", "sessions"] == 40 and df.loc["EF", "transitions"] == 342
    assert df.loc["SF", "rate"] == pytest.approx(0.3)
    assert df.loc["SF", "eigenvalues"] == "-0.300±0.400i, -0.500"
    assert df.loc["EF", "eigenvalues"] == "-0.200, -0.600, -1.200"
    assert df.loc["EF", "regime"] == "exponential (overshoot)"
    assert df.loc["SF", "regime"] == "oscillatory"
    assert df.loc["SF", "max |1+λ|"] == pytest.approx(0.806225774829855)
    assert df.loc["SF", "R² in-sample"] == pytest.approx(0.61)
    assert math.isnan(df.loc["EF", "R² CV"])  # None in the JSON stays missing
    assert df.loc["SF", "equilibrium"] == "(7.20, 4.40, 8.00)"
    assert df.loc["EF", "Pareto efficiency"] == pytest.approx(0.37)
    assert "rate low" not in df.columns


def test_strategy_table_with_intervals():
    df = strategy_table(analysis_dict(intervals=True))
    assert df.loc["SF", "rate low"] == pytest.approx(0.25)
    assert df.loc["SF", "rate high"] == pytest.approx(0.37)
    assert df.attrs["level"] == 0.9


def test_max_step_from_eigenvalues_when_missing():
    d = analysis_dict()
    del d["strategies"]["SF"]["discrete_stability"]
    df = strategy_table(d)
    lams = np.array([-0.3 + 0.4j, -0.3 - 0.4j, -0.5])
    assert df.loc["SF", "max |1+λ|"] == pytest.approx(np.abs(1 + lams).max())


def test_interference_tables_pooled_and_per_strategy():
    tables = interference_tables(analysis_dict(intervals=True))
    assert list(tables) == ["pooled", "SF", "EF"]
    pooled = tables["pooled"]
    assert list(pooled.columns) == OBJECTIVES
    assert pooled.loc["security", "efficiency"] == pytest.approx(-0.31)
    assert pooled.attrs["p_values"].loc["security", "efficiency"] == pytest.approx(1e-4)
    assert tables["SF"].loc["security", "efficiency"] == pytest.approx(-0.42)


def test_drift_tables_are_A_with_b():
    tables = drift_tables(analysis_dict())
    sf = tables["SF"]
    assert list(sf.columns) == [*OBJECTIVES, "b"]
    assert sf.loc["security", "efficiency"] == pytest.approx(0.4)
    assert sf.loc["functionality", "b"] == pytest.approx(4.0)


def test_residual_correlation_from_Q():
    diag = diagnostic_tables(analysis_dict())
    rc = diag["residual correlation SF"]
    assert rc.loc["security", "efficiency"] == pytest.approx(0.05 / (0.5 * 0.6))
    assert rc.loc["security", "security"] == 0.0


def test_render_markdown_and_text_contain_numbers():
    d = analysis_dict(intervals=True)
    md = render_tables(d, "markdown")
    assert "### Strategies" in md and "### Interference (pooled)" in md
    assert "0.300 [0.250, 0.370]" in md
    assert "-0.310 (p <0.001)" in md
    assert md.count("\n| SF |") >= 1
    text = render_tables(d, "table")
    for token in ("Strategies", "Interference (pooled)", "Drift [A | b] (SF)", "oscillatory", "0.806"):
        assert token in text
    assert "\x1b[" not in text  # plain text, no escape codes


def test_render_survives_a_json_round_trip():
    d = json.loads(json.dumps(analysis_dict()))
    assert render_tables(d, "markdown") == render_tables(analysis_dict(), "markdown")


def test_bad_inputs_are_named():
    with pytest.raises(DataError, match="strategies"):
        strategy_table({"objectives": ["a"]})
    with pytest.raises(DataError, match="format"):
        render_tables(analysis_dict(), "html5")
