"""Formatting the paper's tables: display strings, terminal text and Markdown.

The DataFrames of :mod:`._tables` keep numbers numeric; this module turns
them into the strings a terminal, a Markdown file or the HTML page shows
(fixed decimals, intervals in brackets, p-values in parentheses).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ._tables import (
    _DASH,
    FINAL_EFF,
    HV,
    PARETO,
    RATE,
    RATE_HI,
    RATE_LO,
    diagnostic_tables,
    drift_tables,
    interference_tables,
    strategy_table,
)


def fmt_number(x: Any, digits: int = 3) -> str:
    """A table cell: fixed decimals, ``—`` for missing values."""
    if x is None or x is pd.NA:
        return _DASH
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        if math.isnan(x):
            return _DASH
        return f"{x:.{digits}f}"
    return str(x)


def fmt_p(p: float) -> str:
    """p-value cell: three significant digits, ``<0.001`` below that."""
    if p is None or math.isnan(p):
        return _DASH
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def display_strategy_table(df: pd.DataFrame) -> pd.DataFrame:
    """Strings for showing :func:`strategy_table`: intervals merged into rate."""
    out = pd.DataFrame(index=df.index)
    level = df.attrs.get("level")
    for col in df.columns:
        if col in (RATE_LO, RATE_HI):
            continue
        if col == RATE and RATE_LO in df.columns:
            label = f"rate [{level:.0%} CI]" if level else "rate [CI]"
            out[label] = [
                f"{fmt_number(r)} [{fmt_number(lo)}, {fmt_number(hi)}]" if not math.isnan(lo) else fmt_number(r)
                for r, lo, hi in zip(df[RATE], df[RATE_LO], df[RATE_HI])
            ]
            continue
        out[col] = [fmt_number(v) for v in df[col]]
    return out


def display_matrix(df: pd.DataFrame, diagonal: str | None = None) -> pd.DataFrame:
    """Strings for a square/rectangular matrix, with p-values, intervals or SEs."""
    out = df.map(fmt_number)
    p, lo, hi, se = (df.attrs.get(k) for k in ("p_values", "lower", "upper", "se"))
    for i, r in enumerate(df.index):
        for j, c in enumerate(df.columns):
            cell = out.iat[i, j]
            if diagonal is not None and r == c:
                out.iat[i, j] = diagonal
                continue
            if lo is not None and hi is not None:
                cell += f" [{fmt_number(lo.iat[i, j])}, {fmt_number(hi.iat[i, j])}]"
            elif se is not None:
                cell += f" ± {fmt_number(se.iat[i, j])}"
            if p is not None:
                cell += f" (p {fmt_p(float(p.iat[i, j]))})"
            out.iat[i, j] = cell
    return out


def display_generic(df: pd.DataFrame) -> pd.DataFrame:
    """Strings for any small table; p-value columns get :func:`fmt_p`."""
    out = df.copy().astype(object)
    for col in df.columns:
        f = fmt_p if "p-value" in str(col) else fmt_number
        out[col] = [f(v) for v in df[col]]
    return out


def report_sections(result: Mapping[str, Any]) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """Titled tables in report order: ``(title, numbers, display strings)``."""
    sections: list[tuple[str, pd.DataFrame, pd.DataFrame]] = []
    st = strategy_table(result)
    sections.append(("Strategies", st, display_strategy_table(st)))
    for key, df in interference_tables(result).items():
        title = "Interference (pooled)" if key == "pooled" else f"Interference ({key})"
        sections.append((title, df, display_matrix(df, diagonal=_DASH)))
    for key, df in drift_tables(result).items():
        sections.append((f"Drift [A | b] ({key})", df, display_matrix(df)))
    for key, df in diagnostic_tables(result).items():
        if key.startswith("residual correlation"):
            sections.append((key[0].upper() + key[1:], df, display_matrix(df, diagonal=_DASH)))
        else:
            sections.append((key, df, display_generic(df)))
    return sections


def _escape_md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(display: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of a frame of strings."""
    head = [display.index.name or ""] + [str(c) for c in display.columns]
    lines = [
        "| " + " | ".join(_escape_md(h) for h in head) + " |",
        "|" + "|".join([":---"] + ["---:"] * len(display.columns)) + "|",
    ]
    for idx, row in display.iterrows():
        lines.append("| " + " | ".join(_escape_md(x) for x in [idx, *row.tolist()]) + " |")
    return "\n".join(lines)


def _rich_text(sections: list[tuple[str, pd.DataFrame, pd.DataFrame]], width: int) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None, highlight=False)
    split: list[tuple[str, pd.DataFrame, pd.DataFrame]] = []
    for title, num, disp in sections:  # a terminal is narrow: spectrum gets its own table
        wide = [c for c in ("eigenvalues", "equilibrium", PARETO, FINAL_EFF, HV) if c in disp.columns]
        if title == "Strategies" and wide:
            split.append((title, num, disp.drop(columns=wide)))
            split.append(("Spectrum, equilibrium and Pareto", num, disp[wide]))
        else:
            split.append((title, num, disp))
    for title, _, disp in split:
        table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
        table.add_column(str(disp.index.name or ""), style="bold", no_wrap=True)
        for col in disp.columns:
            table.add_column(str(col), justify="right", no_wrap=True)
        for idx, row in disp.iterrows():
            table.add_row(str(idx), *[str(v) for v in row.tolist()])
        console.print(table)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()).strip("\n") + "\n"


def render_tables(result: Mapping[str, Any], fmt: str = "table", *, width: int = 160) -> str:
    """All tables of ``result`` as text.

    Parameters
    ----------
    result : the plain dict of ``analyze(...).to_dict()`` / ``llmdyn fit --format json``.
    fmt : ``"table"`` (box-drawn text for a terminal) or ``"markdown"``.
    width : terminal width for ``"table"``.
    """
    sections = report_sections(result)
    if fmt == "table":
        return _rich_text(sections, width)
    if fmt == "markdown":
        return "\n\n".join(f"### {title}\n\n{markdown_table(disp)}" for title, _, disp in sections) + "\n"
    raise DataError(f"unknown table format {fmt!r}; use 'table' or 'markdown'")
