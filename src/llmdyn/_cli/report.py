"""`llmdyn report`: one self-contained HTML page (plus Markdown / JSON) from a store or trajectory file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def open_in_browser(path: Path) -> bool:
    """Open ``path`` in the default browser; False when none is available."""
    import webbrowser

    try:
        return bool(webbrowser.open(path.resolve().as_uri()))
    except webbrowser.Error:
        return False


def command(
    data: Annotated[Path, typer.Argument(help="Trajectories: a .csv, .parquet or .jsonl file, or an llmdyn store.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path("report.html"),
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Also write the tables as Markdown.")] = None,
    json_path: Annotated[Optional[Path], typer.Option(
        "--json", help="Also write the analysis JSON (the object of `llmdyn fit --format json`).")] = None,
    strategy: Annotated[Optional[list[str]], typer.Option(
        "--strategy", "-s", help="Strategy to report (repeat or comma-separate); default all.")] = None,
    objectives: Annotated[Optional[str], typer.Option(
        "--objectives", help="Objective columns, comma-separated; default all numeric columns.")] = None,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", "-b", min=0, help="Session-bootstrap replicates for intervals (0: none).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap, CV folds and path subsample.")] = 0,
    bounds: Annotated[Optional[str], typer.Option(
        "--bounds", help="Feasible box lo,hi for every objective (default: 0,10 when the scores fit it).")] = None,
    level: Annotated[float, typer.Option("--level", help="Level of the bootstrap intervals.")] = 0.9,
    title: Annotated[Optional[str], typer.Option("--title", help="Title of the page.")] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open the report in the default browser.")] = False,
) -> None:
    """Analyse DATA and write a self-contained HTML report: tables, figures and a
    plain-language reading of each, with the numbers of `llmdyn fit`. A store with policy
    runs also gets a Steering section: strategies chosen, reasons, trigger events, stops."""
    from ..report import write_report
    from ._common import parse_bounds, split_names

    files = write_report(
        data, output, markdown=markdown, json_path=json_path,
        objectives=split_names([objectives] if objectives else None), strategies=split_names(strategy),
        bootstrap=bootstrap, seed=seed, level=level, bounds=parse_bounds(bounds), title=title, progress=True,
    )
    typer.echo(f"report: {files.html}")
    for label, path in (("markdown", files.markdown), ("json", files.json)):
        if path is not None:
            typer.echo(f"{label}: {path}")
    typer.echo(f"({files.n_sessions} sessions, {files.seconds:.1f} s)", err=True)
    if open_ and not open_in_browser(files.html):
        typer.echo("no browser available; open the file above by hand", err=True)
