"""One self-contained HTML report (plus optional Markdown and JSON) from data.

The page embeds its figures as data URIs and its CSS inline, and links to
nothing outside itself, so it reads the same offline, attached to an e-mail
or archived beside a paper. Its numbers come from one call of
``llmdyn.dynamics.analyze(...).to_dict()`` — the object ``llmdyn fit --format
json`` prints — which is embedded in the page as JSON.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from .._json import json_safe
from ..errors import DataError
from ._figures import eigenvalue_figure, interference_figure, pareto_figure, phase_portrait_figure, trajectory_figure
from ._narrative import diagnostic_narrative, drift_narrative, interference_narrative, strategy_narrative
from ._render import display_generic, display_matrix, display_strategy_table
from ._steering import SteeringSummary, load_decisions, steering_summary
from ._tables import _strategies, diagnostic_tables, drift_tables, interference_tables, objectives_of, strategy_table

_DASH = "—"


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote, and how long it took."""

    html: Path
    markdown: Path | None
    json: Path | None
    n_sessions: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "html": str(self.html),
            "markdown": str(self.markdown) if self.markdown else None,
            "json": str(self.json) if self.json else None,
            "n_sessions": self.n_sessions,
            "seconds": self.seconds,
        }


def analysis_json(result: Mapping[str, Any], indent: int | None = 2) -> str:
    """The analysis dict as strict JSON (what ``--json FILE`` writes)."""
    return json.dumps(json_safe(result), indent=indent, ensure_ascii=False)


def figure_data_uri(fig: Any, fmt: str = "png", dpi: int = 100) -> str:
    """Render a figure to a ``data:`` URI (PNG or SVG) and free its canvas."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Software": None} if fmt == "png" else {"Creator": None})
    fig.clear()
    mime = {"png": "image/png", "svg": "image/svg+xml"}.get(fmt)
    if mime is None:
        raise DataError(f"unknown image format {fmt!r}; use 'png' or 'svg'")
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def _table(key: str, title: str, display: Any, note: str = "", text: bool = False) -> dict[str, Any]:
    header = [str(display.index.name or "")] + [str(c) for c in display.columns]
    rows = [[str(idx), *[str(v) for v in row]] for idx, row in zip(display.index, display.to_numpy().tolist())]
    return {"key": key, "title": title, "header": header, "rows": rows, "note": note, "text": text}


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[str], None]]:
    """A step callback; shows a rich progress bar on stderr when enabled."""
    if not enabled:
        yield lambda _desc: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("report", total=total)

        def step(desc: str) -> None:
            bar.update(task, advance=1, description=desc)

        yield step


def _pareto_reading(traj: Any) -> list[str]:
    from ..dynamics import nondominated_mask

    finals = traj.final_states()
    pts = finals[list(traj.objectives)].to_numpy(dtype=float)
    nd = nondominated_mask(pts)
    counts = finals.loc[nd, "strategy"].value_counts()
    totals = finals["strategy"].value_counts()
    parts = ", ".join(f"{s} {int(counts.get(s, 0))} of {int(totals[s])}" for s in totals.index)
    return [f"Of {len(finals)} final states, {int(nd.sum())} are not dominated by another session's final state "
            f"(higher is better on every objective): {parts}."]


def _strategy_tables(st: Any) -> list[dict[str, Any]]:
    """The strategy summary, split in two so each fits a page's width."""
    from ._tables import FINAL_EFF, HV, PARETO

    disp = display_strategy_table(st)
    wide = [c for c in ("eigenvalues", "equilibrium", PARETO, FINAL_EFF, HV) if c in disp.columns]
    return [
        _table("strategies", "Strategy summary", disp.drop(columns=wide),
               "rate = −max Re λ (convergence rate); max |1+λ| < 1: the one-step map is stable; R² of the one-step "
               "change ΔX, in-sample and by session-grouped cross-validation (CV)."),
        _table("spectrum", "Spectrum, equilibrium and Pareto", disp[wide],
               "Eigenvalues of A (a conjugate pair written once as a ± bi); equilibrium X* = −A⁻¹b; Pareto efficiency: "
               "share of states not dominated within their own session; final-state efficiency: share of final "
               "states not dominated among all sessions; hypervolume share of the feasible box."),
    ]


