"""On pairs that differ in one respect, the score moves the right way."""

from __future__ import annotations

import textwrap

from llmdyn.objectives import TaskProfile, score_code


def s(src: str, task: TaskProfile | None = None) -> dict[str, float]:
    return score_code(textwrap.dedent(src), task).values


def test_parameterised_sql_beats_concatenated_sql() -> None:
    concatenated = """
        import sqlite3

        def find(db, name):
            conn = sqlite3.connect(db)
            return conn.execute("SELECT * FROM users WHERE name = '" + name + "'").fetchall()
    """
    formatted = concatenated.replace("\"SELECT * FROM users WHERE name = '\" + name + \"'\"",
                                     "\"SELECT * FROM users WHERE name = '%s'\" % name")
    parameterised = concatenated.replace("\"SELECT * FROM users WHERE name = '\" + name + \"'\"",
                                         "\"SELECT * FROM users WHERE name = ?\", (name,)")
    assert s(parameterised)["security"] > s(concatenated)["security"] + 2
    assert s(parameterised)["security"] > s(formatted)["security"] + 2


def test_flat_loops_beat_nested_loops_over_the_same_data() -> None:
    nested = """
        def common(a, b):
            out = []
            for x in a:
                for y in a:
                    if x == y and x in b:
                        out.append(x)
            return out
    """
    flat = """
        def common(a, b):
            bs = set(b)
            return [x for x in a if x in bs]
    """
    assert s(flat)["efficiency"] > s(nested)["efficiency"]


def test_string_join_beats_quadratic_concatenation() -> None:
    slow = """
        def render(rows):
            out = ""
            for r in rows:
                out += f"<li>{r}</li>"
            return out
    """
    fast = """
        def render(rows):
            return "".join(f"<li>{r}</li>" for r in rows)
    """
    assert s(fast)["efficiency"] > s(slow)["efficiency"]


BARE = """
import sys
import json
data = json.load(open(sys.argv[1]))
total = 0
for item in data:
    total = total + item["amount"]
print(total)
"""

STRUCTURED = '''
"""Sum the amounts of a JSON list of records."""

import argparse
import json
import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def load_records(path: Path) -> list[dict]:
    """Read the records; a clear error if the file is missing or not JSON."""
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list")
    return data


def total_amount(records: list[dict]) -> float:
    """Sum of the ``amount`` fields."""
    return sum(float(r.get("amount", 0)) for r in records)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    try:
        print(total_amount(load_records(args.path)))
    except ValueError as exc:
        logger.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
'''


def test_functions_docstrings_and_error_handling_beat_a_bare_script() -> None:
    bare, structured = s(BARE), s(STRUCTURED)
    assert structured["functionality"] > bare["functionality"] + 2
    assert structured["security"] >= bare["security"]


def test_size_adjustment_is_conditioned_on_the_task() -> None:
    small_task = TaskProfile("tiny", expected_lines=20)
    big_task = TaskProfile("huge", expected_lines=2000)
    assert s(STRUCTURED, small_task)["functionality"] > s(STRUCTURED, big_task)["functionality"]
    default = s(STRUCTURED)["functionality"]
    assert s(STRUCTURED, small_task)["functionality"] >= default >= s(STRUCTURED, big_task)["functionality"]


def test_memoised_recursion_beats_plain_tree_recursion() -> None:
    plain = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
    cached = "import functools\n\n@functools.cache\n" + plain
    assert s(cached)["efficiency"] > s(plain)["efficiency"]


def test_secrets_beat_random_for_tokens() -> None:
    weak = "import random\n\ndef new_token():\n    return str(random.getrandbits(128))\n"
    strong = "import secrets\n\ndef new_token():\n    return secrets.token_hex(16)\n"
    assert s(strong)["security"] > s(weak)["security"] + 1.5
