"""Optional cross-check scorers: bandit (security) and radon (complexity).

Behind the ``crosscheck`` extra (``pip install llmdyn[crosscheck]``), so users
can compare llmdyn's static scores with the established tools.  Both tools read
the code as text and parse it; neither runs it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class CrossCheck:
    """What bandit and radon say about one source."""

    bandit_issues: tuple[dict[str, Any], ...]
    radon_complexity: tuple[dict[str, Any], ...]
    radon_mi: float | None

    @property
    def bandit_high(self) -> int:
        """Number of HIGH-severity bandit issues."""
        return sum(1 for i in self.bandit_issues if i["severity"] == "HIGH")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "bandit_issues": list(self.bandit_issues),
            "bandit_high": self.bandit_high,
            "radon_complexity": list(self.radon_complexity),
            "radon_mi": self.radon_mi,
        }


def _need(module: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ConfigError(f"{module} is not installed; install the extra: pip install 'llmdyn[crosscheck]'") from None


def bandit_issues(source: str) -> tuple[dict[str, Any], ...]:
    """bandit's findings on ``source`` (test id, severity, confidence, line, text)."""
    manager = _need("bandit.core.manager")
    config = _need("bandit.core.config")
    constants = _need("bandit.core.constants")
    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    fd, path = tempfile.mkstemp(suffix=".py")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(source)
        mgr = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
        mgr.discover_files([path], recursive=False)
        mgr.run_tests()
        issues = mgr.get_issue_list(sev_level=constants.LOW, conf_level=constants.LOW)
    finally:
        os.unlink(path)
    return tuple(
        {"test_id": i.test_id, "severity": i.severity, "confidence": i.confidence, "line": i.lineno, "text": i.text}
        for i in issues
    )


def radon_metrics(source: str) -> tuple[tuple[dict[str, Any], ...], float | None]:
    """radon's cyclomatic complexity per block and the maintainability index (None if it fails)."""
    complexity = _need("radon.complexity")
    metrics = _need("radon.metrics")
    try:
        blocks = tuple({"name": b.name, "line": b.lineno, "complexity": b.complexity}
                       for b in complexity.cc_visit(source))
        mi = float(metrics.mi_visit(source, multi=True))
    except Exception:  # noqa: BLE001 - radon raises SyntaxError and others on bad code
        return (), None
    return blocks, mi


def cross_check(source: str) -> CrossCheck:
    """bandit and radon on ``source`` (ConfigError if the extra is not installed)."""
    blocks, mi = radon_metrics(source)
    return CrossCheck(bandit_issues(source), blocks, mi)
