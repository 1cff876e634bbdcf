"""A short plain-language reading of each table, generated from the numbers.

Every sentence is derived from the analysis dict (the ``llmdyn fit --format
json`` object), so the text can never disagree with the tables beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._tables import _eigenvalues, _first, _max_step, _num, _pareto_of, _strategies, objectives_of


def _state(names: list[str], point: Any) -> str:
    try:
        vals = np.asarray(point, dtype=float).ravel()
    except (TypeError, ValueError):
        return "an undetermined point"
    if vals.size != len(names) or not np.all(np.isfinite(vals)):
        return "an undetermined point"
    return ", ".join(f"{n} {v:.1f}" for n, v in zip(names, vals))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _strategy_sentence(name: str, s: Mapping[str, Any], names: list[str]) -> str:
    regime = str(s.get("regime") or "")
    lams = _eigenvalues(s)
    rate = _num(s.get("convergence_rate"))
    step = _max_step(s)
    eq = _state(names, s.get("equilibrium"))
    outside = s.get("equilibrium_inside") is False
    where = f"({eq}{', outside the feasible box' if outside else ''})"
    if not math.isnan(step) and step >= 1.0:
        head = f"{name} does not settle: max |1+λ| = {step:.2f} ≥ 1, so some direction grows or keeps alternating each iteration"
    elif regime == "oscillatory":
        freq = float(np.max(np.abs(lams.imag))) if lams.size else math.nan
        head = (f"{name} oscillates toward {where}: it spirals in with frequency {freq:.2f} rad per iteration "
                f"and decay rate {rate:.2f}")
    elif regime == "boundary":
        reason = str(s.get("regime_reason") or "").strip().rstrip(".")
        head = f"{name} is drawn to the edge of the feasible box" + (f" — {reason}" if reason else "")
        head += f"; its fitted equilibrium is {eq}{' (outside the box)' if outside else ''}"
    elif regime == "exponential":
        head = f"{name} converges without oscillating toward {where} at rate {rate:.2f}"
    else:
        head = f"{name} moves toward {where} at rate {rate:.2f}"
    if not math.isnan(step) and 0.0 < step < 1.0:
        half = math.log(2.0) / -math.log(step)
        head += f"; its slowest mode keeps {_pct(step)} of the gap each iteration (half-way in about {half:.1f} iterations)"
    if s.get("overshoot"):
        head += "; with one step per iteration it overshoots (a real eigenvalue below −1 makes the step alternate)"
    r2 = s.get("r2") if isinstance(s.get("r2"), Mapping) else {}
    r_in, r_cv = _num(r2.get("in_sample")), _num(r2.get("cv"))
    if not math.isnan(r_in):
        if math.isnan(r_cv):
            cv = ""
        elif r_cv < 0:
            cv = f"; out of sample it predicts worse than the mean change (cross-validated R² {r_cv:.2f})"
        else:
            cv = f" ({_pct(r_cv)} cross-validated)"
        head += f". The model explains {_pct(r_in)} of the one-step changes in-sample{cv}"
    return head + "."


def strategy_narrative(result: Mapping[str, Any]) -> list[str]:
    """Sentences about each strategy's dynamics, then a comparison."""
    names = objectives_of(result)
    strategies = _strategies(result)
    out = [_strategy_sentence(k, s, names) for k, s in strategies.items()]
    rates = {k: _num(s.get("convergence_rate")) for k, s in strategies.items()}
    rates = {k: v for k, v in rates.items() if not math.isnan(v)}
    if len(rates) > 1:
        fast, slow = max(rates, key=rates.get), min(rates, key=rates.get)  # type: ignore[arg-type]
        out.append(f"{fast} settles fastest (rate {rates[fast]:.2f}) and {slow} slowest ({rates[slow]:.2f}).")
    eff = {k: _num(s.get("pareto_efficiency")) for k, s in strategies.items()}
    eff = {k: v for k, v in eff.items() if not math.isnan(v)}
    if len(eff) > 1:
        best = max(eff, key=eff.get)  # type: ignore[arg-type]
        out.append(f"{best} has the most Pareto-efficient trajectories: {_pct(eff[best])} of its states are not "
                   f"dominated by another state of the same session.")
    hv = {k: _num(_first(_pareto_of(result, k), "hypervolume_share")) for k in strategies}
    hv = {k: v for k, v in hv.items() if not math.isnan(v)}
    if len(hv) > 1:
        best = max(hv, key=hv.get)  # type: ignore[arg-type]
        out.append(f"Judged by final states, {best} covers the largest hypervolume ({_pct(hv[best])} of the box).")
    return out


def _pairs(matrix: np.ndarray) -> list[tuple[int, int]]:
    n = matrix.shape[0]
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _p_note(p: np.ndarray | None, i: int, j: int) -> str:
    if p is None or not np.isfinite(p[i, j]):
        return ""
    pv = float(p[i, j])
    return ", " + _p_text(pv) + ("" if pv < 0.05 else ", not significant at 5%")


