"""The paper's tables, built from the plain analysis dict (numbers; see _render for text).

Every function here takes ``result``, the plain dict of
``llmdyn.dynamics.analyze(...).to_dict()`` (the object ``llmdyn fit --format
json`` prints), so the numbers a report shows are exactly those of ``llmdyn
fit``. Keys beyond the documented shape (intervals, standard errors, residual
correlation, Ljung–Box, hypervolume) are read when present and ignored when
not. The DataFrames keep numbers numeric; :func:`render_tables` formats them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

#: Column names of :func:`strategy_table` (those that are always there).
RATE = "rate"
RATE_LO = "rate low"
RATE_HI = "rate high"
MAX_STEP = "max |1+λ|"
R2_IN = "R² in-sample"
R2_CV = "R² CV"
PARETO = "Pareto efficiency"
FINAL_EFF = "final-state efficiency"
HV = "hypervolume share"

_DASH = "—"


# -- reading the dict defensively ---------------------------------------------
def _strategies(result: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    if not isinstance(result, Mapping):
        raise DataError(f"analysis result must be a dict (llmdyn fit --format json), got {type(result).__name__}")
    strategies = result.get("strategies")
    if not isinstance(strategies, Mapping):
        raise DataError("analysis result has no 'strategies' object; pass analyze(...).to_dict() or the JSON of llmdyn fit")
    return {str(k): v for k, v in strategies.items() if isinstance(v, Mapping)}


def objectives_of(result: Mapping[str, Any]) -> list[str]:
    """Objective names of ``result`` (from ``"objectives"``, else x0, x1, …)."""
    names = result.get("objectives")
    if isinstance(names, Sequence) and not isinstance(names, str) and names:
        return [str(n) for n in names]
    for s in _strategies(result).values():
        b = s.get("b")
        if isinstance(b, Sequence):
            return [f"x{i}" for i in range(len(b))]
    return []


def _num(value: Any) -> float:
    """A float, or NaN for missing / non-numeric values."""
    if isinstance(value, Mapping):
        for key in ("value", "estimate", "overall", "mean"):
            if key in value:
                return _num(value[key])
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _bounds(value: Any) -> tuple[Any, Any] | None:
    """``(lower, upper)`` from ``{"lower", "upper"}``-like dicts or a pair."""
    if isinstance(value, Mapping):
        for lo, hi in (("lower", "upper"), ("lo", "hi"), ("low", "high")):
            if lo in value and hi in value:
                return value[lo], value[hi]
        return None
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        return value[0], value[1]
    return None


def _first(mapping: Mapping[str, Any] | None, *keys: str) -> Any:
    if not isinstance(mapping, Mapping):
        return None
    for key in keys:
        if key in mapping and mapping[key] is not None:
            return mapping[key]
    return None


def _eigenvalues(s: Mapping[str, Any]) -> np.ndarray:
    vals = s.get("eigenvalues") or []
    out = []
    for v in vals:
        if isinstance(v, Mapping):
            out.append(complex(_num(v.get("re")), _num(v.get("im", 0.0))))
        elif isinstance(v, Sequence) and len(v) == 2:
            out.append(complex(_num(v[0]), _num(v[1])))
        else:
            out.append(complex(_num(v), 0.0))
    return np.asarray(out, dtype=complex)


def eigenvalues_of(result: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Eigenvalues of every strategy's A as complex arrays."""
    return {name: _eigenvalues(s) for name, s in _strategies(result).items()}


def _fmt_complex_list(lams: np.ndarray, digits: int = 3) -> str:
    """``-0.42±0.31i, -0.80``: a conjugate pair is written once."""
    if lams.size == 0:
        return _DASH
    order = np.lexsort((-np.abs(lams.imag), -lams.real))
    parts: list[str] = []
    used = np.zeros(lams.size, dtype=bool)
    for i in order:
        if used[i]:
            continue
        used[i] = True
        lam = lams[i]
        if abs(lam.imag) > 1e-12:
            for j in order:  # drop the conjugate partner
                if not used[j] and abs(lams[j] - np.conj(lam)) < 1e-9 * max(1.0, abs(lam)):
                    used[j] = True
                    break
            parts.append(f"{lam.real:.{digits}f}±{abs(lam.imag):.{digits}f}i")
        else:
            parts.append(f"{lam.real:.{digits}f}")
    return ", ".join(parts)


