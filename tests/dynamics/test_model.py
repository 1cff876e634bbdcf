import numpy as np
import pytest

from llmdyn.dynamics import DriftModel, FixedPolicy, History
from llmdyn.errors import FitError


def test_diffusion_factor_reproduces_q():
    Q = np.array([[1.0, 0.3], [0.3, 0.5]])
    m = DriftModel(A=-np.eye(2), b=np.zeros(2), Q=Q)
    S = m.diffusion
    np.testing.assert_allclose(S @ S.T, Q, atol=1e-12)


def test_diffusion_of_singular_q():
    Q = np.array([[1.0, 1.0], [1.0, 1.0]])
    m = DriftModel(A=-np.eye(2), b=np.zeros(2), Q=Q)
    S = m.diffusion
    np.testing.assert_allclose(S @ S.T, Q, atol=1e-10)


def test_bad_shapes_are_named():
    with pytest.raises(FitError, match="b has shape"):
        DriftModel(A=np.eye(2), b=np.zeros(3), Q=np.eye(2))
    with pytest.raises(FitError, match="objective names"):
        DriftModel(A=np.eye(2), b=np.zeros(2), Q=np.eye(2), objectives=("a",))


def test_round_trip_dict():
    m = DriftModel(A=[[-0.5, 0.1], [0.0, -0.2]], b=[1, 2], Q=np.eye(2) * 0.1, objectives=("s", "e"))
    m2 = DriftModel.from_dict(m.to_dict())
    np.testing.assert_array_equal(m.A, m2.A)
    assert m2.objectives == ("s", "e")
    assert m2.bounds == ((0.0, 0.0), (10.0, 10.0))


def test_fixed_policy():
    h = History(states=np.zeros((1, 3)), strategies=(), objectives=("a", "b", "c"))
    d = FixedPolicy("EF").decide(h)
    assert d.strategy == "EF" and not d.stop
