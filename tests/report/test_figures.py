import matplotlib
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.image import AxesImage
from matplotlib.patches import Circle
from matplotlib.quiver import Quiver

from llmdyn.dynamics._trajectories import Trajectories
from llmdyn.errors import DataError
from llmdyn.report import (
    eigenvalue_figure,
    interference_figure,
    pareto_figure,
    phase_portrait_figure,
    trajectory_figure,
)

from ._fixtures import OBJECTIVES, analysis_dict, synthetic_frame


@pytest.fixture(scope="module")
def traj():
    return Trajectories.from_frame(synthetic_frame(np.random.default_rng(7), n_sessions=12, steps=6))


def _labels(ax):
    return [a.get_label() for a in ax.get_children()]


def test_trajectory_figure_panels_bands_and_forecast(traj):
    fig = trajectory_figure(traj, analysis_dict())
    assert [ax.get_title() for ax in fig.axes] == OBJECTIVES
    for ax in fig.axes:
        labels = [line.get_label() for line in ax.get_lines()]
        assert {"SF observed", "SF forecast", "EF observed", "EF forecast"} <= set(labels)
        bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bands) == 2
        obs = next(line for line in ax.get_lines() if line.get_label() == "SF observed")
        assert list(obs.get_xdata()) == list(range(7))


def test_forecast_follows_the_mean_recursion(traj):
    res = analysis_dict()
    fig = trajectory_figure(traj, res, strategies=["EF"])
    ax = fig.axes[0]
    fc = next(line for line in ax.get_lines() if line.get_label() == "EF forecast")
    s = res["strategies"]["EF"]
    A, b = np.asarray(s["A"]), np.asarray(s["b"])
    frame = traj.frame
    m = frame[(frame.strategy == "EF") & (frame.t == 0)][OBJECTIVES].mean().to_numpy()
    expect = [m[0]]
    for _ in range(6):
        m = m + A @ m + b
        expect.append(m[0])
    np.testing.assert_allclose(fc.get_ydata(), expect, rtol=1e-8)
    assert not any(line.get_label().startswith("SF") for line in ax.get_lines())


def test_trajectory_figure_without_a_model(traj):
    fig = trajectory_figure(traj.frame)
    assert all("forecast" not in line.get_label() for ax in fig.axes for line in ax.get_lines())


def test_phase_portrait_rows_pairs_quiver_and_equilibrium(traj):
    fig = phase_portrait_figure(traj, analysis_dict(), max_paths=5)
    assert len(fig.axes) == 2 * 3  # strategies x pairs
    ax = fig.axes[0]
    assert ax.get_xlabel() == "security" and ax.get_ylabel() == "efficiency"
    assert sum(isinstance(c, Quiver) for c in ax.collections) == 1
    stars = [line for line in ax.get_lines() if line.get_label().startswith("equilibrium")]
    assert len(stars) == 1
    np.testing.assert_allclose([stars[0].get_xdata()[0], stars[0].get_ydata()[0]], [7.2, 4.4])
    paths = [c for c in ax.collections if c.get_label() == "SF observed paths"]
    assert len(paths) == 1 and len(paths[0].get_segments()) == 5  # subsampled
    assert all(seg.shape == (7, 2) for seg in paths[0].get_segments())


def test_phase_portrait_marks_equilibrium_outside_the_box(traj):
    res = analysis_dict()
    res["strategies"]["SF"]["equilibrium"] = [14.0, 4.0, 8.0]
    fig = phase_portrait_figure(traj, res, pairs=[("security", "efficiency")], strategies=["SF"])
    star = next(line for line in fig.axes[0].get_lines() if line.get_label().startswith("equilibrium"))
    assert star.get_label() == "equilibrium (outside the box)"
    assert star.get_xdata()[0] == 10.0


def test_phase_portrait_needs_two_objectives(traj):
    with pytest.raises(DataError, match="two objectives"):
        phase_portrait_figure(traj.select(objectives=["security"]), analysis_dict())


def test_eigenvalue_figure_has_the_stability_disc():
    fig = eigenvalue_figure(analysis_dict())
    ax = fig.axes[0]
    discs = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(discs) == 1
    assert discs[0].center == (-1.0, 0.0) and discs[0].radius == 1.0
    offsets = {c.get_label(): c.get_offsets() for c in ax.collections}
    assert set(offsets) >= {"SF", "EF"}
    np.testing.assert_allclose(sorted(offsets["SF"][:, 1]), [-0.4, 0.0, 0.4])


def test_interference_figure_diverging_centred_at_zero():
    fig = interference_figure(analysis_dict())
    heat = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in heat] == ["pooled", "SF", "EF"]
    img = heat[0].images[0]
    assert isinstance(img, AxesImage)
    assert img.norm.vcenter == 0.0 and img.norm.vmin == -1.0 and img.norm.vmax == 1.0
    data = img.get_array()
    assert np.ma.is_masked(data[0, 0]) or np.isnan(data[0, 0])
    assert data[0, 1] == pytest.approx(-0.31)
    assert len(fig.axes) == 4  # three heatmaps and one colour bar


def test_pareto_figure_front_and_colours(traj):
    fig = pareto_figure(traj, analysis_dict())
    assert len(fig.axes) == 3
    ax = fig.axes[0]
    labels = [c.get_label() for c in ax.collections]
    assert "SF" in labels and "EF" in labels
    assert any(lbl.endswith("(non-dominated)") for lbl in labels)
    assert [line.get_label() for line in ax.get_lines()] == ["2-D front"]
    colours = {c.get_label(): tuple(c.get_facecolor()[0][:3]) for c in ax.collections}
    assert colours["SF"] != colours["EF"]
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == 24  # every final state drawn once


def test_figures_do_not_touch_pyplot(traj):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    trajectory_figure(traj, analysis_dict())
    assert plt.get_fignums() == before
    assert matplotlib.get_backend().lower() == "agg"
