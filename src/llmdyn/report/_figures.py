"""The report's figures: one function each, returning a matplotlib Figure.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot
state), so they are safe to make in a loop or a server and are freed with the
object. Large inputs are reduced first (:mod:`._figdata`): trajectories are
aggregated with a groupby, and only a seeded subsample of paths is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from ..dynamics import as_trajectories, nondominated_mask
from ._figdata import (
    bounds_of,
    colors_for,
    finite,
    forecast_mean,
    front_2d,
    labelled_frame,
    model_of,
    objective_pairs,
    sample_sessions,
    strategy_order,
    trajectory_summary,
)
from ._tables import eigenvalues_of, interference_tables


def _fixed_figure(nrows: int, ncols: int, size: tuple[float, float], *, left: float = 0.75, right: float = 0.2,
                  bottom: float = 0.6, top: float = 0.65, wgap: float = 0.7, hgap: float = 0.75) -> tuple[Figure, Any]:
    """A figure whose margins are fixed in inches (no layout engine: fast to draw).

    ``size`` is one panel's (width, height) including its share of the gaps.
    """
    width, height = size[0] * ncols, size[1] * nrows
    fig = Figure(figsize=(width, height))
    pw = (width - left - right - wgap * (ncols - 1)) / ncols
    ph = (height - bottom - top - hgap * (nrows - 1)) / nrows
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
                        wspace=wgap / pw, hspace=hgap / ph)
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _grid(n_panels: int, ncols: int, size: tuple[float, float] = (3.8, 3.2), **margins: float) -> tuple[Figure, list[Any]]:
    ncols = max(1, min(ncols, n_panels))
    nrows = -(-n_panels // ncols)
    fig, grid = _fixed_figure(nrows, ncols, size, **margins)
    axes = grid.ravel().tolist()
    for ax in axes[n_panels:]:
        fig.delaxes(ax)
    return fig, axes[:n_panels]


def trajectory_figure(
    data: Any,
    result: Mapping[str, Any] | None = None,
    *,
    strategies: Sequence[str] | None = None,
    forecast: bool = True,
    ncols: int = 3,
) -> Figure:
    """Objective trajectories per strategy: mean and interquartile band over t.

    One panel per objective, one colour per strategy (sessions grouped by
    their nominal strategy). With ``result`` and ``forecast``, the fitted
    model's mean forecast from the strategy's mean start is drawn dashed.
    """
    traj = as_trajectories(data)
    frame = labelled_frame(traj)
    order = strategy_order(result, traj)
    present = set(frame["label"].unique())
    names = [s for s in (list(strategies) if strategies is not None else order) if s in present]
    colors = colors_for(order)
    objs = list(traj.objectives)
    summary = trajectory_summary(frame, objs)
    starts = frame.groupby(["label", "t"], sort=True)[objs].mean()  # mean state per (strategy, t)
    forecasts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s in names:  # one forecast per strategy, from its mean first state
        model = model_of(result, s) if forecast else None
        ts = starts.loc[s].index.to_numpy()
        if model is not None and len(ts) > 1:
            x0 = starts.loc[(s, ts.min())].to_numpy(dtype=float)
            forecasts[s] = (np.arange(ts.min(), ts.max() + 1), forecast_mean(model, x0, int(ts.max() - ts.min())))
    fig, axes = _grid(len(objs), ncols)
    for k, (ax, obj) in enumerate(zip(axes, objs)):
        part = summary[summary["objective"] == obj]
        for s in names:
            rows = part[part["label"] == s]
            c = colors.get(s, "k")
            t = rows["t"].to_numpy()
            ax.fill_between(t, rows["q25"], rows["q75"], color=c, alpha=0.18, linewidth=0, label=f"{s} IQR")
            ax.plot(t, rows["mean"], color=c, lw=1.8, label=f"{s} observed")
            if s in forecasts:
                tf, mean = forecasts[s]
                ax.plot(tf, mean[:, k], color=c, lw=1.4, ls="--", label=f"{s} forecast")
        ax.set_title(obj)
        ax.set_xlabel("iteration t")
        ax.set_ylabel("score")
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=colors.get(s, "k"), lw=2, label=s) for s in names]
    handles += [Line2D([], [], color="0.3", lw=1.8, label="observed mean (band: IQR)")]
    if forecast and result is not None:
        handles += [Line2D([], [], color="0.3", lw=1.4, ls="--", label="model forecast")]
    axes[0].legend(handles=handles, fontsize=8, loc="best")
    fig.suptitle("Objective trajectories by strategy")
    return fig


def phase_portrait_figure(
    data: Any,
    result: Mapping[str, Any],
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    strategies: Sequence[str] | None = None,
    max_paths: int = 40,
    grid: int = 13,
    seed: int = 0,
) -> Figure:
    """Phase portraits: one row per strategy, one column per objective pair.

    Each panel shows up to ``max_paths`` observed session paths (a seeded
    subsample), the fitted drift field ``A x + b`` as arrows — the other
    objectives held at the equilibrium, clipped to the box — and the
    equilibrium X* (a hollow star when it lies outside the box, drawn at the
    nearest edge).
    """
    traj = as_trajectories(data)
    frame = labelled_frame(traj)
    objs = list(traj.objectives)
    chosen = objective_pairs(objs, pairs)
    order = strategy_order(result, traj)
    present = set(frame["label"].unique())
    names = [s for s in (list(strategies) if strategies is not None else order) if s in present]
    colors = colors_for(order)
    lo, hi = bounds_of(result, len(objs))
    fig, axes = _fixed_figure(max(1, len(names)), len(chosen), (3.7, 3.5))
    for r, s in enumerate(names):
        model = model_of(result, s)
        eq = None
        if model is not None:
            stored = result.get("strategies", {}).get(s, {}).get("equilibrium")  # the result's own X* wins
            usable = stored is not None and all(finite(v) for v in stored)
            eq = np.asarray(stored if usable else model.equilibrium().point, dtype=float)
        paths = sample_sessions(frame, s, max_paths, seed)
        for c, (a, b) in enumerate(chosen):
            ax = axes[r][c]
            i, j = objs.index(a), objs.index(b)
            segments = [g[[a, b]].to_numpy(dtype=float) for g in paths]
            ax.add_collection(LineCollection(segments, colors=colors.get(s, "k"), linewidths=0.7, alpha=0.35,
                                             label=f"{s} observed paths"))
            if model is not None:
                _quiver(ax, model, eq, i, j, lo, hi, grid)
                _mark_equilibrium(ax, eq, i, j, lo, hi)
            pad_i, pad_j = 0.03 * (hi[i] - lo[i]), 0.03 * (hi[j] - lo[j])
            ax.set_xlim(lo[i] - pad_i, hi[i] + pad_i)
            ax.set_ylim(lo[j] - pad_j, hi[j] + pad_j)
            ax.set_xlabel(a)
            ax.set_ylabel(b)
            ax.set_title(f"{s}: {a} vs {b}", fontsize=10)
    fig.suptitle("Phase portraits: observed paths and fitted drift field")
    return fig


def _quiver(ax: Any, model: Any, eq: np.ndarray, i: int, j: int, lo: np.ndarray, hi: np.ndarray, grid: int) -> None:
    gx, gy = np.meshgrid(np.linspace(lo[i], hi[i], grid), np.linspace(lo[j], hi[j], grid))
    base = np.clip(eq, lo, hi) if eq is not None and np.all(np.isfinite(eq)) else (lo + hi) / 2
    X = np.broadcast_to(base, (gx.size, base.size)).copy()
    X[:, i], X[:, j] = gx.ravel(), gy.ravel()
    d = model.drift(X)
    ax.quiver(gx, gy, d[:, i].reshape(gx.shape), d[:, j].reshape(gx.shape), color="0.45", alpha=0.7,
              angles="xy", width=0.004, label="drift field")


def _mark_equilibrium(ax: Any, eq: np.ndarray | None, i: int, j: int, lo: np.ndarray, hi: np.ndarray) -> None:
    if eq is None or not np.all(np.isfinite(eq[[i, j]])):
        return
    p = np.array([eq[i], eq[j]])
    box_lo, box_hi = lo[[i, j]], hi[[i, j]]
    inside = bool(np.all((p >= box_lo) & (p <= box_hi)))
    q = np.clip(p, box_lo, box_hi)
    ax.plot(q[0], q[1], marker="*", ms=15, mec="k", mfc="gold" if inside else "none", mew=1.2, ls="none",
            label="equilibrium" if inside else "equilibrium (outside the box)", zorder=5)


def eigenvalue_figure(result: Mapping[str, Any]) -> Figure:
    """Eigenvalues of every strategy's A in the complex plane.

    The shaded disc ``|1 + λ| < 1`` (centre −1, radius 1) is where the h = 1
    map is stable; left of −2 on the real axis the map overshoots.
    """
    lams = eigenvalues_of(result)
    colors = colors_for(list(lams))
    fig, grid = _fixed_figure(1, 1, (5.6, 4.8), top=0.4)
    ax = grid[0][0]
    ax.add_patch(Circle((-1.0, 0.0), 1.0, facecolor="tab:green", alpha=0.10, edgecolor="tab:green", lw=1.2,
                        label="|1+λ| < 1 (stable step)"))
    ax.axvline(0.0, color="0.5", lw=0.8, ls=":")
    ax.axhline(0.0, color="0.5", lw=0.8, ls=":")
    pts = [np.array([-2.0 + 0j, 0.0 + 1j, 0.0 - 1j])]
    markers = "osD^vP*X"
    for k, (s, lam) in enumerate(lams.items()):
        if lam.size == 0:
            continue
        ax.scatter(lam.real, lam.imag, s=55, color=colors[s], marker=markers[k % len(markers)], edgecolor="k",
                   linewidth=0.6, zorder=4, label=s)
        pts.append(lam)
    allp = np.concatenate(pts)
    span = max(np.ptp(allp.real), np.ptp(allp.imag), 1.0)
    mid = np.array([(allp.real.max() + allp.real.min()) / 2, (allp.imag.max() + allp.imag.min()) / 2])
    half = 0.5 * span + 0.25
    ax.set_xlim(mid[0] - half, mid[0] + half)
    ax.set_ylim(mid[1] - half, mid[1] + half)
    ax.set_aspect("equal")
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    ax.set_title("Eigenvalues of the drift matrix A")
    ax.legend(fontsize=8, loc="best")
    return fig


def interference_figure(result: Mapping[str, Any], *, ncols: int = 3) -> Figure:
    """Interference heatmaps, pooled and per strategy, on one colour scale.

    Diverging map centred at 0 (red: trade-off, blue: objectives move
    together), fixed to [−1, 1] so panels compare; the diagonal is blank.
    """
    tables = interference_tables(result)
    if not tables:
        from ..errors import DataError

        raise DataError("the analysis result has no interference matrices to draw")
    fig, axes = _grid(len(tables), ncols, size=(3.9, 3.5), left=1.05, right=1.25, wgap=1.15, bottom=0.95, hgap=1.2)
    norm = TwoSlopeNorm(vmin=-1.0, vcenter=0.0, vmax=1.0)
    image = None
    for ax, (key, df) in zip(axes, tables.items()):
        m = df.to_numpy(dtype=float).copy()
        np.fill_diagonal(m, np.nan)
        image = ax.imshow(m, cmap="RdBu", norm=norm)
        names = list(df.columns)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        for (i, j), v in np.ndenumerate(m):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8, color="white" if abs(v) > 0.6 else "black")
        ax.set_title("pooled" if key == "pooled" else key)
    if image is not None:
        w, h = fig.get_size_inches()
        cax = fig.add_axes((1 - 1.0 / w, 0.2, 0.18 / w, 0.6))
        fig.colorbar(image, cax=cax, label="corr(ΔXᵢ, ΔXⱼ)")
    fig.suptitle("Interference between objectives (negative: trade-off)")
    return fig


def pareto_figure(
    data: Any,
    result: Mapping[str, Any] | None = None,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    max_points: int = 4000,
    seed: int = 0,
    ncols: int = 3,
) -> Figure:
    """Final states of all sessions coloured by strategy, with the Pareto front.

    One panel per objective pair. States not dominated among all final states
    (in all n objectives) are outlined; the grey step line is the 2-D front of
    the panel's projection. At most ``max_points`` dominated states are drawn.
    """
    traj = as_trajectories(data)
    finals = traj.final_states()
    objs = list(traj.objectives)
    chosen = objective_pairs(objs, pairs) if len(objs) > 1 else []
    pts = finals[objs].to_numpy(dtype=float)
    nd = nondominated_mask(pts)
    keep = nd.copy()
    dominated = np.flatnonzero(~nd)
    if dominated.size > max_points:
        dominated = np.random.default_rng(seed).choice(dominated, size=max_points, replace=False)
    keep[dominated] = True
    colors = colors_for(strategy_order(result, traj))
    labels = finals["strategy"].to_numpy()
    if not chosen:  # one objective: a strip of final values
        fig, axes = _grid(1, 1)
        ax = axes[0]
        for s in colors:
            sel = keep & (labels == s)
            ax.scatter(pts[sel, 0], np.full(sel.sum(), list(colors).index(s)), color=colors[s], s=14, label=s)
        ax.set_xlabel(objs[0])
        return fig
    fig, axes = _grid(len(chosen), ncols)
    for ax, (a, b) in zip(axes, chosen):
        i, j = objs.index(a), objs.index(b)
        for s in colors:
            sel = keep & (labels == s) & ~nd
            if sel.any():
                ax.scatter(pts[sel, i], pts[sel, j], color=colors[s], s=12, alpha=0.55, linewidth=0, label=s)
            sel = labels == s
            sel_nd = nd & sel
            if sel_nd.any():
                ax.scatter(pts[sel_nd, i], pts[sel_nd, j], color=colors[s], s=42, edgecolor="k", linewidth=1.0,
                           zorder=4, label=f"{s} (non-dominated)")
        front = front_2d(pts[:, [i, j]])
        ax.step(front[:, 0], front[:, 1], where="post", color="0.35", lw=1.2, label="2-D front")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], marker="o", ls="none", color=colors[s], label=s) for s in colors if (labels == s).any()]
    handles += [Line2D([], [], marker="o", ls="none", mfc="none", mec="k", label="non-dominated (all objectives)"),
                Line2D([], [], color="0.35", label="front of this projection")]
    axes[0].legend(handles=handles, fontsize=8, loc="best")
    fig.suptitle(f"Final states of {len(finals)} sessions and the Pareto front (higher is better)")
    return fig
