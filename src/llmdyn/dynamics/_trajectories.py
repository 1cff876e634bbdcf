"""Trajectory data: many short sessions of n objective scores, in one long table.

A :class:`Trajectories` is the analysis model every fit, bootstrap and Pareto
summary starts from. It is validated once, when it is built, so the numerics
never meet missing columns, gaps in ``t`` or non-finite scores; every error
names the source, the row and the column, and says what to do.

Row numbers in messages count data rows from 1 in the order they were given
(the header of a CSV file is not a row).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError

REQUIRED_COLUMNS = ("session", "strategy", "t")
RESERVED_COLUMNS = frozenset(
    {"session", "strategy", "task", "model", "t", "policy", "replicate", "experiment", "reason"}
)

class SessionPath(NamedTuple):
    """One session's states in time order: ``states`` has shape (T + 1, n)."""

    session: str
    strategy: str
    states: np.ndarray


@dataclass(frozen=True)
class Transitions:
    """Pooled one-step transitions ``X_t -> X_{t+1}``.

    ``X`` and ``dX`` have shape (m, n); ``session`` (m,) holds indices into
    ``Trajectories.session_ids``; rows are ordered by session, then t.
    Unpacks as ``X, dX, session = traj.transitions()``.
    """

    X: np.ndarray
    dX: np.ndarray
    session: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.dX, self.session))

    @property
    def m(self) -> int:
        """Number of transitions."""
        return int(self.X.shape[0])


def _row_label(source: str, row: int, frame: pd.DataFrame | None = None, pos: int | None = None) -> str:
    where = f"{source}: row {row}"
    if frame is not None and pos is not None:
        try:
            where += f" (session {frame['session'].iloc[pos]!s}, t={frame['t'].iloc[pos]!s})"
        except (KeyError, IndexError):
            pass
    return where


def _looks_numeric(col: pd.Series) -> bool:
    """Numeric dtype, or text where most non-missing values parse as numbers."""
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        present = col.dropna()
        if present.empty:
            return False
        parsed = pd.to_numeric(present, errors="coerce")
        return bool(parsed.notna().mean() >= 0.5)
    return False


def _numeric_column(df: pd.DataFrame, name: str, source: str, rows: np.ndarray,
                    need: str = "every objective score must be a finite number") -> np.ndarray:
    """Column ``name`` as finite floats, or a DataError at the first bad row."""
    col = df[name]
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raw = col.iloc[pos]
        if isinstance(raw, np.generic):
            raw = raw.item()
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            what = "is missing"
        elif isinstance(raw, (int, float, np.floating, np.integer)):
            what = f"is not finite ({raw!r})"
        else:
            parsed = pd.to_numeric(pd.Series([raw]), errors="coerce").iloc[0]
            what = f"is not finite ({raw!r})" if pd.notna(parsed) else f"is not a number ({raw!r})"
        n_bad = int(bad.sum())
        more = f" ({n_bad - 1} more bad values in this column)" if n_bad > 1 else ""
        raise DataError(
            f"{_row_label(source, int(rows[pos]), df, pos)}, column {name!r}: value {what}{more}; "
            f"{need}"
        )
    return values


