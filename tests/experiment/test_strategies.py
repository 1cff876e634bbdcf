"""Conversation shape: task prompt, then strategy message + previous code."""

from __future__ import annotations

import pytest

from llmdyn.errors import ConfigError
from llmdyn.experiment import BUILTIN_STRATEGIES, build_conversation, get_strategy

EF, SF = BUILTIN_STRATEGIES["EF"], BUILTIN_STRATEGIES["SF"]


def test_first_turn_is_the_task_prompt():
    msgs = build_conversation("Write X.", [], [], [])
    assert [(m.role, m.content) for m in msgs] == [("user", "Write X.")]


def test_full_history_keeps_the_conversation():
    msgs = build_conversation("Write X.", ["r0", "r1"], ["c0", "c1"], [EF, SF])
    assert [m.role for m in msgs] == ["user", "assistant", "user", "assistant", "user"]
    assert msgs[1].content == "r0" and msgs[3].content == "r1"
    assert msgs[2].content == f"{EF.message}\n\n```python\nc0\n```"
    assert msgs[4].content == f"{SF.message}\n\n```python\nc1\n```"


def test_last_version_only():
    msgs = build_conversation("Write X.", ["r0", "r1"], ["c0", "c1"], [EF, SF], history="last")
    assert [(m.role, m.content) for m in msgs] == [
        ("user", "Write X."), ("user", f"{SF.message}\n\n```python\nc1\n```")]


def test_strategy_lookup():
    assert get_strategy("AI").message.startswith("Improve this code, balancing")
    with pytest.raises(ConfigError, match="unknown strategy 'ZZ'"):
        get_strategy("ZZ")
    with pytest.raises(ValueError):
        build_conversation("p", ["r"], ["c"], [])
