"""`llmdyn steer ...`: adaptive policies, evaluated offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ._common import OutputFormat, print_warning

app = typer.Typer(help="Steer sessions with adaptive strategy policies.", no_args_is_help=True,
                  rich_markup_mode=None)

DEFAULT_POLICIES = "fixed:EF,fixed:SF,fixed:FF,fixed:AI,schedule:FF3-SF4-EF3-AI,phase,bandit,mpc"
_KINDS = ("fixed", "schedule", "phase", "bandit", "mpc")


def split_policies(values: list[str]) -> list[str]:
    """Policy specs from comma-separated option values.

    A comma starts a new spec only before a policy kind, so options inside a
    spec survive: ``"fixed:EF,mpc:3,utility=worst"`` is two specs.
    """
    out: list[str] = []
    for value in values:
        for piece in (p.strip() for p in value.split(",")):
            if not piece:
                continue
            head = piece.split(":", 1)[0].split("+", 1)[0].strip().lower()
            if head in _KINDS or not out:
                out.append(piece)
            else:
                out[-1] += "," + piece
    return out


def _parse_vector(text: str, n: int, what: str) -> list[float]:
    from ..errors import ConfigError

    try:
        vals = [float(v) for v in text.replace("/", ",").split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"{what}: expected {n} comma-separated numbers, got {text!r}") from None
    if len(vals) != n:
        raise ConfigError(f"{what}: expected {n} numbers (one per objective), got {len(vals)}")
    return vals


def fit_models(traj: Any, strategies: list[str] | None, bounds: Any) -> tuple[dict[str, Any], list[str]]:
    """A point-estimate DriftModel per strategy, and warnings for those that failed."""
    from ..dynamics import fit_models as fit_each
    from ..errors import ConfigError

    names = strategies or list(traj.strategies)
    unknown = [s for s in names if s not in traj.strategies]
    if unknown:
        raise ConfigError(f"--strategies: {', '.join(unknown)} not in the data (has {', '.join(traj.strategies)})")
    fitted = fit_each(traj, names, bounds=bounds)
    warnings = [f"strategy {s} left out: {why}" for s, why in fitted.failures.items()]
    if not fitted.models:
        raise ConfigError("no strategy could be fitted: " + "; ".join(warnings))
    return fitted.models, warnings


def _table(ev: Any, fmt: OutputFormat) -> str:
    """Policies as a text or Markdown table plus the verdict lines."""
    lvl = f"{ev.level:.0%}"
    head = ["policy", f"utility [{lvl}]", *[f"final {o}" for o in ev.objectives], "violations",
            "interventions/session"]
    if ev.uncertainty:
        head.append("win share")
    rows = []
    for r in sorted(ev.results, key=lambda r: -r.utility_mean):
        row = [r.policy, f"{r.utility_mean:.2f} [{r.utility_interval[0]:.2f}, {r.utility_interval[1]:.2f}]",
               *[f"{r.mean_final[o]:.2f}" for o in ev.objectives], f"{r.violation_share:.1%}",
               f"{r.interventions_per_session:.2f}"]
        if ev.uncertainty:
            row.append(f"{r.win_share:.0%}")
        rows.append(row)
    if fmt is OutputFormat.markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        fmt_row = (lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                          for i, (c, w) in enumerate(zip(cells, widths))))
        lines = [fmt_row(head), "  ".join("-" * w for w in widths)] + [fmt_row(r) for r in rows]
    u = ev.utility
    cons = ", ".join(f"{c['objective']} >= {c['lower']:g}" for c in u["constraints"]) or "none"
    world = (f"each path in one of {ev.uncertainty} session-bootstrap fits" if ev.uncertainty
             else "point-estimate fits (noise only)")
    lines += ["", f"{ev.paths} paths x {ev.steps} steps; utility: {u['kind']}; constraints: {cons}; "
                  f"models: {world}; triggers: {', '.join(ev.triggers) or 'none'}"]
    cmp = ev.comparison
    for key, label in (("runner_up", "runner-up"), ("best_fixed", "best fixed policy")):
        c = cmp.get(key)
        if c:
            win = c.get("replicate_win_share")
            extra = f", better in {win:.0%} of the fits" if win is not None else ""
            lines.append(f"{cmp['best']} beats the {label} {c['against']} by {c['difference']:+.2f} "
                         f"[{c['interval'][0]:+.2f}, {c['interval'][1]:+.2f}]{extra}")
    return "\n".join(lines)


@app.command("evaluate")
def evaluate(
    data: Annotated[Path, typer.Argument(help="Trajectories: a .csv, .parquet or .jsonl file, or an llmdyn store.")],
    policies: Annotated[list[str], typer.Option(
        "--policies", "-p", help="Policy specs, comma-separated or repeated "
        "(fixed:S, schedule:FF3-SF4-EF3-AI, phase, bandit[:thompson], mpc[:H]).")] = [DEFAULT_POLICIES],  # noqa: B006
    steps: Annotated[int, typer.Option("--steps", min=1, help="Iterations per simulated session.")] = 10,
    paths: Annotated[int, typer.Option("--paths", min=2, help="Simulated sessions per policy.")] = 10000,
    uncertainty: Annotated[int, typer.Option(
        "--uncertainty", min=0, help="Draw each path's models from N session-bootstrap fits (0: point fits).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the noise, starting states and bootstrap.")] = 0,
    utility: Annotated[str, typer.Option("--utility", help="weighted (mean of objectives) or worst.")] = "weighted",
    weights: Annotated[Optional[str], typer.Option("--weights", help="Weights per objective, e.g. 1,1,2.")] = None,
    constraints: Annotated[str, typer.Option(
        "--constraints", help="Floors, e.g. security>=2 ('default': security>=2 if present; 'none').")] = "default",
    triggers: Annotated[str, typer.Option(
        "--triggers", help="Triggers to count ('default': the paper's three; 'none'; or a list).")] = "default",
    x0: Annotated[Optional[str], typer.Option(
        "--x0", help="Starting state, e.g. 5,5,5 (default: the data's first states, resampled).")] = None,
    strategies: Annotated[Optional[str], typer.Option(
        "--strategies", help="Strategies to fit and steer among (default: all in the data).")] = None,
    objectives: Annotated[Optional[str], typer.Option("--objectives", "-o", help="Objective columns.")] = None,
    bounds: Annotated[Optional[str], typer.Option("--bounds", help="Feasible box lo,hi (default inferred).")] = None,
    level: Annotated[float, typer.Option("--level", help="Level of the utility intervals.")] = 0.9,
    boundary: Annotated[str, typer.Option(
        "--boundary", help="At the box's walls: clip (default), reflect or none.")] = "clip",
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")] = OutputFormat.table,
) -> None:
    """Simulate every policy on the drift models fitted to DATA and compare them:
    mean final state, utility with an interval, constraint violations, interventions."""
    import json

    import numpy as np

    from ..dynamics import bootstrap_fits, default_triggers, evaluate_policies, infer_bounds, load_trajectories
    from ..dynamics._triggers import make_triggers
    from ..dynamics._utility import make_utility
    from ..errors import ConfigError
    from .._json import json_safe
    from ._common import parse_bounds, split_names

    specs = split_policies(policies)
    if not specs:
        raise ConfigError("--policies: give at least one policy spec")
    traj = load_trajectories(data, objectives=split_names([objectives] if objectives else None))
    box = parse_bounds(bounds) or infer_bounds(traj)
    models, warnings = fit_models(traj, split_names([strategies] if strategies else None), box)
    objs = traj.objectives
    w = _parse_vector(weights, len(objs), "--weights") if weights else None
    cons: Any = None if constraints.strip().lower() in ("none", "") else constraints
    util = make_utility(objs, utility, w, cons)
    mode = triggers.strip().lower()
    trig = () if mode in ("none", "") else default_triggers(objs) if mode == "default" else make_triggers(triggers)
    if x0:
        start: Any = _parse_vector(x0, len(objs), "--x0")
    else:
        frame = traj.frame
        start = frame.loc[frame["t"] == frame.groupby("session")["t"].transform("min"), list(objs)].to_numpy()
    boots = None
    if uncertainty:
        boots = {}
        for i, s in enumerate(models):
            boots[s] = bootstrap_fits(traj, s, uncertainty, seed=seed + i)
    for msg in warnings:
        print_warning(msg)
    ev = evaluate_policies(models, specs, x0=np.asarray(start, dtype=float), steps=steps, paths=paths,
                           utility=util, triggers=trig, bootstrap=boots, uncertainty=uncertainty,
                           seed=seed, level=level, boundary=boundary)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(json_safe(ev.to_dict()), indent=2, ensure_ascii=False, allow_nan=False))
        return
    typer.echo(_table(ev, fmt))


def decision_log(store_path: Path, experiment: str | None = None) -> list[dict[str, Any]]:
    """Per step of every session: strategy, reason and trigger events; then how it ended.

    The rows of :func:`llmdyn.store.decision_frame` as plain dicts: a session
    the policy stopped gets a last row (``t`` = None) with the stop reason and
    the events that stopped it.
    """
    import pandas as pd

    from ..store import decision_frame

    frame = decision_frame(store_path, experiment)
    return [
        {"session": r.session, "t": None if r.t is pd.NA else int(r.t),
         "strategy": None if pd.isna(r.strategy) else r.strategy, "reason": r.reason,
         "events": r.events, "status": r.status, "policy": None if pd.isna(r.policy) else r.policy}
        for r in frame.itertuples(index=False)
    ]


@app.command("log")
def log(
    store: Annotated[Path, typer.Argument(help="An llmdyn store written by llmdyn run --policy ...")],
    experiment: Annotated[Optional[str], typer.Option("--experiment", "-e", help="Only this experiment.")] = None,
    events_only: Annotated[bool, typer.Option("--events", help="Only steps with trigger events.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")] = OutputFormat.table,
) -> None:
    """Show what a policy decided at every step: strategy, reason, trigger events."""
    import json

    rows = decision_log(store, experiment)
    if events_only:
        rows = [r for r in rows if r["events"]]
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no steps")
        return

    def ev(r: dict[str, Any]) -> str:
        return "; ".join(f"{e.get('name')} ({e.get('action')}): {e.get('message')}" for e in r["events"])

    head = ["session", "t", "strategy", "reason", "events"]
    body = [[r["session"], "end" if r["t"] is None else str(r["t"]), r["strategy"] or "-",
             r["reason"] if r["t"] is not None else f"stopped: {r['reason']}", ev(r)] for r in rows]
    if fmt is OutputFormat.markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    else:
        lines = ["\t".join(head)] + ["\t".join(r) for r in body]
    typer.echo("\n".join(lines))
