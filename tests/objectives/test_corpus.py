"""Golden-style sanity on the recorded corpus: every file scores, and trajectories say something.

The corpus ships inside the package (``llmdyn/data/corpus/corpus.tar.gz``); a checkout
beside the shared folder is the fallback. Files are read as data and parsed, never run.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from llmdyn.objectives import score_code

REPO = Path(__file__).resolve().parents[2]
PACKAGED = REPO / "src" / "llmdyn" / "data" / "corpus" / "corpus.tar.gz"
SHARED = REPO / ".." / "shared" / "corpus"
STRATEGIES = ("EF", "SF", "FF", "AI")


def _key(rel: str) -> tuple[str, str, int] | None:
    """(task, strategy, t) of ``task/iter_00.py`` (strategy "") or ``task/S/iter_0k.py``."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts or not parts[-1].startswith("iter_") or not parts[-1].endswith(".py"):
        return None
    t = int(parts[-1][5:-3])
    if len(parts) == 2:
        return parts[0], "", t
    if len(parts) == 3:
        return parts[0], parts[1], t
    return None


def _load() -> dict[tuple[str, str, int], bytes]:
    files: dict[tuple[str, str, int], bytes] = {}
    if PACKAGED.is_file():
        with tarfile.open(PACKAGED) as tar:
            for m in tar.getmembers():
                key = _key(m.name) if m.isfile() else None
                fh = tar.extractfile(m) if key else None
                if key and fh is not None:
                    files[key] = fh.read()
    elif SHARED.is_dir():
        for p in SHARED.rglob("iter_*.py"):
            key = _key(p.relative_to(SHARED).as_posix())
            if key:
                files[key] = p.read_bytes()
    return files


@pytest.fixture(scope="module")
def scores() -> dict[tuple[str, str, int], dict[str, float]]:
    files = _load()
    if not files:
        pytest.skip("recorded corpus not found (neither packaged nor beside the checkout)")
    out = {}
    for key, data in files.items():
        card = score_code(data)
        assert not any(f.rule.startswith("INP") for f in card.findings), key
        out[key] = card.values
    return out


def _tasks(scores: dict) -> list[str]:
    return sorted({k[0] for k in scores})


def _final(scores: dict, task: str, strategy: str) -> dict[str, float]:
    return scores[(task, strategy, max(t for (tk, s, t) in scores if tk == task and s == strategy))]


def test_corpus_is_complete_and_in_range(scores: dict) -> None:
    tasks = _tasks(scores)
    assert len(tasks) == 8
    assert len(scores) == len(tasks) * (1 + 6 * len(STRATEGIES))
    assert all(0.0 <= v <= 10.0 for vals in scores.values() for v in vals.values())


def test_scores_move_between_iterations(scores: dict) -> None:
    for objective in ("security", "efficiency", "functionality"):
        values = [v[objective] for v in scores.values()]
        assert len(set(values)) > 100, objective
        stuck = sum(1 for v in values if v in (0.0, 10.0))
        assert stuck < 0.2 * len(values), objective
        moving = 0
        for task in _tasks(scores):
            for s in STRATEGIES:
                path = [scores[(task, "", 0)][objective]] + [scores[(task, s, t)][objective] for t in range(1, 7)]
                moving += len(set(path)) >= 4
        assert moving >= 0.75 * len(_tasks(scores)) * len(STRATEGIES), objective


def test_security_focus_raises_security(scores: dict) -> None:
    tasks = _tasks(scores)
    up = [t for t in tasks if _final(scores, t, "SF")["security"] >= scores[(t, "", 0)]["security"]]
    assert len(up) >= 6
    sf = sum(_final(scores, t, "SF")["security"] for t in tasks)
    ff = sum(_final(scores, t, "FF")["security"] for t in tasks)
    assert sf > ff + len(tasks)  # on average more than a point above the feature-focused sessions


def test_efficiency_focus_raises_efficiency(scores: dict) -> None:
    tasks = _tasks(scores)
    up = [t for t in tasks if _final(scores, t, "EF")["efficiency"] >= scores[(t, "", 0)]["efficiency"]]
    assert len(up) >= 6
    assert sum(_final(scores, t, "EF")["efficiency"] for t in tasks) > sum(_final(scores, t, "FF")["efficiency"] for t in tasks)


def test_feature_focus_raises_functionality(scores: dict) -> None:
    for t in _tasks(scores):
        assert _final(scores, t, "FF")["functionality"] > scores[(t, "", 0)]["functionality"] + 1.0, t
