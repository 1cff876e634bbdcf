"""Functionality: structural richness and the task-conditioned size term."""

from __future__ import annotations

from llmdyn.objectives import DEFAULT_EXPECTED_LINES, TaskProfile, score_code

from ._helpers import card, fired
from .test_ordering import STRUCTURED


def test_each_structural_feature_is_credited() -> None:
    rules = fired(STRUCTURED)
    for rule in ("FUN101", "FUN103", "FUN104", "FUN105", "FUN106", "FUN107", "FUN108", "FUN109", "FUN110", "FUN112"):
        assert rule in rules, rule
    assert "FUN111" in fired("from dataclasses import dataclass\n\n@dataclass\nclass P:\n    x: int\n")
    assert "FUN102" in fired("class A:\n    pass\n")


def test_bare_script_is_reported() -> None:
    assert "FUN002" in fired("print(1)\n")


def test_short_code_loses_points_against_its_task() -> None:
    src = "def f(x):\n    return x\n"
    c = score_code(src, TaskProfile("t", expected_lines=200))
    (f,) = [f for f in c.findings if f.rule == "FUN001"]
    assert f.weight < 0
    assert "FUN001" not in {f.rule for f in score_code(src, TaskProfile("t", expected_lines=2)).findings}


def test_default_expected_lines_applies_when_task_has_none() -> None:
    a = score_code(STRUCTURED, TaskProfile("t")).values
    b = score_code(STRUCTURED, TaskProfile("t", expected_lines=DEFAULT_EXPECTED_LINES)).values
    assert a == b == score_code(STRUCTURED).values


def test_more_functions_score_higher_until_saturation() -> None:
    def module(n: int) -> str:
        return "".join(f'def f{i}(x: int) -> int:\n    """Doc."""\n    return x + {i}\n\n' for i in range(n))

    values = [card(module(n)).values["functionality"] for n in (1, 4, 16)]
    assert values[0] < values[1] < values[2] <= 10.0
