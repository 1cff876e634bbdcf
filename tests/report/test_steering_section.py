"""The report's Steering section: a store with policy runs shows what was stored
(strategies, reasons, trigger events, stops); data without policies has no such section."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

from llmdyn.cli import app
from llmdyn.experiment import load_config, run_experiment
from llmdyn.report import load_decisions, steering_summary
from llmdyn.store import decision_frame, export_trajectories

from .test_html import _Page

TASKS = ["backup_tool", "job_runner", "notes_api", "password_reset"]  # some fire security_below, one stops
TRIGGERS = "triggers=security_below:6,efficiency_drop:0.8@stop"
POLICIES = {"mpc": f"mpc+{TRIGGERS}", "sched": f"schedule:FF1-SF2-AI+{TRIGGERS}"}


def _run(store: Path, name: str, iterations: int, **extra: object) -> None:
    cfg = load_config(None, {"backend": "replay", "tasks": TASKS, "iterations": iterations, "score_workers": 0,
                             "cache": False, "store": str(store), "name": name, **extra})
    summary = run_experiment(cfg, progress=False)
    assert summary.sessions_failed == 0


def _no_figures(mp: pytest.MonkeyPatch) -> None:
    """Figures are tested elsewhere; drawing them here would only cost time."""
    import llmdyn.report._html as html

    for name in ("eigenvalue_figure", "trajectory_figure", "phase_portrait_figure", "interference_figure",
                 "pareto_figure"):
        mp.setattr(html, name, lambda *a, **k: None)
    mp.setattr(html, "figure_data_uri", lambda *a, **k: "data:image/png;base64,")


def _report(data: Path, out: Path) -> SimpleNamespace:
    html, md = out.with_suffix(".html"), out.with_suffix(".md")
    res = CliRunner().invoke(app, ["report", str(data), "-o", str(html), "--markdown", str(md)])
    assert res.exit_code == 0, res.output
    page = _Page()
    text = html.read_text(encoding="utf-8")
    page.feed(text)
    return SimpleNamespace(text=text, tables=page.tables, markdown=md.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A fixed-strategy store, the same plus two policy experiments, and a CSV; their reports."""
    folder = tmp_path_factory.mktemp("steering")
    fixed, steered = folder / "fixed.sqlite", folder / "steered.sqlite"
    _run(fixed, "fixed", 3)
    shutil.copy(fixed, steered)
    _run(steered, "mpc", 4, policy=POLICIES["mpc"], policy_data=str(fixed))
    _run(steered, "sched", 4, policy=POLICIES["sched"])
    csv = export_trajectories(fixed, folder / "fixed.csv")
    with pytest.MonkeyPatch.context() as mp:
        _no_figures(mp)
        reports = {k: _report(p, folder / f"report-{k}") for k, p in
                   (("steered", steered), ("fixed", fixed), ("csv", csv))}
    return SimpleNamespace(fixed=fixed, steered=steered, csv=csv, report=reports)


def _stored(db: Path) -> SimpleNamespace:
    """What the store holds for the policy sessions, read straight from SQLite."""
    con = sqlite3.connect(db)
    steps = pd.read_sql("SELECT s.policy, st.session_id AS session, st.t, st.strategy, st.reason, st.events "
                        "FROM steps st JOIN sessions s ON s.id = st.session_id WHERE s.policy IS NOT NULL "
                        "ORDER BY st.session_id, st.t", con)
    stops = pd.read_sql("SELECT id AS session, policy, stop_reason, events FROM sessions "
                        "WHERE status = 'stopped' ORDER BY id", con)
    fixed = [r[0] for r in con.execute("SELECT id FROM sessions WHERE policy IS NULL")]
    con.close()
    steps["events"] = steps["events"].map(json.loads)
    stops["events"] = stops["events"].map(json.loads)
    events = [(sid, e) for sid, evs in zip(steps["session"], steps["events"]) for e in evs]
    events += [(sid, e) for sid, evs in zip(stops["session"], stops["events"]) for e in evs]
    return SimpleNamespace(steps=steps, stops=stops, events=events, fixed=fixed)


def _ev_text(events: list[dict]) -> str:
    return "; ".join(f"{e['name']} ({e['action']}): {e['message']}" for e in events) or "—"


def test_the_store_has_what_the_section_must_show(stores):
    got = _stored(stores.steered)
    assert set(got.steps["policy"]) == {"mpc:1", "schedule:FF1-SF2-AI"}
    assert len(got.events) >= 3 and len(got.stops) >= 1 and got.fixed
    assert {e["action"] for _, e in got.events} == {"record", "stop"}


