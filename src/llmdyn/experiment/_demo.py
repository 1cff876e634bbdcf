"""The offline demo: replay the bundled corpus, score, store, fit.

``llmdyn demo`` is the whole loop with no network: the recorded sessions are
replayed through the real runner into a SQLite store (every step scored), the
trajectory table is exported beside it, and the drift analysis is fitted, so
the printed tables are the numbers ``llmdyn fit`` gives on the same store.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._config import ExperimentConfig
from ._runner import RunSummary, run_experiment


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its files, and the analysis (``Analysis.to_dict()``)."""

    folder: Path
    store_path: Path
    trajectories_path: Path
    analysis: dict[str, Any]
    run: RunSummary | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"folder": str(self.folder), "store_path": str(self.store_path),
                "trajectories_path": str(self.trajectories_path), "analysis": self.analysis,
                "run": self.run.to_dict() if self.run else None}


def run_demo(folder: str | Path | None = None, *, tasks: tuple[str, ...] | None = None,
             concurrency: int = 8, bootstrap: int = 0, seed: int = 0,
             progress: bool = False) -> DemoResult:
    """Replay the bundled corpus into ``folder`` (a new temporary one if None) and fit.

    ``tasks`` limits the replay to some corpus tasks (default: all eight). A
    named folder is created if needed; rerunning on it resumes the store
    (nothing left to do) and refits.
    """
    from ..dynamics import analyze, load_trajectories
    from ..store import export_trajectories

    root = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="llmdyn-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    store = root / "demo.sqlite"
    config = ExperimentConfig(backend="replay", name="demo", store=str(store), sessions=1,
                              iterations=6, concurrency=concurrency, cache=False,
                              tasks=list(tasks) if tasks else ["all"])
    summary = run_experiment(config, progress=progress)
    trajectories = export_trajectories(store, root / "trajectories.csv", "csv")
    analysis = analyze(load_trajectories(store), bootstrap=bootstrap, seed=seed).to_dict()
    return DemoResult(root, store, trajectories, analysis, summary)