def build_sections(result: Mapping[str, Any], traj: Any, *, image_format: str = "png", dpi: int = 100,
                   max_paths: int = 40, seed: int = 0, step: Callable[[str], None] = lambda _d: None,
                   steering: SteeringSummary | None = None) -> list[dict[str, Any]]:
    """The report's sections: readings, tables and figures (as data URIs).

    ``steering`` (from a store with policy runs) adds the Steering section.
    """
    def fig(key: str, make: Callable[[], Any], caption: str) -> dict[str, Any]:
        step(f"figure: {key}")
        return {"key": key, "uri": figure_data_uri(make(), image_format, dpi), "alt": caption, "caption": caption}

    st = strategy_table(result)
    inter = interference_tables(result)
    drift = drift_tables(result)
    diag = diagnostic_tables(result)
    multi = len(traj.objectives) > 1
    sections = [
        {"id": "strategies", "title": "Strategies", "reading": strategy_narrative(result),
         "tables": _strategy_tables(st),
         "figures": [fig("eigenvalues", lambda: eigenvalue_figure(result),
                         "Eigenvalues of each strategy's drift matrix A; inside the shaded disc |1+λ| < 1 the "
                         "one-step map is stable.")]},
        {"id": "trajectories", "title": "Trajectories", "reading": [
            "Solid lines are the mean score over sessions at each iteration, bands the interquartile range; dashed "
            "lines are the fitted model's mean forecast from each strategy's mean starting state."],
         "tables": [],
         "figures": [fig("trajectories", lambda: trajectory_figure(traj, result),
                         "Objective trajectories by strategy: observed mean and IQR, model forecast dashed.")]
         + ([fig("phase", lambda: phase_portrait_figure(traj, result, max_paths=max_paths, seed=seed),
                 f"Phase portraits: up to {max_paths} observed sessions per strategy, the fitted drift field (other "
                 f"objectives held at the equilibrium) and the equilibrium (star).")] if multi else [])},
    ]
    if inter:
        sections.append(
            {"id": "interference", "title": "Interference", "reading": interference_narrative(result),
             "tables": [_table(f"interference-{k}", "Interference (pooled)" if k == "pooled" else f"Interference ({k})",
                               display_matrix(df, diagonal=_DASH),
                               "corr(ΔXᵢ, ΔXⱼ) over transitions; negative entries are trade-offs.")
                        for k, df in inter.items()],
             "figures": [fig("interference", lambda: interference_figure(result),
                             "Interference heatmaps, pooled and per strategy (red: trade-off, blue: synergy).")]})
    sections.append(
        {"id": "drift", "title": "Drift matrices", "reading": drift_narrative(result),
         "tables": [_table(f"drift-{k}", f"Drift [A | b] ({k})", display_matrix(df),
                           "Row i is the equation ΔXᵢ = Σⱼ Aᵢⱼ Xⱼ + bᵢ (± standard error or [bootstrap interval]).")
                    for k, df in drift.items()],
         "figures": []})
    if multi:
        sections.append({"id": "pareto", "title": "Pareto front", "reading": _pareto_reading(traj), "tables": [],
                         "figures": [fig("pareto", lambda: pareto_figure(traj, result, seed=seed),
                                         "Final states of all sessions by strategy; outlined states are "
                                         "non-dominated in all objectives.")]})
    if steering is not None:
        sections.append({"id": "steering", "title": "Steering", "reading": list(steering.reading),
                         "tables": [_table(t.key, t.title, t.frame, t.note, t.text) for t in steering.tables],
                         "figures": []})
    diag_tables = []
    for key, df in diag.items():
        if key.startswith("residual correlation"):
            diag_tables.append(_table(key.replace(" ", "-"), key[0].upper() + key[1:],
                                      display_matrix(df, diagonal=_DASH),
                                      "Correlation of one-step residuals (from Q) — not the interference matrix."))
        else:
            diag_tables.append(_table(key, key, display_generic(df)))
    sections.append({"id": "diagnostics", "title": "Model checks", "reading": diagnostic_narrative(result, diag),
                     "tables": diag_tables, "figures": []})
    return sections