class Trajectories:
    """Validated trajectories of objective scores, one row per (session, t).

    Build with :meth:`from_frame` or :func:`load_trajectories`. The transition
    ``t -> t+1`` belongs to the strategy on row ``t+1``; a session's label
    (for Pareto summaries and :meth:`select`) is the strategy on its first row.
    """

    __slots__ = ("_frame", "_objectives", "_source", "_rows", "_states", "_session_codes",
                 "_session_ids", "_row_strategy", "_session_strategy")

    def __init__(self, frame: pd.DataFrame, objectives: tuple[str, ...], source: str,
                 rows: np.ndarray) -> None:
        # Private: use from_frame / load_trajectories, which validate first.
        self._frame = frame
        self._objectives = objectives
        self._source = source
        self._rows = rows
        self._states = frame.loc[:, list(objectives)].to_numpy(dtype=float)
        self._states.setflags(write=False)
        codes, uniques = pd.factorize(frame["session"], sort=False)
        self._session_codes = codes.astype(np.intp)
        self._session_ids = tuple(str(u) for u in uniques)
        self._row_strategy = frame["strategy"].to_numpy(dtype=object)
        first = np.r_[True, codes[1:] != codes[:-1]]
        self._session_strategy = tuple(str(s) for s in self._row_strategy[first])

    # -- construction ------------------------------------------------------
    @classmethod
    def from_frame(cls, df: pd.DataFrame, objectives: Sequence[str] | None = None,
                   source: str | None = None) -> "Trajectories":
        """Validate a long table and build trajectories from it.

        Parameters
        ----------
        df : columns ``session, strategy, t`` plus objective columns
            (optional ``task, model``).
        objectives : objective columns to use, in order; default all remaining
            numeric columns (reserved names such as ``task`` are never objectives).
        source : name used in error messages (a file name); default ``"data"``.
        """
        src = source or "data"
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"{src}: expected a pandas DataFrame, got {type(df).__name__}")
        df = df.reset_index(drop=True)
        missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
        if missing:
            raise DataError(
                f"{src}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(c) for c in missing)}; a trajectory table needs columns "
                f"session, strategy, t and one column per objective (found: {', '.join(map(str, df.columns))})"
            )
        if df.empty:
            raise DataError(f"{src}: the table has no rows")
        rows = np.arange(1, len(df) + 1)
        objectives = cls._choose_objectives(df, objectives, src)

        for name in ("session", "strategy"):
            miss = df[name].isna().to_numpy()
            if miss.any():
                pos = int(np.flatnonzero(miss)[0])
                raise DataError(f"{src}: row {rows[pos]}, column {name!r}: value is missing; "
                                f"every row needs a {name}")
        out = pd.DataFrame({"session": df["session"].astype(str), "strategy": df["strategy"].astype(str)})
        t_vals = _numeric_column(df, "t", src, rows, "t must be an integer iteration number 0, 1, 2, ...")
        frac = t_vals != np.round(t_vals)
        if frac.any():
            pos = int(np.flatnonzero(frac)[0])
            raise DataError(f"{src}: row {rows[pos]}, column 't': value {float(t_vals[pos])!r} is not an "
                            f"integer; t counts iterations 0, 1, 2, ...")
        out["t"] = t_vals.astype(np.int64)
        for extra in ("task", "model"):
            if extra in df.columns:
                out[extra] = df[extra]
        for name in objectives:
            out[name] = _numeric_column(df, name, src, rows)

        order = np.lexsort((out["t"].to_numpy(), out["session"].to_numpy()))
        out = out.iloc[order].reset_index(drop=True)
        rows = rows[order]
        cls._check_time_index(out, src, rows)
        return cls(out, tuple(objectives), src, rows)

    @staticmethod
    def _choose_objectives(df: pd.DataFrame, objectives: Sequence[str] | None, src: str) -> list[str]:
        if objectives is not None:
            chosen = [str(o).strip() for o in objectives if str(o).strip()]
            if not chosen:
                raise DataError(f"{src}: no objective columns were named")
            absent = [o for o in chosen if o not in df.columns]
            if absent:
                avail = [str(c) for c in df.columns if c not in RESERVED_COLUMNS]
                raise DataError(
                    f"{src}: missing objective column{'s' if len(absent) > 1 else ''} "
                    f"{', '.join(repr(a) for a in absent)}; available columns: {', '.join(avail) or 'none'}"
                )
            reserved = [o for o in chosen if o in RESERVED_COLUMNS]
            if reserved:
                raise DataError(f"{src}: column {reserved[0]!r} is reserved and cannot be an objective")
            if len(set(chosen)) != len(chosen):
                raise DataError(f"{src}: objective columns are named more than once: {', '.join(chosen)}")
            return chosen
        chosen = [str(c) for c in df.columns if c not in RESERVED_COLUMNS and _looks_numeric(df[c])]
        if not chosen:
            raise DataError(
                f"{src}: no objective columns found; besides session, strategy and t the table needs "
                f"at least one numeric column of scores"
            )
        return chosen

    @staticmethod
    def _check_time_index(out: pd.DataFrame, src: str, rows: np.ndarray) -> None:
        sess = out["session"].to_numpy()
        t = out["t"].to_numpy()
        same = sess[1:] == sess[:-1]
        dup = same & (t[1:] == t[:-1])
        if dup.any():
            pos = int(np.flatnonzero(dup)[0]) + 1
            first = int(rows[pos - 1])
            raise DataError(
                f"{src}: row {rows[pos]}, columns 'session', 't': duplicate (session {sess[pos]}, t={t[pos]}), "
                f"also on row {first}; each session has one row per iteration"
            )
        gap = same & (t[1:] != t[:-1] + 1)
        if gap.any():
            pos = int(np.flatnonzero(gap)[0]) + 1
            raise DataError(
                f"{src}: row {rows[pos]}, column 't': session {sess[pos]} jumps from t={t[pos - 1]} "
                f"to t={t[pos]}; iterations must be consecutive (fill the gap or cut the session there)"
            )
        starts = np.r_[True, ~same]
        counts = np.diff(np.r_[np.flatnonzero(starts), len(sess)])
        short = np.flatnonzero(counts < 2)
        if short.size:
            pos = int(np.flatnonzero(starts)[short[0]])
            names = sess[np.flatnonzero(starts)[short]]
            more = f" ({len(names) - 1} more such sessions)" if len(names) > 1 else ""
            raise DataError(
                f"{src}: row {rows[pos]}, column 'session': session {sess[pos]} has only 1 state{more}; "
                f"a session needs at least 2 states (t=0 and t=1) to give a transition; drop it"
            )

    # -- accessors -----------------------------------------------------------
    @property
    def frame(self) -> pd.DataFrame:
        """The validated table, sorted by session and t (a copy)."""
        return self._frame.copy()

    @property
    def source(self) -> str:
        """Where the data came from (used in messages)."""
        return self._source

    @property
    def objectives(self) -> tuple[str, ...]:
        """Objective names, in column order."""
        return self._objectives

    @property
    def n(self) -> int:
        """Number of objectives."""
        return len(self._objectives)

    @property
    def session_ids(self) -> tuple[str, ...]:
        """Session ids in table order."""
        return self._session_ids

    @property
    def session_strategies(self) -> tuple[str, ...]:
        """Each session's label: the strategy on its first row."""
        return self._session_strategy

    @property
    def strategies(self) -> tuple[str, ...]:
        """Strategies that made transitions (the ones a drift can be fitted for), sorted."""
        trans = self._row_strategy[1:][self._session_codes[1:] == self._session_codes[:-1]]
        return tuple(sorted(set(map(str, trans))))

    @property
    def states(self) -> np.ndarray:
        """All states, shape (rows, n), in table order (read-only)."""
        return self._states

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        return (f"Trajectories({len(self._session_ids)} sessions, {len(self._frame)} states, "
                f"objectives={list(self._objectives)}, strategies={list(self.strategies)})")

    # -- derived views ------------------------------------------------------------
    def select(self, strategies: Sequence[str] | str | None = None,
               objectives: Sequence[str] | None = None) -> "Trajectories":
        """Sessions labelled with one of ``strategies``, restricted to ``objectives``."""
        frame = self._frame
        rows = self._rows
        if strategies is not None:
            wanted = {strategies} if isinstance(strategies, str) else set(map(str, strategies))
            known = set(self.strategies) | set(self._session_strategy)
            unknown = wanted - known
            if unknown:
                raise DataError(
                    f"{self._source}: no sessions for strategy {', '.join(sorted(unknown))}; "
                    f"strategies in the data: {', '.join(sorted(known))}"
                )
            label = np.asarray(self._session_strategy, dtype=object)[self._session_codes]
            keep = np.isin(label, list(wanted))
            frame = frame.loc[keep].reset_index(drop=True)
            rows = rows[keep]
        objs = self._objectives
        if objectives is not None:
            objs = tuple(str(o).strip() for o in objectives if str(o).strip())
            absent = [o for o in objs if o not in self._objectives]
            if absent or not objs:
                raise DataError(
                    f"{self._source}: unknown objective {', '.join(map(repr, absent)) or '(none given)'}; "
                    f"objectives in the data: {', '.join(self._objectives)}"
                )
            keep_cols = [c for c in frame.columns if c not in self._objectives or c in objs]
            frame = frame.loc[:, keep_cols]
        return Trajectories(frame, objs, self._source, rows)

    def transitions(self, strategy: str | Sequence[str] | None = None) -> Transitions:
        """Pooled transitions, optionally only those made by ``strategy`` (one or several)."""
        codes = self._session_codes
        link = np.flatnonzero(codes[1:] == codes[:-1])  # row i -> i+1 within a session
        if isinstance(strategy, str):
            link = link[self._row_strategy[link + 1] == strategy]
        elif strategy is not None:
            link = link[np.isin(self._row_strategy[link + 1], [str(s) for s in strategy])]
        X = self._states[link]
        dX = self._states[link + 1] - X
        return Transitions(X=X, dX=dX, session=codes[link])

    def final_states(self) -> pd.DataFrame:
        """Last state of every session with its label: columns session, strategy, objectives."""
        codes = self._session_codes
        last = np.r_[codes[1:] != codes[:-1], True]
        out = self._frame.loc[last, ["session", *self._objectives]].reset_index(drop=True)
        out.insert(1, "strategy", list(self._session_strategy))
        return out

    def paths(self) -> list[SessionPath]:
        """Every session's states in time order, with its label."""
        codes = self._session_codes
        bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
        return [
            SessionPath(self._session_ids[k], self._session_strategy[k], self._states[bounds[k]:bounds[k + 1]])
            for k in range(len(bounds) - 1)
        ]


