"""The SQLite trajectory store: experiments, sessions and steps.

One file in WAL mode. Each step is committed in its own transaction, and
``UNIQUE(session_id, t)`` makes a duplicated step impossible: a completed step
is never overwritten (only a failed one is replaced when a resumed run retries
it). A resumed run reads the completed steps of each session and carries on
from there, so a killed run loses at most the requests that were in flight.

:func:`trajectory_frame` turns a store into the long trajectory table that
``llmdyn fit`` reads; :func:`export_trajectories` writes it as CSV, Parquet or
JSONL. No secret is ever written: the config is stored with the *name* of the
API-key variable only.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import chain, repeat
from operator import methodcaller
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StoreError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    experiment_id INTEGER NOT NULL REFERENCES experiments(id),
    task TEXT NOT NULL,
    label TEXT NOT NULL,
    policy TEXT,
    replicate INTEGER NOT NULL,
    model TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    stop_reason TEXT,
    events TEXT,
    error TEXT,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    t INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    strategy TEXT,
    reason TEXT,
    events TEXT,
    model TEXT,
    base_url TEXT,
    server_model TEXT,
    system_fingerprint TEXT,
    temperature REAL,
    top_p REAL,
    seed INTEGER,
    max_tokens INTEGER,
    replicate INTEGER,
    parent_hash TEXT,
    code_hash TEXT,
    request_key TEXT,
    response TEXT,
    code TEXT,
    language TEXT,
    scores TEXT,
    findings TEXT,
    latency_s REAL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    attempts INTEGER,
    cached INTEGER,
    finish_reason TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (session_id, t)
);
CREATE INDEX IF NOT EXISTS steps_session ON steps (session_id, t);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class StepRecord:
    """One request of a session and what came of it (a row of ``steps``).

    ``status`` is ``"ok"`` (scored) or ``"failed"`` (``error`` says why).
    ``scores`` maps objective -> value; ``findings`` is a list of plain dicts;
    ``events`` the policy's trigger events as plain dicts.
    """

    session_id: str
    t: int
    status: str
    strategy: str | None = None
    reason: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None
    base_url: str | None = None
    server_model: str | None = None
    system_fingerprint: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    max_tokens: int | None = None
    replicate: int | None = None
    parent_hash: str | None = None
    code_hash: str | None = None
    request_key: str | None = None
    response: str | None = None
    code: str | None = None
    language: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    latency_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    attempts: int | None = None
    cached: bool = False
    finish_reason: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)


_JSON_FIELDS = ("events", "scores", "findings")
_STEP_FIELDS = tuple(StepRecord.__dataclass_fields__)


def _row_to_step(row: sqlite3.Row) -> StepRecord:
    data = {k: row[k] for k in _STEP_FIELDS}
    for k in _JSON_FIELDS:
        data[k] = json.loads(data[k]) if data[k] else ({} if k == "scores" else [])
    data["cached"] = bool(data["cached"])
    return StepRecord(**data)


class Store:
    """An open store file (use as a context manager, or call :meth:`close`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            raise StoreError(f"{self.path}: folder {self.path.parent} does not exist")
        if self.path.is_file() and self.path.stat().st_size and not is_store(self.path):
            raise StoreError(f"{self.path}: not an llmdyn store (not a SQLite file)")
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                             (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from exc

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_meta(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON) under ``key``, replacing what was there."""
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str) -> Any:
        """The JSON value stored under ``key``, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    # -- experiments and sessions -------------------------------------------------

    def ensure_experiment(self, name: str, config: dict[str, Any],
                          identity: dict[str, Any] | None = None) -> int:
        """The id of experiment ``name``, created with ``config`` if new.

        If it exists, its stored ``identity`` keys must match (else the sessions
        would mix two different experiments under one name).
        """
        row = self._db.execute("SELECT id, config FROM experiments WHERE name = ?",
                               (name,)).fetchone()
        if row is None:
            with self._db:
                cur = self._db.execute(
                    "INSERT INTO experiments (name, config, created_at) VALUES (?, ?, ?)",
                    (name, json.dumps(config, sort_keys=True), _now()))
            return int(cur.lastrowid)
        if identity:
            old = json.loads(row["config"])
            for key, value in identity.items():
                if key in old and old[key] != value:
                    raise StoreError(
                        f"{self.path}: experiment {name!r} was run with {key} = {old[key]!r}, "
                        f"not {value!r}; give this run another name (name = ...) or store")
        return int(row["id"])

    def ensure_session(self, session_id: str, experiment_id: int, task: str, label: str,
                       replicate: int, model: str | None, policy: str | None = None) -> str:
        """Create session ``session_id`` if new; return its status."""
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO sessions (id, experiment_id, task, label, policy, "
                "replicate, model, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (session_id, experiment_id, task, label, policy, replicate, model, _now()))
        row = self._db.execute("SELECT status FROM sessions WHERE id = ?",
                               (session_id,)).fetchone()
        return str(row["status"])

    def session_statuses(self, experiment_id: int) -> dict[str, str]:
        """Session id -> status for one experiment."""
        rows = self._db.execute("SELECT id, status FROM sessions WHERE experiment_id = ?",
                                (experiment_id,))
        return {r["id"]: r["status"] for r in rows}

    def finish_session(self, session_id: str, status: str, *, reason: str | None = None,
                       events: Iterable[dict[str, Any]] = (), error: str | None = None) -> None:
        """Mark a session ``complete``, ``stopped`` (by its policy) or ``failed``."""
        if status not in ("complete", "stopped", "failed", "pending"):
            raise ValueError(f"bad session status {status!r}")
        with self._db:
            self._db.execute(
                "UPDATE sessions SET status = ?, stop_reason = ?, events = ?, error = ?, "
                "updated_at = ? WHERE id = ?",
                (status, reason, json.dumps(list(events)), error, _now(), session_id))

    # -- steps -----------------------------------------------------------------------

    def completed_steps(self, session_id: str) -> list[StepRecord]:
        """The session's scored steps t = 0, 1, ... up to the first gap or failure."""
        rows = self._db.execute("SELECT * FROM steps WHERE session_id = ? ORDER BY t",
                                (session_id,)).fetchall()
        out: list[StepRecord] = []
        for row in rows:
            if row["t"] != len(out) or row["status"] != "ok":
                break
            out.append(_row_to_step(row))
        return out

    def record_step(self, step: StepRecord) -> None:
        """Commit one step in its own transaction.

        A scored step at the same (session, t) is never replaced; a failed one
        is, so a resumed run can retry it. Raises :class:`StoreError` on an
        attempt to overwrite a scored step.
        """
        values = {k: getattr(step, k) for k in _STEP_FIELDS}  # shallow: no deep copies
        for k in _JSON_FIELDS:
            values[k] = json.dumps(values[k], ensure_ascii=False)
        values["cached"] = int(step.cached)
        cols = list(_STEP_FIELDS) + ["created_at"]
        values["created_at"] = _now()
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in ("session_id", "t"))
        sql = (f"INSERT INTO steps ({', '.join(cols)}) VALUES "
               f"({', '.join(':' + c for c in cols)}) ON CONFLICT (session_id, t) DO UPDATE "
               f"SET {updates} WHERE steps.status = 'failed'")
        with self._db:
            cur = self._db.execute(sql, values)
        if cur.rowcount == 0:
            raise StoreError(f"{self.path}: step {step.t} of session {step.session_id} "
                             "is already complete; it is never overwritten")

    def steps(self, experiment: str | None = None) -> list[StepRecord]:
        """Every step (ok and failed), ordered by session and t."""
        sql = ("SELECT steps.* FROM steps JOIN sessions ON sessions.id = steps.session_id "
               "JOIN experiments ON experiments.id = sessions.experiment_id")
        args: tuple[Any, ...] = ()
        if experiment is not None:
            sql += " WHERE experiments.name = ?"
            args = (experiment,)
        rows = self._db.execute(sql + " ORDER BY steps.session_id, steps.t", args)
        return [_row_to_step(r) for r in rows]

    def experiments(self) -> list[str]:
        """Experiment names, oldest first."""
        return [r["name"] for r in self._db.execute("SELECT name FROM experiments ORDER BY id")]

    def counts(self, experiment: str | None = None) -> dict[str, int]:
        """Numbers of sessions by status and steps by status."""
        where, args = ("WHERE e.name = ?", (experiment,)) if experiment else ("", ())
        out: dict[str, int] = {}
        for row in self._db.execute(
                "SELECT s.status, COUNT(*) FROM sessions s JOIN experiments e "
                f"ON e.id = s.experiment_id {where} GROUP BY s.status", args):
            out[f"sessions_{row[0]}"] = row[1]
        for row in self._db.execute(
                "SELECT st.status, COUNT(*) FROM steps st JOIN sessions s ON s.id = st.session_id "
                f"JOIN experiments e ON e.id = s.experiment_id {where} GROUP BY st.status", args):
            out[f"steps_{row[0]}"] = row[1]
        return out


def is_store(path: str | Path) -> bool:
    """True if ``path`` is a SQLite file (by its header)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(16).startswith(b"SQLite format 3")
    except OSError:
        return False


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the store at ``path``; read errors become StoreError."""
    if not path.is_file():
        raise StoreError(f"{path}: no such store")
    if not is_store(path):
        raise StoreError(f"{path}: not an llmdyn store (not a SQLite file)")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield db
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: cannot read the store: {exc}") from exc
    finally:
        db.close()


def _uncut_rows(session: "np.ndarray", t: "np.ndarray", ok: "np.ndarray") -> "np.ndarray":
    """Indices of the rows kept when each session is cut at its first bad row.

    Rows are ordered by (session, t). A row is bad if it failed or its t is not
    its position in the session (a gap); the bad row and all after it go.
    """
    import numpy as np

    n = len(t)
    if n == 0:
        return np.empty(0, dtype=np.intp)
    first = np.r_[True, session[1:] != session[:-1]]
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    position = np.arange(n) - starts[group]
    bad_at = np.where((t != position) | ~ok, np.arange(n), n)
    first_bad = np.minimum.reduceat(bad_at, starts)
    return np.flatnonzero(np.arange(n) < first_bad[group])


def _parse_scores(path: Path, docs: "np.ndarray", session: "np.ndarray",
                  t: "np.ndarray") -> list[dict[str, Any]]:
    """The score documents parsed in one ``json.loads`` call (empty -> ``{}``)."""
    try:
        return json.loads("[" + ",".join([d or "{}" for d in docs]) + "]")
    except json.JSONDecodeError:
        for doc, sid, step in zip(docs, session, t):  # name the broken row
            try:
                json.loads(doc or "{}")
            except json.JSONDecodeError as exc:
                raise StoreError(f"{path}: step t={step} of session {sid}: scores are not "
                                 f"JSON ({exc}); fix or delete that step") from exc
        raise


def trajectory_frame(db_path: str | Path, experiment: str | None = None, *,
                     min_states: int = 1) -> "pd.DataFrame":
    """The store's scored steps as the long trajectory table.

    One row per (session, t) with columns ``experiment, session, task, model,
    policy, replicate, strategy, t`` and one float column per objective (in
    order of first appearance). Each session is cut at its first failed or
    missing step, so t runs 0..T without gaps. Row 0 carries the session's
    label (its fixed strategy, or the policy name); row t >= 1 the strategy of
    the prompt that produced state t.

    Vectorised (10,000 sessions in about a second): sessions are read once
    each and joined by index, the cut is a per-session ``minimum.reduceat``,
    and the kept score documents are parsed by one ``json.loads`` call.

    ``min_states`` leaves out sessions with fewer states after the cut (a
    session stopped or failed at t = 0 or 1 holds no transition), with a
    warning that counts them; the fit and the export ask for 2.
    """
    import numpy as np
    import pandas as pd

    path = Path(db_path)
    with _read_only(path) as db:
        where, args = "", ()
        if experiment is not None:
            names = [r[0] for r in db.execute("SELECT name FROM experiments")]
            if experiment not in names:
                raise StoreError(f"{path}: no experiment {experiment!r}; "
                                 f"the store has: {', '.join(names) or 'none'}")
            where, args = " WHERE e.name = ?", (experiment,)
        sessions = db.execute(
            "SELECT s.id, e.name, s.task, s.model, s.policy, s.replicate, s.label "
            "FROM sessions s JOIN experiments e ON e.id = s.experiment_id" + where, args).fetchall()
        # ordered by the (session_id, t) index; no join (per-row lookups would double the
        # cost): steps of sessions not listed above are dropped below
        within = (" WHERE session_id IN (SELECT s.id FROM sessions s JOIN experiments e "
                  f"ON e.id = s.experiment_id{where})") if where else ""
        steps = db.execute("SELECT session_id, t, status = 'ok', strategy, scores FROM steps"
                           f"{within} ORDER BY session_id, t", args).fetchall()
    sid, t, ok, strategy, scores = (np.array(c, dtype=object) for c in zip(*steps)) \
        if steps else (np.empty(0, dtype=object),) * 5
    t_arr = t.astype(np.int64)
    info = np.array(sessions, dtype=object).reshape(len(sessions), 7)
    index = {s: i for i, s in enumerate(info[:, 0])}
    kept = _uncut_rows(sid, t_arr, ok.astype(bool))
    row_of = np.fromiter(map(index.get, sid[kept], repeat(-1)), dtype=np.intp, count=len(kept))
    kept, row_of = kept[row_of >= 0], row_of[row_of >= 0]
    parsed = _parse_scores(path, scores[kept], sid[kept], t_arr[kept])
    shapes = set(map(tuple, parsed))
    if len(shapes) == 1:  # the usual case: every step scored on the same objectives, in order
        objectives = list(shapes.pop())
        flat = np.fromiter(chain.from_iterable(map(dict.values, parsed)), dtype=float,
                           count=len(parsed) * len(objectives))
        values = dict(zip(objectives, flat.reshape(len(parsed), len(objectives)).T))
    else:
        objectives = list(dict.fromkeys(chain.from_iterable(parsed)))
        values = {name: np.fromiter(map(methodcaller("get", name, np.nan), parsed),
                                    dtype=float, count=len(parsed)) for name in objectives}
    rows = info[row_of]
    t_kept = t_arr[kept]
    frame = pd.DataFrame({
        "experiment": rows[:, 1], "session": rows[:, 0], "task": rows[:, 2],
        "model": rows[:, 3], "policy": rows[:, 4], "replicate": rows[:, 5].astype(np.int64),
        "strategy": np.where(t_kept == 0, rows[:, 6], strategy[kept]), "t": t_kept,
        **values,
    })
    return _drop_short_sessions(frame, min_states, path)


def _drop_short_sessions(frame: "pd.DataFrame", min_states: int, path: Path) -> "pd.DataFrame":
    """Leave out sessions with fewer than ``min_states`` rows, and say how many."""
    if min_states <= 1 or frame.empty:
        return frame
    sizes = frame.groupby("session", sort=False)["t"].transform("size")
    short = sizes < min_states
    if short.any():
        n = frame.loc[short, "session"].nunique()
        warnings.warn(f"{path}: left out {n} session{'s' if n > 1 else ''} with fewer than "
                      f"{min_states} scored states (stopped or failed early; no transition to fit)",
                      stacklevel=3)
        frame = frame.loc[~short].reset_index(drop=True)
    return frame


def export_trajectories(db_path: str | Path, out_path: str | Path, fmt: str | None = None,
                        experiment: str | None = None) -> Path:
    """Write the trajectory table of a store as ``csv``, ``parquet`` or ``jsonl``.

    ``fmt`` defaults to the output file's extension. Returns the written path.
    """
    out = Path(out_path)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "parquet", "jsonl"):
        raise StoreError(f"{out}: unknown export format {fmt!r}; use csv, parquet or jsonl")
    frame = trajectory_frame(db_path, experiment, min_states=2)
    if fmt == "csv":
        frame.to_csv(out, index=False)
    elif fmt == "parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_json(out, orient="records", lines=True)
    return out


def decision_frame(db_path: str | Path, experiment: str | None = None, *,
                   steered_only: bool = False) -> "pd.DataFrame":
    """What each session's policy decided: one row per step, plus one per stop.

    Columns ``experiment, session, policy, t, status, strategy, reason,
    events`` (``events``: list of plain trigger-event dicts; ``t``: nullable
    Int64). A session its policy stopped gets a last row with ``t`` missing,
    ``status`` ``"stopped"``, the stop reason and the events that stopped it.
    Only the light columns are read (no responses or code), so a large store
    stays cheap. ``steered_only`` keeps the sessions run under a policy (or
    with a trigger event or a stop); ``llmdyn steer log`` and the report's
    steering section both read this.
    """
    import pandas as pd

    path = Path(db_path)
    where, args = [], []
    if experiment is not None:
        where.append("e.name = ?")
        args.append(experiment)
    if steered_only:
        where.append("(s.policy IS NOT NULL OR s.status = 'stopped' OR EXISTS (SELECT 1 FROM steps x "
                     "WHERE x.session_id = s.id AND x.events IS NOT NULL AND x.events NOT IN ('', '[]')))")
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    base = "FROM sessions s JOIN experiments e ON e.id = s.experiment_id"
    with _read_only(path) as db:
        steps = db.execute(f"SELECT e.name, s.id, s.policy, st.t, st.status, st.strategy, st.reason, st.events "
                           f"{base} JOIN steps st ON st.session_id = s.id{cond}", args).fetchall()
        stops = db.execute(f"SELECT e.name, s.id, s.policy, NULL, s.status, NULL, s.stop_reason, s.events "
                           f"{base}{cond}{' AND' if cond else ' WHERE'} s.status = 'stopped'", args).fetchall()
    cols = ["experiment", "session", "policy", "t", "status", "strategy", "reason", "events"]
    frame = pd.DataFrame.from_records(steps + stops, columns=cols)
    frame["t"] = frame["t"].astype("Int64")
    frame["reason"] = frame["reason"].fillna("")
    frame["events"] = [json.loads(e) if e and e != "[]" else [] for e in frame["events"]]
    frame = frame.sort_values(["session", "t"], na_position="last", kind="stable", ignore_index=True)
    return frame
