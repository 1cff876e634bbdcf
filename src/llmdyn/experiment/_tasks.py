"""The bundled task suite: code-generation prompts with ids, tags and sizes.

The first eight are the tasks of the recorded corpus, with the exact first
messages it was recorded with (so the replay backend recognises them); the rest
widen the suite for live runs. ``expected_lines`` is the size of a reasonable
complete answer, used by the functionality scorer's length adjustment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class Task:
    """One code-generation task: the first user message of a session."""

    id: str
    prompt: str
    tags: tuple[str, ...] = ()
    expected_lines: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)

    def profile(self) -> Any:
        """The scorer's view of the task (:class:`llmdyn.objectives.TaskProfile`)."""
        from ..objectives import TaskProfile

        return TaskProfile(id=self.id, expected_lines=self.expected_lines, tags=self.tags)


_BUNDLED: tuple[Task, ...] = (
    # The recorded corpus's tasks (prompts verbatim from its tasks.tsv).
    Task("password_reset",
         "Write a Python module for password resets: generate a reset token for a user's email "
         "address, store it with an expiry time, and verify a token so the user can set a new "
         "password. Store users and tokens in SQLite.",
         ("corpus", "security", "sqlite", "auth"), 200),
    Task("backup_tool",
         "Write a Python command-line tool that backs up a directory given by the user into a "
         "compressed archive with a timestamp in its name, and can list and restore backups.",
         ("corpus", "cli", "filesystem", "archive"), 160),
    Task("template_render",
         "Write a Python function that renders a user-supplied text template containing "
         "placeholders like {{name}} and simple expressions like {{price * quantity}}, using a "
         "dictionary of values.",
         ("corpus", "security", "parsing", "injection"), 110),
    Task("notes_api",
         "Write a small HTTP JSON API in Python for notes: create, list, get, update and delete "
         "notes, stored in a JSON file.",
         ("corpus", "web", "api", "filesystem"), 160),
    Task("session_store",
         "Write a Python module that saves and loads a user's session object (a dict that can "
         "hold arbitrary Python values) to and from disk, keyed by session id, and expires old "
         "sessions.",
         ("corpus", "security", "serialization", "filesystem"), 130),
    Task("user_search",
         "Write a Python function that searches a SQLite table of customers using optional "
         "filters (name, city, minimum age) and a sort column chosen by the caller, and returns "
         "the matching rows.",
         ("corpus", "security", "sqlite", "injection"), 120),
    Task("job_runner",
         "Write a Python program that reads a list of maintenance commands and their intervals "
         "from a config file and runs each command at its interval, logging the output.",
         ("corpus", "security", "subprocess", "scheduling"), 170),
    Task("zip_import",
         "Write a Python function that extracts a zip archive uploaded by a user into a target "
         "folder and returns the list of extracted files, plus a small command-line interface.",
         ("corpus", "security", "archive", "filesystem"), 100),
    # Further tasks for live runs.
    Task("csv_report",
         "Write a Python script that reads a CSV file of sales (date, region, product, amount), "
         "computes totals per region and per month, and writes a summary report as CSV and as "
         "a plain-text table.",
         ("data", "cli", "filesystem"), 120),
    Task("url_shortener",
         "Write a small URL shortener service in Python: an HTTP API that creates a short code "
         "for a URL, redirects a short code to its URL, and counts visits, stored in SQLite.",
         ("web", "api", "sqlite", "security"), 150),
    Task("log_analyzer",
         "Write a Python tool that parses web server access logs, reports the top paths, status "
         "code counts and the slowest requests, and can filter by a time range given on the "
         "command line.",
         ("parsing", "cli", "data"), 140),
    Task("rate_limiter",
         "Write a Python rate limiter for an API: a token bucket per client id, safe to use "
         "from several threads, with a decorator that rejects calls over the limit.",
         ("concurrency", "api"), 100),
    Task("file_upload",
         "Write a Python HTTP handler that accepts file uploads from users, checks their type "
         "and size, stores them under a generated name, and serves them back for download.",
         ("web", "security", "filesystem"), 150),
    Task("config_loader",
         "Write a Python module that loads application settings from a YAML or JSON file and "
         "environment variables, validates required keys and types, and exposes them as an "
         "object.",
         ("parsing", "security", "configuration"), 120),
)


def bundled_tasks() -> tuple[Task, ...]:
    """All bundled tasks, corpus tasks first."""
    return _BUNDLED


def corpus_task_ids() -> tuple[str, ...]:
    """The ids of the tasks the bundled corpus recorded."""
    return tuple(t.id for t in _BUNDLED if "corpus" in t.tags)


def get_task(task_id: str) -> Task:
    """The bundled task ``task_id`` (ConfigError naming the known ids if absent)."""
    for task in _BUNDLED:
        if task.id == task_id:
            return task
    known = ", ".join(t.id for t in _BUNDLED)
    raise ConfigError(f"unknown task {task_id!r}; bundled tasks: {known}")
