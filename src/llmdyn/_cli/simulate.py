"""`llmdyn simulate`: forecast a strategy's next iterations, with bands and a fan chart."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ._common import OutputFormat, print_warning, split_names

if TYPE_CHECKING:  # pragma: no cover
    from ..dynamics import DriftModel, Forecast


class Boundary(str, enum.Enum):
    """What the simulated scores do at the walls of the feasible box."""

    none = "none"
    clip = "clip"
    reflect = "reflect"


class Method(str, enum.Enum):
    """How the bands are computed."""

    auto = "auto"
    exact = "exact"
    monte_carlo = "monte-carlo"


def parse_state(text: str, names: tuple[str, ...]) -> list[float]:
    """``"5,5,5"`` -> one value per objective, or a ConfigError that names them."""
    from ..errors import ConfigError

    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ConfigError(f"--from: expected numbers separated by commas such as 5,5,5, got {text!r}") from None
    if len(values) != len(names):
        raise ConfigError(f"--from: {len(values)} value(s) given, the model has {len(names)} objectives "
                          f"({', '.join(names)}); give one value per objective in that order")
    return values


def _saved_model(path: Path, strategy: str | None) -> tuple["DriftModel", str | None] | None:
    """A model from a JSON file: ``DriftModel.to_dict()`` or the ``llmdyn fit`` JSON; None if neither."""
    import json

    from ..dynamics import DriftModel
    from ..errors import ConfigError

    if path.suffix.lower() != ".json":
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # let the trajectory reader explain
    if not isinstance(doc, dict):
        return None
    if "A" in doc:
        return DriftModel.from_dict(doc), strategy
    fits = doc.get("strategies")
    if not isinstance(fits, dict) or not fits:
        return None
    if strategy is None:
        if len(fits) > 1:
            raise ConfigError(f"{path}: holds fits of strategies {', '.join(fits)}; choose one with --strategy")
        strategy = next(iter(fits))
    if strategy not in fits:
        raise ConfigError(f"{path}: no fit for strategy {strategy}; strategies in the file: {', '.join(fits)}")
    fit = fits[strategy]
    spec = {"A": fit.get("A"), "b": fit.get("b"), "Q": fit.get("Q"), "objectives": doc.get("objectives", ())}
    if fit.get("bounds") or doc.get("bounds"):
        spec["bounds"] = fit.get("bounds") or doc.get("bounds")
    if any(spec[k] is None for k in ("A", "b", "Q")):
        raise ConfigError(f"{path}: the fit of strategy {strategy} lacks A, b or Q")
    return DriftModel.from_dict(spec), strategy


def _fitted_model(path: Path, strategy: str | None, objectives: str | None,
                  bounds: tuple[float, float] | None) -> tuple["DriftModel", str, list[float]]:
    """Fit the strategy's drift from trajectories; also return its mean first state."""
    import numpy as np

    from ..dynamics import fit_drift, infer_bounds, load_trajectories
    from ..errors import ConfigError

    names = split_names([objectives] if objectives else None)
    traj = load_trajectories(path, objectives=names)
    if strategy is None:
        if len(traj.strategies) > 1:
            raise ConfigError(f"{path}: strategies {', '.join(traj.strategies)}; choose one with --strategy")
        strategy = traj.strategies[0]
    box = infer_bounds(traj) if bounds is None else bounds
    fit = fit_drift(traj, strategy, bounds=box)
    for w in fit.warnings:
        print_warning(w)
    firsts = [p.states[0] for p in traj.paths() if p.strategy == strategy]
    start = np.mean(firsts, axis=0).tolist() if firsts else []
    return fit.model, strategy, start


def _table(fc: "Forecast", markdown: bool) -> str:
    """Rows t, one column per objective: ``mean [lower, upper]``."""
    head = ["t", *fc.objectives]
    rows = [[str(t)] + [f"{fc.mean[t, j]:.2f} [{fc.lower[t, j]:.2f}, {fc.upper[t, j]:.2f}]"
                        for j in range(len(fc.objectives))] for t in range(fc.mean.shape[0])]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [head, *rows])


def fan_chart(fc: "Forecast", inner: "Forecast | None", out: Path, title: str) -> None:
    """One panel per objective: mean, the ``level`` band and an inner 50% band."""
    import numpy as np
    from matplotlib.figure import Figure

    n = len(fc.objectives)
    fig = Figure(figsize=(4.0 * n, 3.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharex=True))
    t = np.arange(fc.mean.shape[0])
    for j, ax in enumerate(axes):
        ax.fill_between(t, fc.lower[:, j], fc.upper[:, j], color="tab:blue", alpha=0.2,
                        label=f"{fc.level:.0%} band", linewidth=0)
        if inner is not None:
            ax.fill_between(t, inner.lower[:, j], inner.upper[:, j], color="tab:blue", alpha=0.35,
                            label=f"{inner.level:.0%} band", linewidth=0)
        ax.plot(t, fc.mean[:, j], color="tab:blue", label="mean")
        ax.set_title(fc.objectives[j])
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("score")
    axes[0].legend(loc="best", fontsize="small")
    fig.suptitle(title)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)


