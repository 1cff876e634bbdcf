"""Code extraction from responses, the objective-set registry, the Scorer protocol, the rule doc."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmdyn.errors import ConfigError
from llmdyn.objectives import (
    CODE_OBJECTIVES,
    RULES,
    ObjectiveSet,
    Scorer,
    ScoreCard,
    code_scorers,
    extract_code,
    get_objective_set,
    objective_set_names,
    register_objective_set,
    rule_table_markdown,
    score_code,
)

FENCE = "```"


def test_largest_python_block_wins() -> None:
    text = (f"Intro.\n{FENCE}python\nx = 1\n{FENCE}\nthen\n{FENCE}bash\n" + "echo hi\n" * 20 + f"{FENCE}\n"
            f"{FENCE}py\ndef f():\n    return 2\n{FENCE}\n")
    ex = extract_code(text)
    assert ex.code == "def f():\n    return 2\n"
    assert ex.language == "py"
    assert "INP009" in {f.rule for f in ex.findings}


def test_largest_block_when_none_is_python() -> None:
    ex = extract_code(f"{FENCE}\nshort\n{FENCE}\n{FENCE}text\na much longer block\n{FENCE}\n")
    assert ex.code == "a much longer block\n" and ex.language == "text"


def test_whole_text_when_no_fence() -> None:
    code = "import os\n\ndef f():\n    return os.getcwd()\n"
    ex = extract_code(code)
    assert ex.code == code and ex.language is None and not ex.findings


def test_prose_only_response_gets_a_finding() -> None:
    ex = extract_code("I cannot help with that request, sorry.")
    assert "INP001" in {f.rule for f in ex.findings}
    card = get_objective_set("code").score("I cannot help with that request, sorry.")
    assert {"INP001", "INP002"} <= {f.rule for f in card.findings}
    assert all(0 <= v <= 10 for v in card.values.values())


def test_unclosed_fence_is_taken() -> None:
    assert extract_code(f"{FENCE}python\nx = 1\n").code == "x = 1\n"


def test_code_set_scores_the_extracted_block() -> None:
    code = "import os\ndef f(c):\n    os.system(c)\n"
    via_set = get_objective_set("code").score(f"Here:\n{FENCE}python\n{code}{FENCE}\nDone.")
    assert via_set.values == score_code(code).values
    assert get_objective_set().objectives == CODE_OBJECTIVES


def test_register_a_text_objective_set() -> None:
    def score_text(text: str, task: object = None) -> ScoreCard:
        return ScoreCard({"length": min(10.0, len(text) / 10)})

    name = "test-text-length"
    register_objective_set(name, ("length",), score_text, description="characters / 10", replace=True)
    assert name in objective_set_names()
    assert get_objective_set(name).score("x" * 50).values == {"length": 5.0}
    with pytest.raises(ConfigError, match="already registered"):
        register_objective_set(ObjectiveSet(name, ("length",), score_text))
    with pytest.raises(ConfigError, match="unknown objective set 'nope'"):
        get_objective_set("nope")


def test_code_scorers_follow_the_protocol() -> None:
    scorers = code_scorers()
    assert [s.name for s in scorers] == list(CODE_OBJECTIVES)
    card = score_code("import pickle\ndef f(b):\n    return pickle.loads(b)\n")
    for s in scorers:
        assert isinstance(s, Scorer)
        assert s.range == (0.0, 10.0)
        one = s.score("import pickle\ndef f(b):\n    return pickle.loads(b)\n")
        assert one.value == card.values[s.name]


def test_scorecard_to_dict_is_plain_json() -> None:
    import json

    d = score_code("def f(s):\n    return eval(s)\n").to_dict()
    assert set(d) == {"scores", "findings"}
    assert json.loads(json.dumps(d)) == d
    assert {"rule", "line", "message", "weight", "severity", "objective"} <= set(d["findings"][0])


def test_rule_table_is_consistent() -> None:
    for rid, r in RULES.items():
        assert rid == r.id and r.severity in ("high", "medium", "low", "info", "credit") and r.weight >= 0
        assert r.objective in ("input", *CODE_OBJECTIVES) and r.message


def test_docs_rule_table_matches_the_code() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "scorers.md").read_text(encoding="utf-8")
    begin, end = "<!-- rules:begin -->\n", "<!-- rules:end -->"
    table = doc[doc.index(begin) + len(begin): doc.index(end)]
    assert table == rule_table_markdown(), "regenerate docs/scorers.md's table with rule_table_markdown()"
