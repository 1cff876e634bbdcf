"""Spectrum, regime and equilibrium against closed forms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmdyn.dynamics import DriftModel, classify_regime, equilibrium_of, spectrum_of


def _model(A, x_star=(5.0, 5.0), bounds=(0.0, 10.0)) -> DriftModel:
    A = np.asarray(A, dtype=float)
    return DriftModel(A=A, b=-A @ np.asarray(x_star, dtype=float), Q=0.1 * np.eye(len(A)), bounds=bounds)


def test_spectrum_closed_form():
    A = np.array([[-0.3, -0.5], [0.5, -0.3]])  # λ = −0.3 ± 0.5i
    s = spectrum_of(A)
    np.testing.assert_allclose(s.eigenvalues, [-0.3 + 0.5j, -0.3 - 0.5j])
    assert s.convergence_rate == pytest.approx(0.3)
    assert s.discrete_stability == pytest.approx(abs(0.7 + 0.5j))
    assert s.stable and s.continuous_stable
    d = s.to_dict()
    assert d["eigenvalues"][0] == {"re": pytest.approx(-0.3), "im": pytest.approx(0.5)}
    json.dumps(d, allow_nan=False)


def test_eigenvalues_sorted_largest_real_part_first():
    s = spectrum_of(np.diag([-0.9, -0.1, -0.5]))
    np.testing.assert_allclose(s.eigenvalues.real, [-0.1, -0.5, -0.9])
    np.testing.assert_allclose(s.real_parts, [-0.9, -0.5, -0.1])
    assert s.convergence_rate == pytest.approx(0.1)


def test_discrete_instability_although_continuous_stable():
    s = spectrum_of(np.diag([-2.5, -0.2]))
    assert s.continuous_stable and not s.stable
    assert s.discrete_stability == pytest.approx(1.5)


def test_exponential_regime():
    r = classify_regime(_model(np.diag([-0.4, -0.2])))
    assert r.kind == "exponential" and not r.overshoot
    assert "rate 0.2" in r.reason


def test_oscillatory_regime_frequency_and_decay():
    r = _model([[-0.3, -0.5], [0.5, -0.3]]).regime()
    assert r.kind == "oscillatory"
    assert r.frequency == pytest.approx(0.5) and r.decay == pytest.approx(0.3)
    assert "−0.3 ± 0.5i" in r.reason


def test_boundary_regime_near_zero_and_unstable():
    r = classify_regime(_model(np.diag([-0.4, -0.02])))
    assert r.kind == "boundary" and "within 0.05 of zero" in r.reason
    assert classify_regime(_model(np.diag([-0.4, -0.02])), zero_tol=0.01).kind == "exponential"
    r = classify_regime(_model(np.diag([-0.4, 0.1])))
    assert r.kind == "boundary" and "≥ 0" in r.reason


def test_boundary_regime_equilibrium_outside_box():
    m = _model(np.diag([-0.4, -0.3]), x_star=(12.0, 5.0))
    eq = m.equilibrium()
    assert not eq.inside and eq.violations == ("x0 > 10",)
    assert eq.distance == pytest.approx(2.0)
    r = m.regime()
    assert r.kind == "boundary" and "outside the box (x0 > 10)" in r.reason


def test_overshoot_flag():
    r = classify_regime(_model(np.diag([-1.4, -0.3])))
    assert r.kind == "exponential" and r.overshoot
    assert "period-2" in r.reason


def test_equilibrium_closed_form_and_singular():
    A = np.array([[-0.5, 0.1], [0.2, -0.4]])
    b = np.array([2.0, 1.0])
    eq = equilibrium_of(DriftModel(A=A, b=b, Q=np.eye(2)))
    np.testing.assert_allclose(eq.point, -np.linalg.solve(A, b))
    assert eq.inside and eq.distance == 0.0 and not eq.singular
    sing = equilibrium_of(DriftModel(A=np.diag([-0.5, 0.0]), b=np.array([2.0, 0.0]), Q=np.eye(2)))
    assert sing.singular
    np.testing.assert_allclose(sing.point, [4.0, 0.0])
    assert equilibrium_of(DriftModel(A=np.diag([-0.5, 0.0]), b=np.array([2.0, 0.0]), Q=np.eye(2))).to_dict()[
        "singular"] is True


def test_a_pair_that_barely_turns_is_exponential_not_oscillatory():
    import numpy as np

    from llmdyn.dynamics import DriftModel

    def pair(re: float, im: float) -> DriftModel:
        A = np.array([[re, -im], [im, re]])
        return DriftModel(A=A, b=-A @ np.array([5.0, 5.0]), Q=0.1 * np.eye(2))

    slow_turn = pair(-0.34, 0.012)  # 0.035 rad per e-fold of decay: no visible swing
    assert slow_turn.regime().kind == "exponential"
    assert pair(-0.26, 0.19).regime().kind == "oscillatory"
    assert slow_turn.regime(imag_rel_tol=0.0).kind == "oscillatory"
