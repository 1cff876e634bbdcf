"""The SQLite store: one transaction per step, no duplicates, trajectory export."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from llmdyn.errors import StoreError
from llmdyn.store import StepRecord, Store, export_trajectories, is_store, trajectory_frame


def _fill(path, *, fail_at: int | None = None) -> None:
    with Store(path) as store:
        exp = store.ensure_experiment("e1", {"model": "m", "temperature": 0.7},
                                      {"model": "m", "temperature": 0.7})
        for s, label in enumerate(["EF", "SF"]):
            sid = f"e1/task/{label}/r0"
            store.ensure_session(sid, exp, "task", label, 0, "m")
            for t in range(4):
                if fail_at is not None and s == 1 and t == fail_at:
                    store.record_step(StepRecord(sid, t, "failed", strategy=label,
                                                 error="TransientBackendError: HTTP 500"))
                    break
                store.record_step(StepRecord(
                    sid, t, "ok", strategy=label, reason="fixed strategy",
                    events=[{"name": "x", "t": t}] if t == 2 else [],
                    scores={"security": float(t + s), "efficiency": 5.0 - t,
                            "functionality": 2.0 * t},
                    findings=[{"rule": "r", "line": 1}], response="```python\npass\n```",
                    code="pass", latency_s=0.1, prompt_tokens=3, completion_tokens=4))
            store.finish_session(sid, "complete")


def test_schema_wal_and_unique_steps(tmp_path):
    path = tmp_path / "s.sqlite"
    _fill(path)
    assert is_store(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"experiments", "sessions", "steps"} <= tables
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO steps (session_id, t, status, created_at) "
                   "VALUES ('e1/task/EF/r0', 1, 'ok', 'now')")
    db.close()
    with Store(path) as store:
        with pytest.raises(StoreError, match="never overwritten"):
            store.record_step(StepRecord("e1/task/EF/r0", 1, "ok", scores={"security": 9.0}))
        steps = store.completed_steps("e1/task/EF/r0")
        assert [s.t for s in steps] == [0, 1, 2, 3]
        assert steps[2].events == [{"name": "x", "t": 2}]
        assert steps[1].scores["security"] == 1.0


def test_failed_step_is_replaced_on_retry_and_cuts_trajectory(tmp_path):
    path = tmp_path / "s.sqlite"
    _fill(path, fail_at=2)
    frame = trajectory_frame(path)
    assert frame.groupby("session")["t"].max().to_dict() == {"e1/task/EF/r0": 3,
                                                             "e1/task/SF/r0": 1}
    with Store(path) as store:
        assert [s.t for s in store.completed_steps("e1/task/SF/r0")] == [0, 1]
        failed = [s for s in store.steps() if s.status == "failed"]
        assert len(failed) == 1 and "HTTP 500" in failed[0].error
        store.record_step(StepRecord("e1/task/SF/r0", 2, "ok", strategy="SF",
                                     scores={"security": 1.0, "efficiency": 1.0,
                                             "functionality": 1.0}))
        assert [s.t for s in store.completed_steps("e1/task/SF/r0")] == [0, 1, 2]
        assert "steps_failed" not in store.counts()


def test_trajectory_frame_format(tmp_path):
    path = tmp_path / "s.sqlite"
    _fill(path)
    frame = trajectory_frame(path)
    assert list(frame.columns[:8]) == ["experiment", "session", "task", "model", "policy",
                                       "replicate", "strategy", "t"]
    assert list(frame.columns[8:]) == ["security", "efficiency", "functionality"]
    assert len(frame) == 8 and frame["t"].dtype == "int64"
    assert set(frame.loc[frame.session.str.contains("SF"), "strategy"]) == {"SF"}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_export_round_trip(tmp_path, fmt):
    path = tmp_path / "s.sqlite"
    _fill(path)
    out = export_trajectories(path, tmp_path / f"t.{fmt}")
    back = {"csv": pd.read_csv, "parquet": pd.read_parquet,
            "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](out)
    expected = trajectory_frame(path)
    assert list(back.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(back[["session", "t", "security", "functionality"]],
                                  expected[["session", "t", "security", "functionality"]],
                                  check_dtype=False)


def test_dynamics_loads_a_store_directly(tmp_path):
    from llmdyn.dynamics import load_trajectories

    path = tmp_path / "s.sqlite"
    _fill(path)
    traj = load_trajectories(path)
    assert set(traj.objectives) == {"security", "efficiency", "functionality"}
    assert len(traj.session_ids) == 2


def test_sessions_cut_to_one_state_are_left_out_of_fit_and_export(tmp_path):
    from llmdyn.dynamics import load_trajectories

    path = tmp_path / "s.sqlite"
    _fill(path, fail_at=1)  # session SF keeps only t = 0: no transition
    assert trajectory_frame(path).groupby("session").size().to_dict() == {
        "e1/task/EF/r0": 4, "e1/task/SF/r0": 1}
    with pytest.warns(UserWarning, match="left out 1 session with fewer than 2 scored states"):
        traj = load_trajectories(path)
    assert traj.session_ids == ("e1/task/EF/r0",)
    with pytest.warns(UserWarning, match="left out 1 session"):
        out = export_trajectories(path, tmp_path / "t.csv")
    assert set(pd.read_csv(out)["session"]) == {"e1/task/EF/r0"}


def test_bad_inputs_name_the_file(tmp_path):
    bogus = tmp_path / "x.sqlite"
    bogus.write_text("hello")
    with pytest.raises(StoreError, match="not an llmdyn store"):
        Store(bogus)
    with pytest.raises(StoreError, match="no such store"):
        trajectory_frame(tmp_path / "missing.sqlite")
    path = tmp_path / "s.sqlite"
    _fill(path)
    with pytest.raises(StoreError, match="no experiment 'nope'"):
        trajectory_frame(path, "nope")
    with pytest.raises(StoreError, match="unknown export format"):
        export_trajectories(path, tmp_path / "t.xlsx")
    with Store(path) as store, pytest.raises(StoreError, match="temperature"):
        store.ensure_experiment("e1", {}, {"model": "m", "temperature": 0.2})
    config = json.loads(sqlite3.connect(path).execute("SELECT config FROM experiments")
                        .fetchone()[0])
    assert config == {"model": "m", "temperature": 0.7}


# -- trajectory_frame pinned against the original row-by-row implementation ---------------


def _legacy_trajectory_frame(path, experiment=None) -> pd.DataFrame:
    """The first (row-by-row) implementation of trajectory_frame, kept as the reference."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    sql = ("SELECT e.name AS experiment, s.id AS session, s.task, s.model, s.policy, "
           "s.replicate, s.label, st.t, st.status, st.strategy, st.scores "
           "FROM steps st JOIN sessions s ON s.id = st.session_id "
           "JOIN experiments e ON e.id = s.experiment_id")
    args = ()
    if experiment is not None:
        sql += " WHERE e.name = ?"
        args = (experiment,)
    rows = db.execute(sql + " ORDER BY s.id, st.t", args).fetchall()
    db.close()
    records, objectives = [], []
    current, expected = None, 0
    for r in rows:
        if r["session"] != current:
            current, expected = r["session"], 0
        if r["t"] != expected or r["status"] != "ok":
            expected = -1
            continue
        expected += 1
        scores = json.loads(r["scores"] or "{}")
        for name in scores:
            if name not in objectives:
                objectives.append(name)
        records.append({"experiment": r["experiment"], "session": r["session"],
                        "task": r["task"], "model": r["model"], "policy": r["policy"],
                        "replicate": r["replicate"],
                        "strategy": r["label"] if r["t"] == 0 else r["strategy"],
                        "t": r["t"], **{k: float(v) for k, v in scores.items()}})
    columns = ["experiment", "session", "task", "model", "policy", "replicate", "strategy", "t"]
    frame = pd.DataFrame.from_records(records, columns=columns + objectives)
    frame["t"] = frame["t"].astype("int64")
    frame["replicate"] = frame["replicate"].astype("int64")
    return frame