def command(
    data: Annotated[Path, typer.Argument(
        help="Trajectories (.csv, .parquet, .jsonl or an llmdyn store) to fit, or a saved model JSON "
             "(DriftModel.to_dict form, or the JSON of `llmdyn fit --format json`).")],
    strategy: Annotated[Optional[str], typer.Option(
        "--strategy", "-s", help="Strategy to forecast (needed when the data has several).")] = None,
    start: Annotated[Optional[str], typer.Option(
        "--from", help="Start state, one value per objective, e.g. 5,5,5 (default: the strategy's mean "
                       "first state in the data).")] = None,
    steps: Annotated[int, typer.Option("--steps", "-n", min=1, help="Iterations to forecast.")] = 10,
    paths: Annotated[int, typer.Option("--paths", min=1, help="Monte Carlo paths (with a boundary).")] = 10_000,
    boundary: Annotated[Boundary, typer.Option(
        "--boundary", help="none: exact Gaussian bands; clip or reflect: Monte Carlo inside the box.")] = Boundary.none,
    method: Annotated[Method, typer.Option("--method", help="auto, exact or monte-carlo.")] = Method.auto,
    level: Annotated[float, typer.Option("--level", help="Coverage of the bands.")] = 0.9,
    objectives: Annotated[Optional[str], typer.Option(
        "--objectives", "-o", help="Objective columns of the data, comma-separated.")] = None,
    bounds: Annotated[Optional[str], typer.Option(
        "--bounds", help="Feasible box lo,hi (default: 0,10 when the scores fit it, or the saved model's).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")] = OutputFormat.table,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Write the fan chart to this PNG file.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 0,
) -> None:
    """Forecast the next iterations of a strategy from a start state: mean and bands,
    exact where the model is unbounded, by Monte Carlo with a boundary."""
    import json

    from ..dynamics import DriftModel, compare_stationary, forecast_model
    from ..errors import ConfigError
    from ._common import parse_bounds

    box = parse_bounds(bounds)
    saved = _saved_model(data, strategy)
    if saved is not None:
        model, label = saved
        if box is not None:
            model = DriftModel(model.A, model.b, model.Q, model.objectives, bounds=box)
        default_start: list[float] = []
    else:
        model, label, default_start = _fitted_model(data, strategy, objectives, box)
    if start is not None:
        x0 = parse_state(start, model.objectives)
    elif default_start:
        x0 = default_start
    else:
        raise ConfigError("--from is required with a saved model; give the start state, one value per "
                          f"objective ({', '.join(model.objectives)}), e.g. --from {','.join('5' for _ in model.objectives)}")
    if boundary is not Boundary.none and any(not lo <= v <= hi for v, lo, hi in zip(x0, model.lower, model.upper)):
        raise ConfigError(f"--from {','.join(f'{v:g}' for v in x0)} lies outside the box "
                          f"{list(model.lower)}..{list(model.upper)}; use --bounds or a start inside it")
    if not 0.0 < level < 1.0:
        raise ConfigError(f"--level must lie strictly between 0 and 1, got {level}")

    def run(lvl: float) -> "Forecast":
        return forecast_model(model, x0, steps, lvl, boundary=boundary.value, method=method.value,
                              paths=paths, rng=seed)

    fc = run(level)
    stationary = compare_stationary(model)
    name = label or "model"
    if plot is not None:
        inner = run(0.5) if level > 0.5 else None
        fan_chart(fc, inner, plot, f"{name}: forecast from ({', '.join(f'{v:g}' for v in x0)})")
        typer.echo(f"wrote {plot}", err=True)
    if fmt is OutputFormat.json:
        from .._json import json_safe

        doc = {"strategy": label, "from": list(x0), "steps": steps, "source": str(data),
               "model": model.to_dict(), "forecast": fc.to_dict(), "stationary": stationary.to_dict()}
        typer.echo(json.dumps(json_safe(doc), indent=2, ensure_ascii=False, allow_nan=False))
        return
    how = "exact Gaussian" if fc.method == "exact" else f"Monte Carlo, {fc.paths} paths, boundary {fc.boundary}"
    typer.echo(f"Forecast of {name} from ({', '.join(f'{v:g}' for v in x0)}), {steps} iterations, "
               f"{level:.0%} bands ({how}):")
    typer.echo(_table(fc, fmt is OutputFormat.markdown))
    ratio = stationary.sd_ratio
    if ratio is not None:
        per = ", ".join(f"{o} {r:.2f}" for o, r in zip(model.objectives, ratio))
        typer.echo(f"Stationary sd of the h = 1 map over the continuous process (finite-step effect): {per}")
    elif stationary.discrete is None:
        typer.echo("The h = 1 map has no stationary distribution (max |1 + λ| >= 1).")
