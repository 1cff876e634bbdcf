"""The experiment configuration: a TOML file validated with pydantic.

Every key has a default except ``model`` (and even that defaults for replay), so
``llmdyn run --model M --base-url URL`` needs no file. Errors name the key and
the file: ``config.toml: sessions: must be >= 1 (got -3)``.

Example::

    model = "gpt-4o-mini"
    base_url = "https://api.openai.com/v1"
    api_key_env = "OPENAI_API_KEY"     # the variable's name; the key never goes in the file
    tasks = ["password_reset", "user_search"]   # or ["all"] (the default)
    strategies = ["EF", "SF", "FF", "AI", "TESTS"]
    sessions = 5                        # per task x strategy
    iterations = 6
    temperature = 0.7
    store = "runs.sqlite"

    [custom_strategies]
    TESTS = "Add unit tests for this code. Return the complete updated code."

    [[custom_tasks]]
    id = "fizzbuzz"
    prompt = "Write FizzBuzz in Python."
    expected_lines = 20
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, \
    model_validator

from ..errors import ConfigError
from ..llm import ChatMessage, ChatRequest
from ._strategies import BUILTIN_STRATEGIES, Strategy
from ._tasks import Task, bundled_tasks, corpus_task_ids

#: Keys that change what the sessions are; the default experiment name hashes them.
#: (Not ``sessions`` or ``iterations``: raising them extends the same experiment.)
IDENTITY_KEYS = ("backend", "model", "base_url", "tasks", "strategies", "custom_strategies",
                 "custom_tasks", "temperature", "top_p", "seed", "max_tokens",
                 "history", "policy", "objectives")


class CustomTask(BaseModel):
    """A user task given in the config."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    tags: list[str] = []
    expected_lines: int | None = Field(default=None, ge=1)


