"""`llmdyn score`: static scores (security, efficiency, functionality) of Python files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ._common import OutputFormat, fail


def _sources(paths: list[str]) -> list[tuple[str, bytes]]:
    """(display name, bytes) for files, folders (recursively, *.py) and ``-`` (stdin)."""
    out: list[tuple[str, bytes]] = []
    for raw in paths:
        if raw == "-":
            out.append(("<stdin>", sys.stdin.buffer.read()))
            continue
        p = Path(raw)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*.py") if f.is_file())
            if not files:
                fail(f"{raw}: folder has no .py files")
            out.extend((str(f), f.read_bytes()) for f in files)
        elif p.is_file():
            out.append((str(p), p.read_bytes()))
        else:
            fail(f"{raw}: no such file or folder; give .py files, folders or - for stdin")
    return out


def _task_profile(task: str | None, expected_lines: int | None) -> Any:
    """The task profile: a bundled task by id, or an ad-hoc one from --expected-lines."""
    from ..errors import LlmdynError
    from ..objectives import TaskProfile

    if task is None:
        return None if expected_lines is None else TaskProfile("custom", expected_lines)
    from ..experiment import get_task

    try:
        profile = get_task(task).profile()
    except LlmdynError as exc:
        if expected_lines is None:
            fail(f"--task: {exc}; or give --expected-lines N for a task of your own")
        return TaskProfile(task, expected_lines)
    if expected_lines is not None:
        return TaskProfile(profile.id, expected_lines, profile.tags)
    return profile


def _table(rows: list[dict[str, Any]], markdown: bool) -> str:
    names = ("security", "efficiency", "functionality")
    width = max([4] + [len(r["path"]) for r in rows])
    lines: list[str] = []
    if markdown:
        lines.append("| file | " + " | ".join(names) + " | findings |")
        lines.append("|---|" + "---:|" * (len(names) + 1))
        for r in rows:
            vals = " | ".join(f"{r['scores'][n]:.2f}" for n in names)
            lines.append(f"| {r['path']} | {vals} | {len(r['findings'])} |")
    else:
        lines.append(f"{'file':<{width}}  " + "  ".join(f"{n:>13}" for n in names) + "  findings")
        for r in rows:
            vals = "  ".join(f"{r['scores'][n]:>13.2f}" for n in names)
            lines.append(f"{r['path']:<{width}}  {vals}  {len(r['findings']):>8}")
    issues = [(r["path"], f) for r in rows for f in r["findings"] if f["weight"] < 0 or f["objective"] == "input"]
    if issues:
        lines.append("")
        for path, f in issues:
            where = f"{path}:{f['line']}" if f["line"] is not None else path
            lines.append(f"{where}: {f['rule']} [{f['severity']}] {f['message']}")
    return "\n".join(lines)


def command(
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Python files, folders (recursively, *.py) or - for stdin.")],
    task: Annotated[Optional[str], typer.Option(
        "--task", "-t", help="Task id (a bundled task) that conditions functionality's size term.")] = None,
    expected_lines: Annotated[Optional[int], typer.Option(
        "--expected-lines", min=1, help="Expected size of a complete answer in code lines (overrides the task's).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table, markdown or json.")] = OutputFormat.table,
) -> None:
    """Score Python code statically on security, efficiency and functionality (0-10), with findings.

    The code is parsed, never run.
    """
    from ..objectives import score_code

    profile = _task_profile(task, expected_lines)
    rows = []
    for name, data in _sources(paths):
        card = score_code(data, profile)
        rows.append({"path": name, **card.to_dict()})
    if fmt is OutputFormat.json:
        doc = {"task": profile.to_dict() if profile is not None else None, "files": rows}
        typer.echo(json.dumps(doc, indent=2))
    else:
        typer.echo(_table(rows, markdown=fmt is OutputFormat.markdown))
