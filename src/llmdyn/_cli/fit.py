"""`llmdyn fit`: the full drift analysis of a trajectory file, as tables or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import OutputFormat, parse_bounds, print_warning, split_names


def command(
    data: Annotated[Path, typer.Argument(help="Trajectories: a .csv, .parquet or .jsonl file, or an llmdyn store.")],
    strategy: Annotated[Optional[list[str]], typer.Option(
        "--strategy", "-s", help="Strategy to fit (repeat or comma-separate); default all.")] = None,
    objectives: Annotated[Optional[str], typer.Option(
        "--objectives", "-o", help="Objective columns, comma-separated; default all numeric columns.")] = None,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", "-b", min=0, help="Session-bootstrap replicates for intervals (0: none).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and CV folds.")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")] = OutputFormat.table,
    bounds: Annotated[Optional[str], typer.Option(
        "--bounds", help="Feasible box lo,hi for every objective (default: 0,10 when the scores fit it).")] = None,
    level: Annotated[float, typer.Option("--level", help="Level of the bootstrap intervals.")] = 0.9,
    cv_folds: Annotated[int, typer.Option("--cv-folds", min=2, help="Folds of the session-grouped CV.")] = 5,
    skip_unfittable: Annotated[bool, typer.Option(
        "--skip-unfittable", help="Leave out strategies that cannot be fitted (named in a warning).")] = False,
    holdout: Annotated[float, typer.Option(
        "--holdout", min=0.0, max=0.95, help="Also fit on all but this share of each strategy's sessions and "
        "report how many held-out states fall inside the --level forecast bands (0: off).")] = 0.0,
) -> None:
    """Fit the drift of every strategy: rate, eigenvalues, regime, R², equilibrium,
    Pareto efficiency and the interference matrix."""
    import json

    from .._json import json_safe
    from ..dynamics import analyze, load_trajectories

    box = parse_bounds(bounds)
    traj = load_trajectories(data, objectives=split_names([objectives] if objectives else None))
    result = analyze(traj, strategies=split_names(strategy), bootstrap=bootstrap, seed=seed, bounds=box,
                     level=level, cv_folds=cv_folds, skip_unfittable=skip_unfittable)
    out = json_safe(result.to_dict())
    check = None
    if holdout > 0:
        from ..dynamics import holdout_coverage

        check = holdout_coverage(traj, list(out["strategies"]), fraction=holdout, level=level, seed=seed,
                                 bounds=box)
        out["holdout"] = json_safe(check.to_dict())
    for w in result.warnings:
        print_warning(w)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False))
        return
    from ..report import render_tables

    typer.echo(render_tables(out, fmt.value))
    if check is not None:
        typer.echo("\n" + check.summary())
