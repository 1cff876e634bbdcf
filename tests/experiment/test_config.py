"""Experiment config: TOML, overrides, errors that name the key."""

from __future__ import annotations

import pytest

from llmdyn.errors import ConfigError
from llmdyn.experiment import BUILTIN_STRATEGIES, bundled_tasks, corpus_task_ids, get_task, \
    load_config


def _write(tmp_path, text: str):
    path = tmp_path / "exp.toml"
    path.write_text(text)
    return path


def test_toml_with_custom_strategy_and_task(tmp_path):
    path = _write(tmp_path, """
model = "qwen"
base_url = "http://127.0.0.1:8000/v1"
tasks = ["zip_import", "fizz"]
strategies = ["EF", "TESTS"]
sessions = 3
iterations = 4
history = "last"

[custom_strategies]
TESTS = "Add unit tests for this code. Return the complete updated code."

[[custom_tasks]]
id = "fizz"
prompt = "Write FizzBuzz in Python."
expected_lines = 20
""")
    cfg = load_config(path, {"sessions": 5, "store": None})
    assert cfg.sessions == 5 and cfg.iterations == 4 and cfg.history == "last"
    assert [t.id for t in cfg.task_list()] == ["zip_import", "fizz"]
    assert cfg.task_list()[1].expected_lines == 20
    assert cfg.strategy_table()["TESTS"].message.startswith("Add unit tests")


def test_defaults_run_without_a_file():
    cfg = load_config(None, {"model": "m", "base_url": "http://127.0.0.1:1/v1"})
    assert cfg.strategies == ["EF", "SF", "FF", "AI"]
    assert len(cfg.task_list()) == len(bundled_tasks()) >= 12
    replay = load_config(None, {"backend": "replay"})
    assert [t.id for t in replay.task_list()] == list(corpus_task_ids())


def test_experiment_name_tracks_identity_not_counts():
    a = load_config(None, {"model": "m", "sessions": 1, "concurrency": 2, "iterations": 3})
    b = load_config(None, {"model": "m", "sessions": 9, "concurrency": 32, "iterations": 6})
    c = load_config(None, {"model": "m", "temperature": 0.1})
    assert a.experiment_name() == b.experiment_name() != c.experiment_name()
    assert a.experiment_name().startswith("m-")


@pytest.mark.parametrize("overrides, needle", [
    ({"strategies": ["EF", "XX"]}, "strategies: unknown strategy 'XX'"),
    ({"tasks": ["no_such_task"]}, "tasks: unknown task 'no_such_task'"),
    ({"sessions": -1}, "sessions:"),
    ({"iterations": -2}, "iterations:"),
    ({"concurrency": 0}, "concurrency:"),
    ({"temperature": 5}, "temperature:"),
    ({"history": "some"}, "history:"),
    ({"modle": "x"}, "modle: unknown key"),
])
def test_errors_name_the_key(overrides, needle):
    with pytest.raises(ConfigError) as info:
        load_config(None, {"model": "m", **overrides})
    message = str(info.value)
    assert needle in message and "\n" not in message


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "none.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "model = "))
    with pytest.raises(ConfigError, match=r"exp\.toml: sessions"):
        load_config(_write(tmp_path, 'model = "m"\nsessions = -3\n'))
    with pytest.raises(ConfigError, match="model: no model given"):
        load_config(None, {})
    with pytest.raises(ConfigError, match="not in the replay corpus"):
        load_config(None, {"backend": "replay", "tasks": ["csv_report"]})


def test_task_suite():
    tasks = bundled_tasks()
    assert len(tasks) >= 12 and len({t.id for t in tasks}) == len(tasks)
    assert all(t.prompt and t.tags and t.expected_lines for t in tasks)
    assert get_task("user_search").profile().expected_lines == 120
    with pytest.raises(ConfigError, match="unknown task"):
        get_task("nope")
    assert set(BUILTIN_STRATEGIES) == {"EF", "SF", "FF", "AI"}