def render_html(result: Mapping[str, Any], traj: Any, *, title: str | None = None, source: str | None = None,
                image_format: str = "png", dpi: int = 100, max_paths: int = 40, seed: int = 0,
                step: Callable[[str], None] = lambda _d: None, steering: SteeringSummary | None = None) -> str:
    """The whole report page as a string (see :func:`write_report`)."""
    import jinja2

    from .. import __version__

    sections = build_sections(result, traj, image_format=image_format, dpi=dpi, max_paths=max_paths, seed=seed,
                              step=step, steering=steering)
    n_sessions = len(traj.session_ids)
    strategies = list(_strategies(result))
    summary = [
        f"{n_sessions} sessions, {len(traj)} scored states; strategies {', '.join(strategies) or _DASH}; "
        f"objectives {', '.join(objectives_of(result))}.",
    ]
    if source:
        summary.append(f"Data: {Path(source).name}")
    env = jinja2.Environment(loader=jinja2.PackageLoader("llmdyn.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    payload = analysis_json(result, indent=None).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return env.get_template("report.html.j2").render(
        title=title or "llmdyn report", summary=summary, sections=sections, analysis_json=payload,
        version=__version__,
    )


def render_markdown(result: Mapping[str, Any], *, title: str | None = None,
                    steering: SteeringSummary | None = None) -> str:
    """Readings and tables as Markdown (no images); plus the steering section if given."""
    from ._render import render_tables

    readings = [
        ("Strategies", strategy_narrative(result)),
        ("Interference", interference_narrative(result)),
        ("Drift", drift_narrative(result)),
        ("Model checks", diagnostic_narrative(result, diagnostic_tables(result))),
    ]
    parts = [f"# {title or 'llmdyn report'}"]
    parts += [f"## {head}\n\n" + "\n".join(f"- {line}" for line in lines) for head, lines in readings if lines]
    parts.append("## Tables\n\n" + render_tables(result, "markdown"))
    if steering is not None:
        parts.append(steering.to_markdown())
    return "\n\n".join(parts)


def _as_dict(analysis: Any) -> dict[str, Any]:
    if isinstance(analysis, Mapping):
        return dict(analysis)
    to_dict = getattr(analysis, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise DataError(f"analysis must be a dict or have to_dict(), got {type(analysis).__name__}")


def load_data(data: Any, objectives: Sequence[str] | None = None) -> tuple[Any, str | None]:
    """Trajectories from a path (file or store), a DataFrame or Trajectories."""
    from ..dynamics import Trajectories, as_trajectories

    if isinstance(data, Trajectories):
        return as_trajectories(data, objectives or None), data.source
    return as_trajectories(data, objectives), (str(data) if isinstance(data, (str, Path)) else None)


def write_report(
    data: Any,
    out_html: str | Path,
    markdown: str | Path | None = None,
    json_path: str | Path | None = None,
    *,
    analysis: Any = None,
    objectives: Sequence[str] | None = None,
    strategies: Sequence[str] | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.9,
    bounds: Any = None,
    title: str | None = None,
    image_format: str = "png",
    dpi: int = 100,
    max_paths: int = 40,
    max_steering_sessions: int = 10,
    progress: bool = False,
) -> ReportFiles:
    """Analyse ``data`` and write a self-contained HTML report.

    Parameters
    ----------
    data : a trajectory file (.csv/.parquet/.jsonl), an llmdyn SQLite store,
        a long DataFrame or :class:`~llmdyn.dynamics.Trajectories`.
    out_html : where the page goes (folders are created).
    markdown, json_path : optional Markdown tables and the analysis JSON
        (the object ``llmdyn fit --format json`` prints).
    analysis : an ``Analysis`` or its dict, to reuse instead of fitting again.
    bootstrap, seed, level, bounds, strategies : passed to ``analyze``.
    max_paths : observed paths drawn per strategy in the phase portraits;
        figures aggregate or subsample, so memory stays bounded for large data.
    max_steering_sessions : sessions listed step by step per policy in the
        Steering section (present when ``data`` is a store with policy runs).
    progress : show a progress bar on stderr.
    """
    start = time.perf_counter()
    with _progress(progress, total=8) as step:
        step("loading data")
        traj, source = load_data(data, objectives)
        if analysis is None:
            from ..dynamics import analyze  # type: ignore[attr-defined]

            step(f"fitting {len(traj.session_ids)} sessions" + (f", {bootstrap} bootstrap replicates" if bootstrap else ""))
            kwargs: dict[str, Any] = {"bootstrap": bootstrap, "seed": seed, "level": level}
            if strategies is not None:
                kwargs["strategies"] = list(strategies)
            if bounds is not None:
                kwargs["bounds"] = bounds
            result = _as_dict(analyze(traj, **kwargs))
        else:
            result = _as_dict(analysis)
        decisions = load_decisions(source)
        steering = (steering_summary(decisions, max_sessions=max_steering_sessions)
                    if decisions is not None else None)
        page = render_html(result, traj, title=title, source=source, image_format=image_format, dpi=dpi,
                           max_paths=max_paths, seed=seed, step=step, steering=steering)
        step("writing files")
        out = Path(out_html)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        md_path = Path(markdown) if markdown is not None else None
        if md_path is not None:
            md_path.parent.mkdir(parents=True, exist_ok=True)
            md_path.write_text(render_markdown(result, title=title, steering=steering), encoding="utf-8")
        js_path = Path(json_path) if json_path is not None else None
        if js_path is not None:
            js_path.parent.mkdir(parents=True, exist_ok=True)
            js_path.write_text(analysis_json(result) + "\n", encoding="utf-8")
    return ReportFiles(html=out, markdown=md_path, json=js_path, n_sessions=len(traj.session_ids),
                       seconds=time.perf_counter() - start)
