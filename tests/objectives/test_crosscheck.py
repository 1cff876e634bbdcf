"""The optional bandit/radon cross-check agrees with llmdyn on a plain case."""

from __future__ import annotations

import pytest

from llmdyn.objectives import cross_check, score_code

pytest.importorskip("bandit")
pytest.importorskip("radon")

SRC = "import subprocess\n\ndef run(cmd):\n    if cmd:\n        return subprocess.call(cmd, shell=True)\n    return 0\n"


def test_bandit_and_radon_see_what_llmdyn_sees() -> None:
    cc = cross_check(SRC)
    assert cc.bandit_high >= 1
    assert any(i["line"] == 5 for i in cc.bandit_issues)
    assert [b["name"] for b in cc.radon_complexity] == ["run"] and cc.radon_complexity[0]["complexity"] == 2
    assert cc.radon_mi is not None and 0 <= cc.radon_mi <= 100
    assert any(f.rule == "SEC004" and f.line == 5 for f in score_code(SRC).findings)
    assert set(cc.to_dict()) == {"bandit_issues", "bandit_high", "radon_complexity", "radon_mi"}


def test_radon_failure_is_not_an_error() -> None:
    blocks_mi = cross_check("def f(:\n").to_dict()
    assert blocks_mi["radon_complexity"] == [] and blocks_mi["radon_mi"] is None
