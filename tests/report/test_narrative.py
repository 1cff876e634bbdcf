from llmdyn.report._narrative import (
    diagnostic_narrative,
    drift_narrative,
    interference_narrative,
    strategy_narrative,
)
from llmdyn.report._tables import diagnostic_tables

from ._fixtures import analysis_dict


def test_strategy_sentences_follow_regime_rate_and_r2():
    lines = strategy_narrative(analysis_dict())
    sf, ef = lines[0], lines[1]
    assert sf.startswith("SF oscillates toward (security 7.2, efficiency 4.4, functionality 8.0)")
    assert "frequency 0.40 rad per iteration and decay rate 0.30" in sf
    assert "keeps 81% of the gap" in sf and "61% of the one-step changes in-sample (55% cross-validated)" in sf
    assert ef.startswith("EF converges without oscillating toward") and "overshoots" in ef
    assert "SF settles fastest (rate 0.30) and EF slowest (0.20)." in lines
    assert any(line.startswith("SF has the most Pareto-efficient trajectories: 42%") for line in lines)


def test_boundary_unstable_and_negative_cv():
    d = analysis_dict()
    sf = d["strategies"]["SF"]
    sf.update(regime="boundary", regime_reason="max Re λ is near zero", equilibrium_inside=False)
    sf["r2"]["cv"] = -0.2
    d["strategies"]["EF"]["discrete_stability"] = 1.3
    lines = strategy_narrative(d)
    assert lines[0].startswith("SF is drawn to the edge of the feasible box — max Re λ is near zero")
    assert "(outside the box)" in lines[0] and "predicts worse than the mean change" in lines[0]
    assert lines[1].startswith("EF does not settle: max |1+λ| = 1.30 ≥ 1")


def test_interference_sentences_name_the_trade_off():
    lines = interference_narrative(analysis_dict(intervals=True))
    assert lines[0] == ("Pooled: efficiency interferes most with security (-0.31, p < 0.001): in a step where one "
                        "improves, the other tends to drop; security and functionality move together "
                        "(+0.12, p = 0.020).")
    assert lines[1].startswith("SF: efficiency interferes most with security (-0.42)")
    weak = analysis_dict(intervals=True)
    weak["interference"]["p_values"]["pooled"][0][1] = weak["interference"]["p_values"]["pooled"][1][0] = 0.4
    assert "may be noise" in interference_narrative(weak)[0]


def test_drift_and_diagnostic_sentences():
    lines = drift_narrative(analysis_dict())
    assert lines[0].startswith("In SF, a higher efficiency raises the next change in security (+0.40 per point)")
    d = analysis_dict()
    d["ljung_box"] = {"pooled": {"objectives": ["security", "efficiency", "functionality"], "lags": 5,
                                 "statistic": [1.0, 30.0, 2.0], "p_value": [0.9, 0.0001, 0.7]}}
    d["warnings"] = ["all strategies pooled: Ljung–Box rejects white residuals for efficiency", "FF: few sessions"]
    diag = diagnostic_narrative(d, diagnostic_tables(d))
    assert diag[0].startswith("Residuals are autocorrelated for efficiency (pooled, p < 0.001)")
    assert "Warning: FF: few sessions" in diag and not any("Warning: all strategies" in x for x in diag)