def test_each_session_table_is_the_stored_log(stores):
    got = _stored(stores.steered)
    stops = got.stops.set_index("session")
    for sid, rows in got.steps.groupby("session"):
        header, *body = stores.report["steered"].tables[f"steering-session-{sid}"]
        assert header == ["t", "strategy", "reason", "events"]
        expected = [[str(t), s, r, _ev_text(ev)] for t, s, r, ev in
                    zip(rows["t"], rows["strategy"], rows["reason"], rows["events"])]
        if sid in stops.index:
            expected.append(["end", "—", f"stopped: {stops.at[sid, 'stop_reason']}",
                             _ev_text(stops.at[sid, "events"])])
        assert body == expected
    # Fixed-strategy sessions of the same store are not in the section.
    assert not any(f"steering-session-{sid}" in stores.report["steered"].tables for sid in got.fixed)


def test_summary_counts_per_turn_and_reading_equal_the_store(stores):
    got = _stored(stores.steered)
    turns = got.steps[got.steps["t"] >= 1]
    header, *body = stores.report["steered"].tables["steering-summary"]
    rows = {r[0]: dict(zip(header, r)) for r in body}
    assert set(rows) == set(got.steps["policy"])
    reading = stores.report["steered"].text.split('<section id="steering">')[1].split("</section>")[0]
    for policy, t in turns.groupby("policy"):
        counts = t["strategy"].value_counts()
        row = rows[policy]
        assert row["turns"] == str(len(t))
        assert row["sessions"] == str(got.steps.loc[got.steps["policy"] == policy, "session"].nunique())
        for s, n in counts.items():
            assert row[f"chose {s}"] == f"{n} ({n / len(t):.0%})"
        n_stops = int((got.stops["policy"] == policy).sum())
        assert row["stopped sessions"] == str(n_stops)
        top = counts.index[0]
        assert f"{policy} (" in reading and f"{top} in {counts.iloc[0] / len(t):.0%}" in reading
        per_turn = pd.crosstab(t["t"], t["strategy"])
        key = "".join(c if c.isalnum() else "-" for c in policy).strip("-").lower()
        header, *body = stores.report["steered"].tables[f"steering-{key}-per-turn"]
        assert header == ["t", *per_turn.columns]
        assert body == [[str(i), *map(str, r)] for i, r in zip(per_turn.index, per_turn.to_numpy().tolist())]
    assert "stopped, by efficiency_drop" in reading


def test_every_event_and_stop_is_listed(stores):
    got = _stored(stores.steered)
    listed = [tuple(r) for k, tab in stores.report["steered"].tables.items() if k.endswith("-events") for r in tab[1:]]
    want = sorted((e["name"], sid, str(e["t"]), e["action"], e["message"]) for sid, e in got.events)
    assert sorted((r[0], r[1], r[3], r[4], r[5]) for r in listed) == want
    stopped = {r[0]: r for k, tab in stores.report["steered"].tables.items() if k.endswith("-stopped") for r in tab[1:]}
    assert set(stopped) == set(got.stops["session"])
    for sid, reason in zip(got.stops["session"], got.stops["stop_reason"]):
        assert stopped[sid][3] == reason and "efficiency_drop" in stopped[sid][2]


def test_markdown_has_the_section(stores):
    got = _stored(stores.steered)
    md = stores.report["steered"].markdown
    assert "## Steering" in md and "### Strategies chosen per turn (mpc:1)" in md
    for reason in set(got.steps["reason"]):
        assert reason.replace("|", "\\|") in md


def test_listing_is_capped_for_large_stores(stores):
    dec = load_decisions(stores.steered)
    assert dec is not None and dec["session"].nunique() == 2 * len(TASKS)
    summary = steering_summary(dec, max_sessions=1, max_events=1)
    keys = [t.key for t in summary.tables]
    assert sum(k.startswith("steering-session-") for k in keys) == 2  # one per policy
    notes = " ".join(t.note for t in summary.tables)
    assert f"First 1 of {len(TASKS)} sessions of mpc:1" in notes
    assert all(len(t.frame) <= 1 for t in summary.tables if t.key.endswith(("-events", "-stopped")))
    assert summary.to_dict()["policies"] == list(summary.policies)


@pytest.mark.parametrize("which", ["fixed", "csv"])
def test_no_section_without_policies(stores, which):
    rep = stores.report[which]
    assert 'id="steering"' not in rep.text and not any(k.startswith("steering") for k in rep.tables)
    assert "## Steering" not in rep.markdown
    assert "strategies" in rep.tables  # the rest of the report is there
    assert load_decisions(getattr(stores, which)) is None


def test_steer_log_reads_the_same_rows(stores):
    from llmdyn._cli.steer import decision_log

    frame = decision_frame(stores.steered)
    rows = decision_log(stores.steered)
    assert len(rows) == len(frame)
    assert [r["t"] for r in rows if r["session"] == frame["session"].iloc[0]] == [
        None if t is pd.NA else int(t) for t in frame.loc[frame["session"] == frame["session"].iloc[0], "t"]]
    assert len(decision_frame(stores.steered, steered_only=True)) < len(rows)
