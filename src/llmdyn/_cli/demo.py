"""`llmdyn demo`: the whole loop offline, on the bundled recorded corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import OutputFormat


def command(
    folder: Annotated[Optional[Path], typer.Argument(
        help="Folder for the store and exports (default: a new temporary folder).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")
                   ] = OutputFormat.table,
    bootstrap: Annotated[int, typer.Option(
        "--bootstrap", "-b", min=0, help="Session-bootstrap replicates for intervals.")] = 0,
    open_: Annotated[bool, typer.Option("--open", help="Open the HTML report in the default browser.")] = False,
) -> None:
    """Replay the recorded sessions through the runner into SQLite, score every
    step, fit the dynamics and print the paper's tables."""
    import json
    import time

    from ..experiment import run_demo
    from .._json import json_safe

    start = time.perf_counter()
    result = run_demo(folder, bootstrap=bootstrap)
    analysis = json_safe(result.analysis)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(analysis, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        from ..report import render_tables

        typer.echo(render_tables(analysis, fmt.value))
    from ..report import write_report
    from .report import open_in_browser

    report = write_report(result.store_path, result.folder / "report.html", analysis=analysis, progress=True)
    if open_ and not open_in_browser(report.html):
        typer.echo("no browser available; open the report file by hand", err=True)
    typer.echo(f"store: {result.store_path}\ntrajectories: {result.trajectories_path}\nreport: {report.html}\n"
               f"({time.perf_counter() - start:.1f} s; `llmdyn fit {result.store_path}` "
               "gives the same numbers)", err=True)
