"""The whole analysis of a set of trajectories: what ``llmdyn fit`` prints.

:func:`analyze` fits every strategy, computes interference (pooled and per
strategy), residual correlation, Ljung–Box whiteness, Pareto efficiency and
hypervolume, and optionally session-bootstrap intervals for all of it.
``Analysis.to_dict()`` is exactly the ``llmdyn fit --format json`` object; the
report layer and the demo read it, so their numbers equal the CLI's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import FitError
from ._bootstrap import BootstrapResult, bootstrap_arrays
from ._fit import DriftFit, fit_drift, strategy_label
from ._interference import (DESCRIPTIONS, RESIDUAL, STEP_CHANGE, InterferenceMatrix, LjungBox,
                            interference_matrix, ljung_box, residual_correlation)
from ._model import DEFAULT_BOUNDS, box_arrays
from ._pareto import ParetoSummary, pareto_summary
from ._trajectories import Trajectories, as_trajectories

WHITENESS_ALPHA = 0.01


def infer_bounds(traj: Trajectories) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The feasible box: [0, 10]^n when every score lies in it, else each
    objective's observed range (the scores are then on another scale)."""
    X = traj.states
    lo0, hi0 = DEFAULT_BOUNDS
    if X.size and X.min() >= lo0 and X.max() <= hi0:
        n = traj.n
        return (lo0,) * n, (hi0,) * n
    lo, hi = X.min(axis=0), X.max(axis=0)
    hi = np.where(hi > lo, hi, lo + 1.0)
    return tuple(lo.tolist()), tuple(hi.tolist())