def _fmt_vector(v: Any, digits: int = 2) -> str:
    try:
        arr = np.asarray(v, dtype=float).ravel()
    except (TypeError, ValueError):
        return _DASH
    if arr.size == 0:
        return _DASH
    return "(" + ", ".join(f"{x:.{digits}f}" for x in arr) + ")"


def _max_step(s: Mapping[str, Any]) -> float:
    val = _num(s.get("discrete_stability"))
    if math.isnan(val):
        lams = _eigenvalues(s)
        if lams.size:
            val = float(np.max(np.abs(1.0 + lams)))
    return val


def _r2(s: Mapping[str, Any], which: str) -> float:
    r2 = s.get("r2")
    if not isinstance(r2, Mapping):
        return math.nan
    return _num(r2.get(which))


def _pareto_of(result: Mapping[str, Any], strategy: str) -> Mapping[str, Any] | None:
    block = result.get("pareto")
    if not isinstance(block, Mapping):
        return None
    by = block.get("by_strategy")
    entry = by.get(strategy) if isinstance(by, Mapping) else None
    return entry if isinstance(entry, Mapping) else None


def _intervals(s: Mapping[str, Any]) -> Mapping[str, Any] | None:
    iv = s.get("intervals")
    return iv if isinstance(iv, Mapping) else None