def _fill_awkward(path) -> None:
    """Two experiments; failures, gaps, a failed t=0, partial and integer scores, policies."""
    with Store(path) as store:
        e1 = store.ensure_experiment("e1", {"model": "m"})
        e2 = store.ensure_experiment("e2", {"model": "n"})

        def ok(sid, t, strategy, **scores):
            store.record_step(StepRecord(sid, t, "ok", strategy=strategy, scores=scores))

        # inserted out of order on purpose: the frame is ordered by session id and t
        store.ensure_session("e1/b/SF/r1", e1, "b", "SF", 1, "m")
        for t in (0, 1, 2):
            ok("e1/b/SF/r1", t, "SF", security=1.5 * t, efficiency=3, functionality=7.25)
        store.ensure_session("e1/a/EF/r0", e1, "a", "EF", 0, "m")
        for t in (0, 1, 2, 3):
            if t == 2:
                store.record_step(StepRecord("e1/a/EF/r0", t, "failed", strategy="EF", error="HTTP 500"))
            else:
                ok("e1/a/EF/r0", t, "EF", security=float(t), efficiency=2.0, functionality=1.0)
        store.ensure_session("e1/a/GAP/r0", e1, "a", "EF", 0, None)  # t=2 missing
        for t in (0, 1, 3, 4):
            ok("e1/a/GAP/r0", t, "EF", efficiency=0.5 * t, security=4.0)  # other key order
        store.ensure_session("e1/a/DEAD/r0", e1, "a", "FF", 0, "m")  # first step failed
        store.record_step(StepRecord("e1/a/DEAD/r0", 0, "failed", strategy="FF", error="boom"))
        ok("e1/a/DEAD/r0", 1, "FF", security=1.0)
        store.ensure_session("e1/a/EMPTY/r0", e1, "a", "AI", 0, "m")  # no steps at all
        store.ensure_session("e2/a/mpc/r0", e2, "a", "mpc", 0, "n", policy="mpc")
        for t, s in enumerate(["mpc", "FF", "SF", "FF", "EF"]):
            ok("e2/a/mpc/r0", t, s, security=9.0 - t, functionality=t / 3, novelty=0.125 * t)
        store.ensure_session("e2/a/NOSCORE/r0", e2, "a", "EF", 2, "n")
        store.record_step(StepRecord("e2/a/NOSCORE/r0", 0, "ok", strategy="EF"))  # {} scores
        ok("e2/a/NOSCORE/r0", 1, "EF", security=True)
    with sqlite3.connect(path) as db:  # steps of a session that is not in the store are ignored
        db.executemany("INSERT INTO steps (session_id, t, status, strategy, scores, created_at) "
                       "VALUES ('e0/orphan', ?, 'ok', 'EF', '{\"zeta\": 1}', 'now')", [(0,), (1,)])


