"""The ``llmdyn`` command: one sub-command per job, assembled from ``_cli``.

Each sub-command lives in its own module under ``llmdyn._cli`` and imports its
heavy dependencies inside the command function, so ``llmdyn --help`` is fast.
"""

from __future__ import annotations

import typer

from ._cli import demo, export, fit, report, run, score, simulate, steer
from ._cli._common import run_cli

app = typer.Typer(
    name="llmdyn",
    help="Iterative LLM interactions as stochastic dynamical systems.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("demo")(demo.command)
app.command("run")(run.command)
app.command("score")(score.command)
app.command("export")(export.command)
app.command("fit")(fit.command)
app.command("simulate")(simulate.command)
app.command("report")(report.command)
app.add_typer(steer.app, name="steer")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``llmdyn`` console script."""
    run_cli(app, argv)


if __name__ == "__main__":  # pragma: no cover
    main()