class ExperimentConfig(BaseModel):
    """A validated experiment: what to ask, how often, and where to store it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    backend: Literal["openai", "replay"] = "openai"
    model: str | None = None
    base_url: str = "https://api.openai.com/v1"
    api_key_env: str = "OPENAI_API_KEY"
    tasks: list[str] = ["all"]
    strategies: list[str] = ["EF", "SF", "FF", "AI"]
    custom_strategies: dict[str, str] = {}
    custom_tasks: list[CustomTask] = []
    sessions: int = Field(default=1, ge=1)
    iterations: int = Field(default=6, ge=0, le=1000)
    temperature: float | None = Field(default=0.7, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = None
    max_tokens: int | None = Field(default=4096, ge=1)
    concurrency: int = Field(default=8, ge=1, le=1024)
    store: str = "llmdyn.sqlite"
    cache: bool = True
    cache_dir: str | None = None
    history: Literal["full", "last"] = "full"
    timeout: float = Field(default=120.0, gt=0)
    retries: int = Field(default=5, ge=0)
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=60.0, ge=0)
    policy: str | None = None
    policy_data: str | None = None
    objectives: str = "code"
    score_workers: int | None = Field(default=None, ge=0, le=64)

    @field_validator("model", "name")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("custom_strategies")
    @classmethod
    def _messages(cls, value: dict[str, str]) -> dict[str, str]:
        for sid, msg in value.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", sid):
                raise ValueError(f"strategy id {sid!r}: use letters, digits, _ or -")
            if not msg.strip():
                raise ValueError(f"strategy {sid}: the message is empty")
        return value

    @model_validator(mode="after")
    def _check(self) -> "ExperimentConfig":
        known_s = {**BUILTIN_STRATEGIES, **self.custom_strategies}
        for s in self.strategies:
            if s not in known_s:
                raise ValueError(f"strategies: unknown strategy {s!r}; known: "
                                 f"{', '.join(known_s)} (add it under [custom_strategies])")
        if not self.strategies:
            raise ValueError("strategies: the list is empty")
        known_t = {t.id for t in bundled_tasks()} | {t.id for t in self.custom_tasks}
        for t in self.tasks:
            if t != "all" and t not in known_t:
                raise ValueError(f"tasks: unknown task {t!r}; known: {', '.join(sorted(known_t))}"
                                 " (add it under [[custom_tasks]])")
        if not self.tasks:
            raise ValueError("tasks: the list is empty")
        if self.backend == "replay":
            for t in self.task_list():
                if t.id not in corpus_task_ids():
                    raise ValueError(f"tasks: task {t.id!r} is not in the replay corpus; "
                                     f"recorded: {', '.join(corpus_task_ids())}")
            for s in self.strategies:
                if s not in BUILTIN_STRATEGIES:
                    raise ValueError(f"strategies: {s!r} is not in the replay corpus "
                                     f"(recorded: {', '.join(BUILTIN_STRATEGIES)})")
        if self.model is None and self.backend != "replay":
            raise ValueError("model: no model given; set model in the config or pass --model")
        return self

    def task_list(self) -> tuple[Task, ...]:
        """The tasks to run, in order (``all``: every bundled and custom task;
        for replay, the corpus tasks)."""
        custom = {t.id: Task(t.id, t.prompt, tuple(t.tags), t.expected_lines)
                  for t in self.custom_tasks}
        table = {t.id: t for t in bundled_tasks()} | custom
        if "all" in self.tasks:
            if self.backend == "replay":
                return tuple(table[i] for i in corpus_task_ids())
            return tuple(table.values())
        return tuple(table[i] for i in self.tasks)

    def strategy_table(self) -> dict[str, Strategy]:
        """Built-in and custom strategies by id."""
        custom = {k: Strategy(k, v, "custom") for k, v in self.custom_strategies.items()}
        return {**BUILTIN_STRATEGIES, **custom}

    def identity(self) -> dict[str, Any]:
        """The keys that define the sessions (not counts, speed or paths)."""
        data = self.model_dump(mode="json")
        return {k: data[k] for k in IDENTITY_KEYS}

    def experiment_name(self) -> str:
        """``name``, or the model plus a hash of :meth:`identity` (so a rerun resumes)."""
        if self.name:
            return self.name
        blob = json.dumps(self.identity(), sort_keys=True).encode()
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.model or self.backend).strip("-")
        return f"{slug}-{hashlib.sha256(blob).hexdigest()[:8]}"

    def resolved_score_workers(self) -> int:
        """Scoring processes: ``score_workers``, or up to 4 when there are 2+ CPUs."""
        if self.score_workers is not None:
            return self.score_workers
        cpus = os.cpu_count() or 1
        return min(4, cpus) if cpus > 1 else 0

    def chat_request(self, messages: tuple[ChatMessage, ...], replicate: int = 0,
                     arm: str = "") -> ChatRequest:
        """The request this config sends for ``messages`` in replicate ``replicate``
        (seed: ``seed + replicate``, so replicates are independent samples)."""
        return ChatRequest(model=self.resolved_model(), messages=messages,
                           temperature=self.temperature, top_p=self.top_p,
                           seed=None if self.seed is None else self.seed + replicate,
                           max_tokens=self.max_tokens, replicate=replicate, arm=arm)

    def resolved_model(self) -> str:
        """The model name sent (``replay`` for the replay backend without one)."""
        return self.model or "replay"


def _format_errors(exc: ValidationError, source: str) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key; check its spelling (see `llmdyn run --help`)"
        elif "input" in err and err["type"] not in ("value_error", "missing") \
                and not isinstance(err["input"], dict | list):
            msg = f"{msg} (got {err['input']!r})"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"{source}: " + "; ".join(parts)


def load_config(path: str | Path | None = None,
                overrides: Mapping[str, Any] | None = None) -> ExperimentConfig:
    """Read a TOML config (optional) and apply ``overrides`` (None values ignored).

    Raises :class:`ConfigError` naming the file and the key for any problem.
    """
    data: dict[str, Any] = {}
    source = "command line"
    if path is not None:
        source = str(path)
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError as exc:
            raise ConfigError(f"{path}: config file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return ExperimentConfig(**data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, source)) from None