@pytest.mark.parametrize("experiment", [None, "e1", "e2"])
def test_trajectory_frame_matches_the_reference(tmp_path, experiment):
    path = tmp_path / "s.sqlite"
    _fill_awkward(path)
    frame = trajectory_frame(path, experiment)
    pd.testing.assert_frame_equal(frame, _legacy_trajectory_frame(path, experiment),
                                  check_exact=True)
    if experiment is None:
        assert list(frame.columns[8:]) == ["security", "efficiency", "functionality", "novelty"]
        assert frame.groupby("session")["t"].max().to_dict() == {
            "e1/a/EF/r0": 1, "e1/a/GAP/r0": 1, "e1/b/SF/r1": 2, "e2/a/NOSCORE/r0": 1,
            "e2/a/mpc/r0": 4}
        assert frame.loc[frame.session == "e2/a/mpc/r0", "strategy"].tolist() == \
            ["mpc", "FF", "SF", "FF", "EF"]
        assert frame[["security", "efficiency", "functionality", "novelty"]].dtypes.eq(float).all()


def test_trajectory_frame_of_an_empty_store_matches_the_reference(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.ensure_experiment("e1", {})
    frame = trajectory_frame(path)
    pd.testing.assert_frame_equal(frame, _legacy_trajectory_frame(path))
    assert len(frame) == 0 and frame["t"].dtype == "int64"


def test_trajectory_frame_names_a_step_with_broken_scores(tmp_path):
    path = tmp_path / "s.sqlite"
    _fill(path)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE steps SET scores = '{\"security\": ' WHERE session_id = 'e1/task/SF/r0' AND t = 2")
    with pytest.raises(StoreError, match=r"step t=2 of session e1/task/SF/r0: scores are not JSON"):
        trajectory_frame(path)


@pytest.mark.parametrize("fail_at", [None, 0, 2])
def test_trajectory_frame_matches_the_reference_on_uniform_scores(tmp_path, fail_at):
    path = tmp_path / "s.sqlite"
    _fill(path, fail_at=fail_at)  # every step has the same objectives: the fast path
    pd.testing.assert_frame_equal(trajectory_frame(path), _legacy_trajectory_frame(path),
                                  check_exact=True)
