"""The report's steering section: what each policy chose, why, and what fired.

A store written by ``llmdyn run --policy ...`` records, at every step, the
strategy the policy chose, its reason and the trigger events (read with
:func:`llmdyn.store.decision_frame`, as ``llmdyn steer log`` does). This module
turns those rows into small display tables and a plain-language reading:
per policy, the share of turns each strategy got, the choices per turn, the
trigger events, the sessions a trigger stopped and, for the first few
sessions, the step-by-step log. Counts are pandas aggregations and every
listing is capped, so a store with many sessions gives a page of bounded size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

_DASH = "—"
_STOP_ACTIONS = ("stop", "handoff")
_NO_POLICY = "(no policy)"


@dataclass(frozen=True)
class SteeringTable:
    """One display table: strings, with a named index."""

    key: str
    title: str
    frame: pd.DataFrame
    note: str = ""
    text: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: header and rows of strings."""
        return {"key": self.key, "title": self.title, "note": self.note, "text": self.text,
                "header": [str(self.frame.index.name or ""), *map(str, self.frame.columns)],
                "rows": [[str(i), *map(str, row)] for i, row in zip(self.frame.index, self.frame.to_numpy().tolist())]}


@dataclass(frozen=True)
class SteeringSummary:
    """The steering section: readings (one paragraph per policy) and tables."""

    policies: tuple[str, ...]
    n_sessions: int
    reading: tuple[str, ...]
    tables: tuple[SteeringTable, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {"policies": list(self.policies), "n_sessions": self.n_sessions, "reading": list(self.reading),
                "tables": [t.to_dict() for t in self.tables]}

    def to_markdown(self) -> str:
        """The section as Markdown (heading level 2, tables level 3)."""
        from ._render import markdown_table

        parts = ["## Steering", "\n".join(f"- {line}" for line in self.reading)]
        for table in self.tables:
            parts.append(f"### {table.title}" + (f"\n\n{table.note}" if table.note else "")
                         + "\n\n" + markdown_table(table.frame))
        return "\n\n".join(parts)


def load_decisions(source: Any, experiment: str | None = None) -> pd.DataFrame | None:
    """The steered sessions' decision rows of a store, or None.

    None when ``source`` is not a store path (a trajectory file, a frame) or
    the store has no session run under a policy, with a trigger event or stopped.
    """
    from ..store import decision_frame, is_store

    if not isinstance(source, (str, Path)) or not is_store(source):
        return None
    frame = decision_frame(source, experiment, steered_only=True)
    return frame if len(frame) else None


def _events(dec: pd.DataFrame) -> pd.DataFrame:
    """One row per trigger event: policy, session, step t, and the event's fields."""
    cols = ["policy", "session", "step", "name", "t", "action", "message"]
    has = dec["events"].map(len) > 0
    if not has.any():
        return pd.DataFrame(columns=cols)
    rows = dec.loc[has, ["policy", "session", "t", "events"]].rename(columns={"t": "step"}).explode("events")
    fields = pd.DataFrame(rows["events"].tolist(), index=rows.index)
    out = rows.drop(columns="events").join(fields.reindex(columns=["name", "t", "action", "message"]))
    return out.reset_index(drop=True)[cols]


def _share(counts: pd.Series) -> str:
    total = int(counts.sum())
    return ", ".join(f"{s} in {n / total:.0%}" for s, n in counts.items()) if total else ""


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _event_text(events: list[Mapping[str, Any]]) -> str:
    return "; ".join(f"{e.get('name')} ({e.get('action')}): {e.get('message')}" for e in events) or ""


def _cell(x: Any) -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and x != x):
        return _DASH
    return str(x)


def _reading(policy: str, turns: pd.DataFrame, events: pd.DataFrame, stops: pd.DataFrame, n_sessions: int) -> str:
    """One plain-language paragraph: choice shares, triggers fired, sessions stopped."""
    counts = turns["strategy"].value_counts()
    plural = "s" if n_sessions != 1 else ""
    parts = [f"{policy} ({n_sessions} session{plural}, {len(turns)} turns) "
             + (f"chose {_share(counts)} of turns" if len(turns) else "took no turn")]
    if len(events):
        fired = events["name"].value_counts()
        parts.append(", ".join(f"{name} fired {_times(int(n))}" for name, n in fired.items()))
    else:
        parts.append("no trigger fired")
    if len(stops):
        names = stops["trigger"][stops["trigger"] != ""].str.split(", ").explode().value_counts()
        how = f", by {', '.join(f'{k} ({int(v)})' for k, v in names.items())}" if len(names) else ""
        parts.append(f"{len(stops)} of {n_sessions} sessions stopped{how}")
    else:
        parts.append("no session was stopped")
    return "; ".join(parts) + "."


def _session_table(sid: str, rows: pd.DataFrame) -> SteeringTable:
    """A session's steps: t, strategy, reason, events; a last row if it was stopped."""
    ended = rows["t"].isna().to_numpy()
    disp = pd.DataFrame({
        "strategy": [_DASH if e else _cell(s) for s, e in zip(rows["strategy"], ended)],
        "reason": [f"stopped: {r}" if e else r for r, e in zip(rows["reason"], ended)],
        "events": [_event_text(ev) or _DASH for ev in rows["events"]],
    }, index=pd.Index(["end" if e else str(int(t)) for t, e in zip(rows["t"], ended)], name="t"))
    return SteeringTable(f"steering-session-{sid}", f"Session {sid}", disp, text=True)