def matrix_sentence(scope: str, df: Any) -> str:
    """The strongest trade-off and the strongest synergy in an interference table."""
    m = df.to_numpy(dtype=float)
    names = list(df.columns)
    p = df.attrs.get("p_values")
    p = p.to_numpy(dtype=float) if p is not None else None
    pairs = [(i, j) for i, j in _pairs(m) if np.isfinite(m[i, j])]
    if not pairs:
        return f"{scope}: no interference could be estimated."
    neg = min(pairs, key=lambda ij: m[ij])
    pos = max(pairs, key=lambda ij: m[ij])
    parts = []
    if m[neg] < -0.05:
        a, b = names[neg[0]], names[neg[1]]
        weak = p is not None and np.isfinite(p[neg]) and p[neg] >= 0.05
        if weak:
            parts.append(f"the strongest trade-off, {b} against {a} ({m[neg]:+.2f}{_p_note(p, *neg)}), "
                         f"may be noise")
        else:
            parts.append(f"{b} interferes most with {a} ({m[neg]:+.2f}{_p_note(p, *neg)}): in a step where one "
                         f"improves, the other tends to drop")
    if m[pos] > 0.05:
        a, b = names[pos[0]], names[pos[1]]
        parts.append(f"{a} and {b} move together ({m[pos]:+.2f}{_p_note(p, *pos)})")
    if not parts:
        return f"{scope}: the objectives change nearly independently (all |corr| ≤ 0.05)."
    return f"{scope}: " + "; ".join(parts) + "."


def interference_narrative(result: Mapping[str, Any]) -> list[str]:
    """One sentence per interference table (pooled first)."""
    from ._tables import interference_tables

    return [matrix_sentence("Pooled" if k == "pooled" else k, df) for k, df in interference_tables(result).items()]


def drift_narrative(result: Mapping[str, Any]) -> list[str]:
    """Per strategy, the strongest cross-effect in A (how one objective moves another)."""
    names = objectives_of(result)
    out = []
    for k, s in _strategies(result).items():
        try:
            A = np.asarray(s.get("A"), dtype=float)
        except (TypeError, ValueError):
            continue
        if A.shape != (len(names), len(names)) or len(names) < 2:
            continue
        off = A.copy()
        np.fill_diagonal(off, 0.0)
        i, j = np.unravel_index(int(np.argmax(np.abs(off))), off.shape)
        if abs(off[i, j]) < 1e-12:
            out.append(f"In {k} each objective evolves on its own (A is diagonal).")
            continue
        verb = "raises" if off[i, j] > 0 else "lowers"
        se_A = s.get("se_A")
        note = ""
        try:
            se = float(np.asarray(se_A, dtype=float)[i, j]) if se_A is not None else math.nan
        except (TypeError, ValueError, IndexError):
            se = math.nan
        if np.isfinite(se) and se > 0:
            note = f", {abs(off[i, j]) / se:.1f} standard errors from 0"
        out.append(f"In {k}, a higher {names[j]} {verb} the next change in {names[i]} "
                   f"({off[i, j]:+.2f} per point{note}); self-correction is strongest for "
                   f"{names[int(np.argmin(np.diag(A)))]} (A = {float(np.min(np.diag(A))):.2f}).")
    return out


def diagnostic_narrative(result: Mapping[str, Any], diagnostics: Mapping[str, Any]) -> list[str]:
    """Residual whiteness (Ljung–Box) and warnings of the fit, in words."""
    out = []
    lb = diagnostics.get("Ljung–Box")
    if lb is not None and len(lb):
        bad = lb[lb["p-value"] < 0.05]
        if len(bad):
            which = ", ".join(f"{r.objective} ({scope}, {_p_text(r['p-value'])})" for scope, r in bad.iterrows())
            out.append(f"Residuals are autocorrelated for {which}: the one-step model misses some memory there; "
                       f"treat its forecasts beyond one step with care.")
        else:
            out.append("The residuals look white (Ljung–Box p ≥ 0.05 for every objective): "
                       "the one-step Markov model is adequate.")
    seen: set[str] = set()
    for w in [*(result.get("warnings") or []), *(w for s in _strategies(result).values() for w in s.get("warnings") or [])]:
        if lb is not None and len(lb) and "Ljung" in str(w):
            continue  # said above, from the table
        if str(w) not in seen:
            seen.add(str(w))
            out.append(f"Warning: {w}")
    if any(key.startswith("residual correlation") for key in diagnostics):
        out.append("Residual correlation is the correlation of the model's one-step errors (from Q): it shows which "
                   "objectives share noise once the drift is accounted for, unlike interference, which correlates the "
                   "whole step changes.")
    return out