# -- the tables -----------------------------------------------------------------
def strategy_table(result: Mapping[str, Any]) -> pd.DataFrame:
    """One row per strategy: the paper's summary table.

    Columns: sessions, transitions, rate (with ``rate low``/``rate high`` when
    the result carries bootstrap intervals), eigenvalues, regime (``(overshoot)``
    appended when a real λ < −1 makes the h = 1 map alternate), ``max |1+λ|``,
    R² in-sample and cross-validated, equilibrium, Pareto efficiency, and
    hypervolume when present.
    """
    rows: dict[str, dict[str, Any]] = {}
    any_interval = False
    for name, s in _strategies(result).items():
        row: dict[str, Any] = {
            "sessions": s.get("n_sessions"),
            "transitions": s.get("n_transitions"),
            RATE: _num(s.get("convergence_rate")),
        }
        iv = _bounds(_first(_intervals(s), "convergence_rate", "rate"))
        if iv is not None:
            any_interval = True
            row[RATE_LO], row[RATE_HI] = _num(iv[0]), _num(iv[1])
        regime = str(s.get("regime") or _DASH)
        if s.get("overshoot"):
            regime += " (overshoot)"
        row.update(
            {
                "eigenvalues": _fmt_complex_list(_eigenvalues(s)),
                "regime": regime,
                MAX_STEP: _max_step(s),
                R2_IN: _r2(s, "in_sample"),
                R2_CV: _r2(s, "cv"),
                "equilibrium": _fmt_vector(s.get("equilibrium")),
                PARETO: _num(s.get("pareto_efficiency")),
            }
        )
        pareto = _pareto_of(result, name)
        final_eff = _first(s, "final_state_efficiency", "final_efficiency")
        if final_eff is None:
            final_eff = _first(pareto, "final_efficiency")
        if final_eff is not None:
            row[FINAL_EFF] = _num(final_eff)
        hv = _first(s, "hypervolume_share", "hypervolume")
        if hv is None:
            hv = _first(pareto, "hypervolume_share")
        if hv is not None:
            row[HV] = _num(hv)
        rows[name] = row
    columns = ["sessions", "transitions", RATE]
    if any_interval:
        columns += [RATE_LO, RATE_HI]
    columns += ["eigenvalues", "regime", MAX_STEP, R2_IN, R2_CV, "equilibrium", PARETO]
    columns += [c for c in (FINAL_EFF, HV) if any(c in r for r in rows.values())]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    df.index.name = "strategy"
    for col in ("sessions", "transitions"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
    level = _num(result.get("level"))
    for s in _strategies(result).values():
        if math.isnan(level):
            level = _num(_first(_intervals(s), "level"))
    if not math.isnan(level):
        df.attrs["level"] = level
    return df


def _matrix(value: Any, names: list[str]) -> pd.DataFrame | None:
    if isinstance(value, Mapping):
        value = _first(value, "matrix", "value", "values", "corr", "estimate")
    if value is None:
        return None
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    n = len(names)
    if arr.shape != (n, n):
        return None
    return pd.DataFrame(arr, index=list(names), columns=list(names))


def _side(block: Any, key: str, strategy: str | None) -> Any:
    """Find ``key`` for pooled (``strategy=None``) or one strategy in a block."""
    if not isinstance(block, Mapping):
        return None
    if strategy is None:
        inner = block.get("pooled")
        if isinstance(inner, Mapping) and key in inner:
            return inner[key]
        val = block.get(key)
        if isinstance(val, Mapping):
            return val.get("pooled")
        return None
    inner = _first(block.get("by_strategy"), strategy)
    if isinstance(inner, Mapping) and key in inner:
        return inner[key]
    val = block.get(key)
    if isinstance(val, Mapping):
        by = val.get("by_strategy")
        return by.get(strategy) if isinstance(by, Mapping) else val.get(strategy)
    return None


def _attach(df: pd.DataFrame, names: list[str], p: Any, iv: Any) -> pd.DataFrame:
    pm = _matrix(p, names)
    if pm is not None:
        df.attrs["p_values"] = pm
    bounds = _bounds(iv)
    if bounds is not None:
        lo, hi = _matrix(bounds[0], names), _matrix(bounds[1], names)
        if lo is not None and hi is not None:
            df.attrs["lower"], df.attrs["upper"] = lo, hi
    return df


def interference_tables(result: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Interference matrices ``corr(ΔX_i, ΔX_j)`` (diagonal 0), pooled first.

    Keys: ``"pooled"`` then each strategy. Each DataFrame is square over the
    objectives; when the result has them, ``df.attrs["p_values"]`` and
    ``df.attrs["lower"]`` / ``df.attrs["upper"]`` hold p-values and bootstrap
    interval bounds as DataFrames of the same shape.
    """
    names = objectives_of(result)
    block = result.get("interference")
    strategies = _strategies(result)
    out: dict[str, pd.DataFrame] = {}
    if not isinstance(block, Mapping):
        return out
    pooled = _matrix(block.get("pooled"), names)
    if pooled is not None:
        out["pooled"] = _attach(
            pooled,
            names,
            _first(block.get("pooled") if isinstance(block.get("pooled"), Mapping) else None, "p_values")
            or _side(block, "p_values", None),
            _first(block.get("pooled") if isinstance(block.get("pooled"), Mapping) else None, "interval", "intervals")
            or _side(block, "intervals", None),
        )
    by = block.get("by_strategy") if isinstance(block.get("by_strategy"), Mapping) else {}
    for name in list(strategies) + [k for k in by if k not in strategies]:
        entry = by.get(name)
        if entry is None:
            entry = _first(strategies.get(name), "interference")
        df = _matrix(entry, names)
        if df is None:
            continue
        e = entry if isinstance(entry, Mapping) else None
        s_iv = _intervals(strategies.get(name, {})) or {}
        out[name] = _attach(
            df,
            names,
            _first(e, "p_values") or _side(block, "p_values", name),
            _first(e, "interval", "intervals") or _side(block, "intervals", name) or s_iv.get("interference"),
        )
    return out


def drift_tables(result: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Per strategy, the fitted drift ``[A | b]``: row i is the equation of ΔX_i.

    Columns are the objectives (entries of A) and ``b``. When present,
    ``df.attrs["se"]`` holds standard errors and ``df.attrs["lower"]`` /
    ``df.attrs["upper"]`` bootstrap bounds, in the same layout.
    """
    names = objectives_of(result)
    out: dict[str, pd.DataFrame] = {}
    for name, s in _strategies(result).items():
        try:
            A = np.asarray(s.get("A"), dtype=float)
            b = np.asarray(s.get("b"), dtype=float)
        except (TypeError, ValueError):
            continue
        n = len(names)
        if A.shape != (n, n) or b.shape != (n,):
            continue
        df = pd.DataFrame(np.column_stack([A, b]), index=list(names), columns=[*names, "b"])
        df.index.name = "ΔX of"
        se = s.get("se") if isinstance(s.get("se"), Mapping) else s.get("standard_errors")
        se_A = _first(se, "A") if isinstance(se, Mapping) else s.get("se_A")
        se_b = _first(se, "b") if isinstance(se, Mapping) else s.get("se_b")
        try:
            if se_A is not None and se_b is not None:
                df.attrs["se"] = pd.DataFrame(
                    np.column_stack([np.asarray(se_A, float), np.asarray(se_b, float)]), index=df.index, columns=df.columns
                )
        except ValueError:
            pass
        iv = _intervals(s)
        a_iv, b_iv = _bounds(_first(iv, "A")), _bounds(_first(iv, "b"))
        try:
            if a_iv is not None and b_iv is not None:
                for k, side in (("lower", 0), ("upper", 1)):
                    df.attrs[k] = pd.DataFrame(
                        np.column_stack([np.asarray(a_iv[side], float), np.asarray(b_iv[side], float)]),
                        index=df.index,
                        columns=df.columns,
                    )
        except ValueError:
            pass
        out[name] = df
    return out


def diagnostic_tables(result: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Model checks when the result has them.

    ``"residual correlation <S>"``: correlation of the one-step residuals (from
    Q) — how the noise of two objectives moves together, unlike interference,
    which correlates the whole step changes. ``"Ljung–Box"``: whiteness of the
    pooled residuals per objective (small p: the one-step model misses memory).
    """
    names = objectives_of(result)
    out: dict[str, pd.DataFrame] = {}
    for name, s in _strategies(result).items():
        df = _matrix(_first(s, "residual_correlation", "residual_corr"), names)
        if df is None:  # Q is always there: its correlation is the same thing
            df = _corr_from_cov(s.get("Q"), names)
        if df is not None:
            pm = _matrix(_first(s, "residual_correlation_p_values"), names)
            if pm is not None:
                df.attrs["p_values"] = pm
            out[f"residual correlation {name}"] = df
    rows = _ljung_box_rows(_first(result, "ljung_box", "whiteness"), names)
    seen = {r["scope"] for r in rows}
    for name, s in _strategies(result).items():
        block = _first(s, "ljung_box", "whiteness")
        if isinstance(block, Mapping) and name not in seen:
            rows += _ljung_box_rows({name: block}, names)
    if rows:
        out["Ljung–Box"] = pd.DataFrame(rows).set_index("scope")
    return out


def _corr_from_cov(Q: Any, names: list[str]) -> pd.DataFrame | None:
    cov = _matrix(Q, names)
    if cov is None:
        return None
    sd = np.sqrt(np.clip(np.diag(cov.to_numpy()), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov.to_numpy() / np.outer(sd, sd)
    np.fill_diagonal(corr, 0.0)
    return pd.DataFrame(corr, index=cov.index, columns=cov.columns)


def _ljung_box_rows(lb: Any, names: list[str]) -> list[dict[str, Any]]:
    """Flatten a Ljung–Box block to rows of (scope, objective stats, p)."""
    if not isinstance(lb, Mapping):
        return []
    rows: list[dict[str, Any]] = []

    def one(scope: str, block: Mapping[str, Any]) -> None:
        p = block.get("p_value", block.get("p_values", block.get("pvalue")))
        stat = block.get("statistic", block.get("stat", block.get("q")))
        if p is None:
            return
        p_arr = np.atleast_1d(np.asarray(p, dtype=float))
        st_arr = np.atleast_1d(np.asarray(stat, dtype=float)) if stat is not None else np.full(p_arr.shape, np.nan)
        objs = block.get("objectives")
        objs = [str(o) for o in objs] if isinstance(objs, Sequence) and len(objs) == p_arr.size else names
        for i, pv in enumerate(p_arr):
            rows.append(
                {
                    "scope": scope,
                    "objective": objs[i] if i < len(objs) and p_arr.size == len(objs) else str(i),
                    "lag": block.get("lag", block.get("lags")),
                    "statistic": float(st_arr[i]) if i < st_arr.size else math.nan,
                    "p-value": float(pv),
                }
            )

    if any(k in lb for k in ("p_value", "p_values", "pvalue")):
        one("pooled", lb)
    else:
        for key, block in lb.items():
            if isinstance(block, Mapping):
                if any(k in block for k in ("p_value", "p_values", "pvalue")):
                    one(str(key), block)
                else:
                    for sub, inner in block.items():
                        if isinstance(inner, Mapping):
                            one(str(sub), inner)
    return rows
