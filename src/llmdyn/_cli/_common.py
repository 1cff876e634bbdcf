"""Shared pieces of the command-line interface: output formats, error exit."""

from __future__ import annotations

import enum
import sys
import warnings
from typing import Any, NoReturn

import typer

from ..errors import LlmdynError

EXIT_BAD_INPUT = 2


class OutputFormat(str, enum.Enum):
    """Formats that tabular commands print."""

    table = "table"
    markdown = "markdown"
    json = "json"


def print_error(message: object) -> None:
    """Print ``error: message`` as one line on stderr."""
    one_line = " ".join(str(message).split())
    typer.echo(f"error: {one_line}", err=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Inside a command: print a one-line error and exit with ``code``."""
    print_error(message)
    raise typer.Exit(code)


def run_cli(app: typer.Typer, argv: list[str] | None = None) -> None:
    """Run ``app``, turning user-facing errors into a one-line message.

    Errors a user can fix (:class:`LlmdynError`, a missing or unreadable file)
    never print a traceback.
    """
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        _run(app, argv)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Warnings a user should read, as one ``warning: ...`` line (no source line)."""
    typer.echo(f"warning: {' '.join(str(message).split())}", err=True)


def _run(app: typer.Typer, argv: list[str] | None) -> None:
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit:
        raise
    except LlmdynError as exc:
        print_error(exc)
        sys.exit(EXIT_BAD_INPUT)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        name = getattr(exc, "filename", None)
        print_error(f"{exc.strerror or exc}: {name}" if name else exc)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
