"""A report written once by the CLI, with `llmdyn fit --format json` on the same data."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from llmdyn.cli import app

from ._fixtures import synthetic_frame

BOOT = ["--bootstrap", "60", "--seed", "3"]


@pytest.fixture(scope="session")
def written_report(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """CSV data, the report files `llmdyn report` wrote, and the fit JSON."""
    folder = tmp_path_factory.mktemp("report")
    data = folder / "trajectories.csv"
    synthetic_frame(np.random.default_rng(11), n_sessions=16, steps=6).to_csv(data, index=False)
    runner = CliRunner()
    html, md, js = folder / "report.html", folder / "report.md", folder / "analysis.json"
    rep = runner.invoke(app, ["report", str(data), "-o", str(html), "--markdown", str(md), "--json", str(js), *BOOT])
    assert rep.exit_code == 0, rep.output
    fit = runner.invoke(app, ["fit", str(data), "--format", "json", *BOOT])
    assert fit.exit_code == 0, fit.output
    return SimpleNamespace(folder=folder, data=data, html=html, markdown=md, json=js, cli_output=rep.stdout,
                           fit=json.loads(fit.stdout), text=Path(html).read_text(encoding="utf-8"))