def _seeds(seed: int, k: int) -> list[int]:
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(k)]


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything ``llmdyn fit`` reports, per strategy and pooled."""

    objectives: tuple[str, ...]
    bounds: tuple[tuple[float, ...], tuple[float, ...]]
    fits: dict[str, DriftFit]
    interference: InterferenceMatrix
    interference_by_strategy: dict[str, InterferenceMatrix]
    residual_correlation: dict[str, InterferenceMatrix]
    ljung_box: dict[str, LjungBox | None]
    pareto: ParetoSummary
    level: float = 0.9
    seed: int = 0
    bootstrap: dict[str, BootstrapResult] = field(default_factory=dict)
    pooled_bootstrap: BootstrapResult | None = None
    warnings: tuple[str, ...] = ()
    source: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def strategies(self) -> tuple[str, ...]:
        """The fitted strategies, in table order."""
        return tuple(self.fits)

    def to_dict(self) -> dict[str, Any]:
        """The ``llmdyn fit --format json`` object (issue shape plus extra keys)."""
        strategies: dict[str, Any] = {}
        for s, fit in self.fits.items():
            d = fit.to_dict()
            pe = self.pareto.by_strategy.get(s)
            d["pareto_efficiency"] = pe.trajectory_efficiency if pe else None
            d["final_state_efficiency"] = pe.final_efficiency if pe else None
            d["hypervolume"] = pe.hypervolume if pe else None
            d["hypervolume_share"] = pe.hypervolume_share if pe else None
            rc = self.residual_correlation[s]
            d["residual_correlation"] = rc.to_dict()["matrix"]
            d["residual_correlation_p_values"] = rc.to_dict()["p_values"]
            lb = self.ljung_box.get(s)
            d["ljung_box"] = lb.to_dict() if lb is not None else None
            if s in self.bootstrap:
                d["intervals"] = self.bootstrap[s].to_dict()
            strategies[s] = d

        by = {s: m.to_dict() for s, m in self.interference_by_strategy.items()}
        pooled = self.interference.to_dict()
        interference: dict[str, Any] = {
            "description": DESCRIPTIONS[STEP_CHANGE],
            "pooled": pooled["matrix"],
            "by_strategy": {s: v["matrix"] for s, v in by.items()},
            "p_values": {"pooled": pooled["p_values"], "by_strategy": {s: v["p_values"] for s, v in by.items()}},
            "n_transitions": {"pooled": pooled["n_transitions"],
                              "by_strategy": {s: v["n_transitions"] for s, v in by.items()}},
        }
        if "intervals" in pooled or any("intervals" in v for v in by.values()):
            interference["intervals"] = {
                "level": self.level,
                "pooled": {k: pooled["intervals"][k] for k in ("lower", "upper")} if "intervals" in pooled else None,
                "by_strategy": {s: {k: v["intervals"][k] for k in ("lower", "upper")}
                                for s, v in by.items() if "intervals" in v},
            }
        rc = {s: m.to_dict() for s, m in self.residual_correlation.items()}
        return {
            "objectives": list(self.objectives),
            "source": self.source,
            "bounds": [list(self.bounds[0]), list(self.bounds[1])],
            "level": self.level,
            "bootstrap": {"replicates": self.pooled_bootstrap.n_replicates if self.pooled_bootstrap else
                          (next(iter(self.bootstrap.values())).n_replicates if self.bootstrap else 0),
                          "seed": self.seed, "method": "session bootstrap, percentile intervals"},
            "strategies": strategies,
            "interference": interference,
            "residual_correlation": {
                "description": DESCRIPTIONS[RESIDUAL],
                "by_strategy": {s: v["matrix"] for s, v in rc.items()},
                "p_values": {"by_strategy": {s: v["p_values"] for s, v in rc.items()}},
            },
            "ljung_box": {s: (v.to_dict() if v is not None else None) for s, v in self.ljung_box.items()},
            "pareto": self.pareto.to_dict(),
            "hypervolume": {"final_states": self.pareto.hypervolume, "reference": list(self.pareto.reference),
                            "by_strategy": {s: p.hypervolume for s, p in self.pareto.by_strategy.items()}},
            "warnings": list(self.warnings),
            "skipped": dict(self.skipped),
        }


def _pooled_whiteness(fits: dict[str, DriftFit], objectives: tuple[str, ...]) -> LjungBox | None:
    """Ljung–Box over every strategy's residuals, sessions kept apart per strategy."""
    if not fits:
        return None
    offset = 0
    sessions, resid = [], []
    for fit in fits.values():
        sessions.append(np.asarray(fit.session) + offset)
        offset += int(np.max(fit.session, initial=0)) + 1
        resid.append(fit.residuals)
    return ljung_box(np.vstack(resid), np.concatenate(sessions), objectives)