def _key(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower() or "policy"


def steering_summary(decisions: pd.DataFrame, *, max_sessions: int = 10, max_events: int = 50,
                     max_turns: int = 50) -> SteeringSummary:
    """Tables and readings of the steering section from decision rows.

    Parameters
    ----------
    decisions : rows of :func:`llmdyn.store.decision_frame` (steered sessions).
    max_sessions : sessions listed step by step per policy (the rest counted).
    max_events : trigger events and stopped sessions listed per policy.
    max_turns : turns shown in the choices-per-turn table.
    """
    dec = decisions.copy()
    dec["policy"] = dec["policy"].fillna(_NO_POLICY).astype(str)
    ended = dec["t"].isna()
    steps = dec[~ended]
    turns = steps[steps["t"] >= 1]
    events = _events(dec)
    stop_rows = dec[ended].copy()
    stop_rows["trigger"] = [", ".join(dict.fromkeys(e["name"] for e in ev if e.get("action") in _STOP_ACTIONS))
                            for ev in stop_rows["events"]]
    last_t = steps.groupby("session")["t"].max()
    policies = tuple(dict.fromkeys(dec["policy"]))
    sessions = dec.groupby("policy", sort=False)["session"].nunique()
    choice = pd.crosstab(turns["policy"], turns["strategy"]) if len(turns) else pd.DataFrame()
    ev_count = events.groupby("policy").size()
    stopped = stop_rows.groupby("policy").size()

    summary = pd.DataFrame(index=pd.Index(policies, name="policy"))
    summary["sessions"] = [str(int(sessions[p])) for p in policies]
    summary["turns"] = [str(int((turns["policy"] == p).sum())) for p in policies]
    for s in choice.columns:
        summary[f"chose {s}"] = [
            f"{int(choice.at[p, s])} ({choice.at[p, s] / max(int(choice.loc[p].sum()), 1):.0%})"
            if p in choice.index else "0" for p in policies]
    summary["trigger events"] = [str(int(ev_count.get(p, 0))) for p in policies]
    summary["stopped sessions"] = [str(int(stopped.get(p, 0))) for p in policies]
    tables = [SteeringTable("steering-summary", "Steering summary", summary,
                            "A turn is an improvement prompt (t ≥ 1), whose strategy the policy chose; t = 0 is the "
                            "task prompt.")]
    reading = []
    for p in policies:
        key = _key(p)
        p_dec, p_turns = dec[dec["policy"] == p], turns[turns["policy"] == p]
        p_events, p_stops = events[events["policy"] == p], stop_rows[stop_rows["policy"] == p]
        p_sessions = list(dict.fromkeys(p_dec["session"]))
        reading.append(_reading(p, p_turns, p_events, p_stops, len(p_sessions)))
        if len(p_turns):
            per_turn = pd.crosstab(p_turns["t"].astype(int), p_turns["strategy"])
            note = "Sessions choosing each strategy at each turn."
            if len(per_turn) > max_turns:
                note += f" First {max_turns} of {len(per_turn)} turns."
                per_turn = per_turn.iloc[:max_turns]
            per_turn.index = per_turn.index.astype(str).rename("t")
            per_turn.columns = per_turn.columns.astype(str).rename(None)
            tables.append(SteeringTable(f"steering-{key}-per-turn", f"Strategies chosen per turn ({p})",
                                        per_turn.astype(str), note))
        if len(p_events):
            counts = p_events.groupby(["name", "action"], sort=False).size().rename("events").reset_index()
            counts["sessions"] = p_events.groupby(["name", "action"], sort=False)["session"].nunique().to_numpy()
            tables.append(SteeringTable(f"steering-{key}-trigger-counts", f"Trigger events ({p})",
                                        counts.set_index("name").rename_axis("trigger").astype(str),
                                        "How often each trigger fired, with its action, and in how many sessions."))
            shown = p_events.iloc[:max_events]
            note = "t: the iteration whose state fired the trigger; step: the step that recorded it (end: the stop)."
            if len(p_events) > max_events:
                note += f" First {max_events} of {len(p_events)} events."
            listing = pd.DataFrame({
                "session": shown["session"].to_numpy(),
                "step": ["end" if pd.isna(s) else str(int(s)) for s in shown["step"]],
                "t": [_cell(t) for t in shown["t"]],
                "action": [_cell(a) for a in shown["action"]],
                "message": [_cell(m) for m in shown["message"]],
            }, index=pd.Index(shown["name"].astype(str).to_numpy(), name="trigger"))
            tables.append(SteeringTable(f"steering-{key}-events", f"Trigger event log ({p})", listing, note, text=True))
        if len(p_stops):
            shown = p_stops.iloc[:max_events]
            note = "Sessions the policy ended; the last state is at the step shown."
            if len(p_stops) > max_events:
                note += f" First {max_events} of {len(p_stops)} stopped sessions."
            listing = pd.DataFrame({
                "last step": [_cell(last_t.get(s)) for s in shown["session"]],
                "trigger": [t or _DASH for t in shown["trigger"]],
                "reason": shown["reason"].to_numpy(),
            }, index=pd.Index(shown["session"].to_numpy(), name="session"))
            tables.append(SteeringTable(f"steering-{key}-stopped", f"Stopped sessions ({p})", listing, note, text=True))
        by_session = p_dec.groupby("session", sort=False)
        for i, sid in enumerate(p_sessions[:max_sessions]):
            table = _session_table(sid, by_session.get_group(sid))
            if i == 0:
                note = "Each step's strategy, the policy's reason and the trigger events it recorded."
                if len(p_sessions) > max_sessions:
                    note += f" First {max_sessions} of {len(p_sessions)} sessions of {p}; `llmdyn steer log` lists all."
                table = SteeringTable(table.key, table.title, table.frame, note, text=True)
            tables.append(table)
    return SteeringSummary(policies, int(dec["session"].nunique()), tuple(reading), tuple(tables))
