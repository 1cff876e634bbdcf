"""Shared pieces of the command-line interface: output formats, error exit."""

from __future__ import annotations

import enum
import math
import sys
import warnings
from typing import Any, NoReturn

import typer

from ..errors import ConfigError, LlmdynError

EXIT_BAD_INPUT = 2


class OutputFormat(str, enum.Enum):
    """Formats that tabular commands print."""

    table = "table"
    markdown = "markdown"
    json = "json"


def split_names(values: list[str] | None) -> list[str] | None:
    """Names from repeated and/or comma-separated options."""
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None


def parse_bounds(text: str | None) -> tuple[float, float] | None:
    """``"lo,hi"`` -> ``(lo, hi)``; None keeps the inferred box."""
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ConfigError(f"--bounds: expected two numbers lo,hi such as 0,10, got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
        raise ConfigError(f"--bounds: need finite lo < hi, got {text!r}")
    return lo, hi


def _print_line(label: str, message: object) -> None:
    typer.echo(f"{label}: {' '.join(str(message).split())}", err=True)


def print_warning(message: object) -> None:
    """Print ``warning: message`` as one line on stderr."""
    _print_line("warning", message)


def print_error(message: object) -> None:
    """Print ``error: message`` as one line on stderr."""
    _print_line("error", message)


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
    print_warning(message)


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
