"""`llmdyn steer ...`: adaptive policies, evaluated offline."""

from __future__ import annotations

import typer

from ._common import fail

app = typer.Typer(help="Steer sessions with adaptive strategy policies.", no_args_is_help=True)


@app.command("evaluate")
def evaluate() -> None:
    """Not implemented yet."""
    fail("llmdyn steer evaluate is not implemented yet")
