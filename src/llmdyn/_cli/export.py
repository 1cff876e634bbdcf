"""`llmdyn export`: a store's trajectory table as CSV, Parquet or JSONL."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class ExportFormat(str, enum.Enum):
    """File formats of the trajectory table."""

    csv = "csv"
    parquet = "parquet"
    jsonl = "jsonl"


def command(
    store: Annotated[Path, typer.Argument(help="An llmdyn SQLite store.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="csv, parquet or jsonl.")
                   ] = ExportFormat.csv,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Output file (default: the store's name with the format's suffix).")
    ] = None,
    experiment: Annotated[Optional[str], typer.Option(
        "--experiment", help="Only this experiment (default: all in the store).")] = None,
) -> None:
    """Write the trajectory table (one row per session and iteration, one column
    per objective) that `llmdyn fit` reads."""
    from ..store import export_trajectories

    target = out or store.with_suffix(f".{fmt.value}")
    path = export_trajectories(store, target, fmt.value, experiment=experiment)
    typer.echo(f"wrote {path}", err=True)