def _read_table(path: Path) -> pd.DataFrame:
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".gz" else path.suffix.lower()
    try:
        if suffix in (".csv", ".csv.gz", ".tsv"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".jsonl", ".ndjson", ".jsonl.gz"):
            return pd.read_json(path, lines=True)
        if suffix == ".json":
            return pd.read_json(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: cannot be read as {suffix[1:]} ({first})") from None
    raise DataError(
        f"{path}: unknown file type {suffix or '(no suffix)'!r}; use .csv, .parquet, .jsonl or an llmdyn SQLite store"
    )


def load_trajectories(path: str | Path, objectives: Sequence[str] | None = None) -> Trajectories:
    """Read trajectories from a CSV, Parquet or JSONL file, or an llmdyn SQLite store.

    A store is recognised by the SQLite header, whatever its suffix.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    if p.is_dir():
        raise DataError(f"{p}: is a folder; give a .csv, .parquet, .jsonl file or a store")
    from ..store import is_store, trajectory_frame  # lazy: a light module, imports no layer

    if is_store(p):
        df = trajectory_frame(p, min_states=2)
    else:
        df = _read_table(p)
    return Trajectories.from_frame(df, objectives=objectives, source=str(p))


def as_trajectories(data: Any, objectives: Sequence[str] | None = None) -> Trajectories:
    """Accept a Trajectories, a DataFrame or a path."""
    if isinstance(data, Trajectories):
        return data.select(objectives=objectives) if objectives is not None else data
    if isinstance(data, pd.DataFrame):
        return Trajectories.from_frame(data, objectives=objectives)
    if not isinstance(data, (str, Path)):
        raise DataError(f"expected Trajectories, a trajectory DataFrame or a file path, got {type(data).__name__}")
    return load_trajectories(data, objectives=objectives)
