"""Whatever comes in, score_code returns scores in [0, 10] with a finding, fast, and never runs the code."""

from __future__ import annotations

import builtins
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmdyn.objectives import score_code

from .test_efficiency_rules import CASES as EFF_CASES
from .test_security_rules import CASES as SEC_CASES

TIME_BOUND_S = 10.0  # per file, generous for a loaded 2-core machine; typical is < 0.5 s

NASTY: dict[str, str | bytes] = {
    "empty": "",
    "whitespace": "   \n\t\n  \n",
    "non_utf8": b"x = 1\n\xff\xfe\xfa = 2\nprint('\xe9')\n",
    "latin1_cookie": b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n",
    "nul_bytes": "import os\x00\ndef f():\n    return 1\x00\n",
    "syntax_error": "def f(:\n    return\n",
    "python2": "import os\nprint 'hello'\ntry:\n    pass\nexcept Exception, e:\n    print e\n",
    "prose": "Sure! Here is how you would approach this: first read the file, then count the words.\n",
    "deep_parens": "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n",
    "deep_blocks": "".join(" " * i + "if x:\n" for i in range(1000)) + " " * 1000 + "pass\n",
    "deep_unary": "x = " + "-" * 1000 + "1\n",
    "deep_lambda": "f = " + "lambda: " * 1000 + "1\n",
    "deep_binop": "x = " + " + ".join(["a"] * 100_000) + "\n",
    "only_comments": "# just a comment\n# and another\n",
    "tabs_and_spaces": "if True:\n\tx = 1\n        y = 2\n",
}


def _check(src: str | bytes) -> None:
    t = time.perf_counter()
    c = score_code(src)
    elapsed = time.perf_counter() - t
    assert set(c.values) == {"security", "efficiency", "functionality"}
    assert all(0.0 <= v <= 10.0 for v in c.values.values())
    assert c.findings, "every input gets at least one finding"
    assert elapsed < TIME_BOUND_S


@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_inputs(name: str) -> None:
    _check(NASTY[name])


@pytest.mark.parametrize(
    ("name", "rule"),
    [("empty", "INP006"), ("whitespace", "INP006"), ("non_utf8", "INP003"), ("nul_bytes", "INP004"),
     ("syntax_error", "INP002"), ("python2", "INP007"), ("prose", "INP002"), ("deep_parens", "INP005"),
     ("deep_blocks", "INP005"), ("deep_binop", "INP005")],
)
def test_finding_says_what_happened(name: str, rule: str) -> None:
    assert rule in {f.rule for f in score_code(NASTY[name]).findings}


def test_nul_bytes_are_removed_and_the_rest_scored() -> None:
    c = score_code(NASTY["nul_bytes"])
    assert not any(f.rule == "INP002" for f in c.findings)
    assert any(f.rule == "FUN101" for f in c.findings)  # the function after the NUL was seen


def test_coding_cookie_is_honoured() -> None:
    rules = {f.rule for f in score_code(NASTY["latin1_cookie"]).findings}
    assert "INP003" not in rules and "INP002" not in rules


def test_five_megabyte_file() -> None:
    chunk = Path(__file__).read_bytes()
    big = chunk * (5_000_000 // len(chunk) + 1)
    assert len(big) >= 5_000_000
    _check(big)
    assert "INP010" in {f.rule for f in score_code(big).findings}


def test_long_literal_and_long_line_are_linear() -> None:
    literal = 'password = "' + "A" * 2_000_000 + '"\n'
    sql = 'def f(c, x):\n    c.execute("SELECT ' + "a" * 1_000_000 + '" + x)\n'
    line = "x = 1; " * 20_000 + "\n"
    for src in (literal, sql, line):
        _check(src)
    small = 'def f(c, x):\n    c.execute("SELECT ' + "a" * 100_000 + '" + x)\n'
    t = time.perf_counter()
    for _ in range(3):
        score_code(small)
    t_small = (time.perf_counter() - t) / 3
    t = time.perf_counter()
    score_code(sql)
    t_big = time.perf_counter() - t
    assert t_big < 30 * t_small + 0.5  # 10x the input: about 10x the time, nowhere near 100x


def test_scored_code_is_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    src = f"open({str(marker)!r}, 'w').write('x')\nimport sys\nsys.exit(3)\nraise SystemExit(4)\n"

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("scored code must not be executed")

    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "eval", forbidden)
    c = score_code(src)
    assert not marker.exists()
    assert not any(f.rule == "INP008" for f in c.findings)


SNIPPETS = [s for pair in list(SEC_CASES.values()) + list(EFF_CASES.values()) for s in pair]


@st.composite
def mixed_sources(draw: st.DrawFn) -> str | bytes:
    """Rule snippets glued with junk, indentation damage and random bytes."""
    parts = draw(st.lists(st.one_of(
        st.sampled_from(SNIPPETS),
        st.text(max_size=40),
        st.sampled_from(["    ", "\t", "(", ")", ":", "\n", "def", "class X:", "for x in y:", "\x00", "'''"]),
    ), max_size=8))
    src = "".join(parts)
    if draw(st.booleans()):
        return src.encode("utf-8", errors="surrogatepass")[: draw(st.integers(0, 4000))] + draw(st.binary(max_size=8))
    return src


def _range_and_determinism(src: str | bytes) -> None:
    a, b = score_code(src), score_code(src)
    assert a.to_dict() == b.to_dict()
    assert all(0.0 <= v <= 10.0 for v in a.values.values())
    assert not any(f.rule == "INP008" for f in a.findings), [f.message for f in a.findings if f.rule == "INP008"]


_HC = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=_HC)
@given(mixed_sources())
def test_property_range_and_determinism_mixed(src: str | bytes) -> None:
    _range_and_determinism(src)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, derandomize=True, suppress_health_check=_HC)
@given(mixed_sources())
def test_property_range_and_determinism_mixed_thousands(src: str | bytes) -> None:
    _range_and_determinism(src)


JUNK = ["    ", "\t", "(", ")", ":", "\n", "def ", "class X:\n", "for x in y:\n", "\x00", '"""', "lambda: ", "[", "]"]


def test_thousands_of_seeded_sources() -> None:
    """3,000 sources glued from rule snippets and junk by a seeded generator (no shrinking, cheap)."""
    import random

    rnd = random.Random(20261126)
    for i in range(3000):
        n = rnd.randint(0, 6)
        src = "".join(rnd.choice(SNIPPETS) if rnd.random() < 0.5 else rnd.choice(JUNK) for _ in range(n))
        c = score_code(src)
        assert all(0.0 <= v <= 10.0 for v in c.values.values())
        assert not any(f.rule == "INP008" for f in c.findings)
        if i % 10 == 0:
            assert score_code(src).to_dict() == c.to_dict()


# hypothesmith's grammar-based sources: importing it alone costs ~6 s, so these run with -m slow.
def _hypothesmith_sources() -> st.SearchStrategy[str]:
    import hypothesmith

    return hypothesmith.from_grammar()


@pytest.mark.slow
@pytest.mark.timeout(1800)
@settings(max_examples=1000, deadline=None, derandomize=True, suppress_health_check=_HC)
@given(st.deferred(_hypothesmith_sources))
def test_property_range_and_determinism_grammar_thousands(src: str) -> None:
    _range_and_determinism(src)