def analyze(traj: Any, *, strategies: Sequence[str] | None = None, bootstrap: int = 0, seed: int = 0,
            bounds: Any = None, level: float = 0.9, cv_folds: int = 5,
            skip_unfittable: bool = False) -> Analysis:
    """Fit, compare and summarise every strategy of ``traj``.

    Parameters
    ----------
    traj : a :class:`Trajectories` (or a DataFrame / file path).
    strategies : strategies to analyse; default all that made transitions.
    bootstrap : session-bootstrap replicates per strategy (0: no intervals).
    seed : seeds cross-validation folds and the bootstrap.
    bounds : feasible box ``(lo, hi)``; None infers it (see :func:`infer_bounds`).
    level : level of the bootstrap intervals.
    cv_folds : folds of the session-grouped cross-validation.
    skip_unfittable : leave out strategies whose drift cannot be fitted (each
        is named in ``skipped`` and the warnings) instead of raising.

    Raises :class:`FitError` naming every strategy whose drift cannot be fitted
    (with ``skip_unfittable``: only when none can).
    """
    traj = as_trajectories(traj)
    if not 0.0 < level < 1.0:
        raise FitError(f"interval level must lie between 0 and 1, got {level}")
    if bootstrap < 0:
        raise FitError(f"--bootstrap must be 0 or more, got {bootstrap}")
    chosen = list(traj.strategies) if strategies is None else [str(s) for s in strategies]
    unknown = [s for s in chosen if s not in traj.strategies]
    if unknown:
        raise FitError(f"{traj.source}: no transitions for strategy {', '.join(unknown)}; "
                       f"strategies in the data: {', '.join(traj.strategies) or 'none'}")
    if not chosen:
        raise FitError(f"{traj.source}: no transitions to fit")
    lo, hi = infer_bounds(traj) if bounds is None else box_arrays(bounds, traj.n)
    box = (tuple(float(x) for x in lo), tuple(float(x) for x in hi))

    fits: dict[str, DriftFit] = {}
    skipped: dict[str, str] = {}
    for s in chosen:
        try:
            fits[s] = fit_drift(traj, s, bounds=box, cv_folds=cv_folds, seed=seed)
        except FitError as exc:
            skipped[s] = str(exc)
    if skipped and (not skip_unfittable or not fits):
        raise FitError("; ".join(skipped.values()))
    chosen = list(fits)

    objectives = traj.objectives
    warnings: list[str] = [f"skipped: {msg}" for msg in skipped.values()]
    warnings += [w for f in fits.values() for w in f.warnings]
    by_strategy = {s: interference_matrix(traj.transitions(s).dX, objectives) for s in chosen}
    pooled_tr = traj.transitions(chosen)
    pooled = interference_matrix(pooled_tr.dX, objectives)
    resid = {s: residual_correlation(f.model.Q, objectives, f.n_transitions) for s, f in fits.items()}
    whiteness: dict[str, LjungBox | None] = {s: ljung_box(f.residuals, f.session, objectives)
                                             for s, f in fits.items()}
    whiteness["pooled"] = _pooled_whiteness(fits, objectives)
    for s, lb in whiteness.items():
        if lb is not None and lb.rejected(WHITENESS_ALPHA):
            bad = ", ".join(f"{k} (p={lb.p_value[k]:.2g})" for k in lb.rejected(WHITENESS_ALPHA))
            scope = "all strategies pooled" if s == "pooled" else strategy_label(s)
            warnings.append(f"{scope}: Ljung–Box rejects white residuals for {bad}; "
                            f"the one-step Markov model misses memory")

    pareto = pareto_summary(traj, bounds=box, strategies=chosen)

    boots: dict[str, BootstrapResult] = {}
    pooled_boot = None
    if bootstrap > 0:
        seeds = _seeds(seed, len(chosen) + 1)
        for s, sd in zip(chosen, seeds):
            tr = traj.transitions(s)
            if fits[s].n_sessions < 2:
                warnings.append(f"{strategy_label(s)}: one session only; no bootstrap intervals")
                continue
            boots[s] = bootstrap_arrays(tr.X, tr.dX, tr.session, bootstrap, seed=sd, level=level,
                                        objectives=objectives, strategy=s)
            iv = boots[s].interval("interference")
            by_strategy[s] = by_strategy[s].with_intervals(iv.lower, iv.upper, level)
            if boots[s].n_failed:
                warnings.append(f"{strategy_label(s)}: {boots[s].n_failed} of {bootstrap} bootstrap replicates "
                                f"could not be fitted and were dropped")
        try:
            pooled_boot = bootstrap_arrays(pooled_tr.X, pooled_tr.dX, pooled_tr.session, bootstrap,
                                           seed=seeds[-1], level=level, objectives=objectives, strategy=None)
            iv = pooled_boot.interval("interference")
            pooled = pooled.with_intervals(iv.lower, iv.upper, level)
        except FitError as exc:
            warnings.append(f"no pooled bootstrap: {exc}")

    return Analysis(objectives=objectives, bounds=box, fits=fits, interference=pooled,
                    interference_by_strategy=by_strategy, residual_correlation=resid, ljung_box=whiteness,
                    pareto=pareto, level=level, seed=seed, bootstrap=boots, pooled_bootstrap=pooled_boot,
                    warnings=tuple(warnings), source=traj.source, skipped=skipped)
