"""Trajectories: construction, views, file formats and every validation message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmdyn.dynamics import Trajectories, load_trajectories
from llmdyn.errors import DataError


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "session": ["a", "a", "a", "b", "b", "c", "c", "c"],
            "strategy": ["EF", "EF", "EF", "SF", "SF", "EF", "SF", "EF"],
            "t": [0, 1, 2, 0, 1, 0, 1, 2],
            "task": ["x"] * 8,
            "security": [1.0, 2.0, 4.0, 5.0, 6.0, 0.0, 1.0, 3.0],
            "efficiency": [3.0, 3.5, 3.0, 1.0, 2.0, 9.0, 8.0, 8.5],
        }
    )


def test_objectives_detected_and_reserved_columns_skipped():
    tr = Trajectories.from_frame(_frame())
    assert tr.objectives == ("security", "efficiency")
    assert tr.session_ids == ("a", "b", "c")
    assert tr.strategies == ("EF", "SF")
    assert tr.session_strategies == ("EF", "SF", "EF")


def test_transitions_belong_to_the_strategy_of_the_later_row():
    tr = Trajectories.from_frame(_frame())
    X, dX, session = tr.transitions()
    assert X.shape == (5, 2)
    ef = tr.transitions("EF")
    # a: t0->1, t1->2 (EF, EF); c: t1->2 (EF). c t0->1 is SF.
    np.testing.assert_array_equal(ef.X[:, 0], [1.0, 2.0, 1.0])
    np.testing.assert_array_equal(ef.dX[:, 0], [1.0, 2.0, 2.0])
    np.testing.assert_array_equal(ef.session, [0, 0, 2])
    sf = tr.transitions("SF")
    np.testing.assert_array_equal(sf.dX, [[1.0, 1.0], [1.0, -1.0]])
    both = tr.transitions(["EF", "SF"])
    assert both.m == 5


def test_rows_are_sorted_and_views_are_consistent():
    df = _frame().sample(frac=1.0, random_state=3)
    tr = Trajectories.from_frame(df)
    assert list(tr.frame["t"]) == [0, 1, 2, 0, 1, 0, 1, 2]
    paths = tr.paths()
    assert [p.session for p in paths] == ["a", "b", "c"]
    np.testing.assert_array_equal(paths[2].states[:, 1], [9.0, 8.0, 8.5])
    fin = tr.final_states()
    assert list(fin.columns) == ["session", "strategy", "security", "efficiency"]
    np.testing.assert_array_equal(fin["security"], [4.0, 6.0, 3.0])


def test_select_by_strategy_and_objectives():
    tr = Trajectories.from_frame(_frame())
    sub = tr.select(strategies="SF", objectives=["efficiency"])
    assert sub.session_ids == ("b",)
    assert sub.objectives == ("efficiency",)
    with pytest.raises(DataError, match="no sessions for strategy ZZ"):
        tr.select(strategies=["ZZ"])
    with pytest.raises(DataError, match="unknown objective 'speed'"):
        tr.select(objectives=["speed"])


def test_named_objectives_keep_their_order():
    tr = Trajectories.from_frame(_frame(), objectives=["efficiency", "security"])
    assert tr.objectives == ("efficiency", "security")
    assert tr.states[0].tolist() == [3.0, 1.0]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_file_formats_round_trip(tmp_path, suffix):
    df = _frame()
    path = tmp_path / f"traj{suffix}"
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_json(path, orient="records", lines=True)
    tr = load_trajectories(path)
    assert tr.objectives == ("security", "efficiency")
    assert tr.source == str(path)
    np.testing.assert_allclose(tr.transitions().dX, Trajectories.from_frame(df).transitions().dX)


def test_sqlite_store_is_recognised_by_its_header(tmp_path, monkeypatch):
    import llmdyn.store as store

    path = tmp_path / "runs.data"  # suffix does not matter
    import sqlite3

    sqlite3.connect(path).execute("create table x (a)").connection.commit()
    monkeypatch.setattr(store, "trajectory_frame", lambda p, experiment=None, min_states=1: _frame())
    tr = load_trajectories(path)
    assert tr.session_ids == ("a", "b", "c")


# -- validation messages: each names the file, the row and the column --------------
def _write(tmp_path, df: pd.DataFrame) -> str:
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    return str(path)


def test_missing_column_message(tmp_path):
    path = _write(tmp_path, _frame().drop(columns=["t"]))
    with pytest.raises(DataError) as exc:
        load_trajectories(path)
    assert str(exc.value).startswith(f"{path}: missing column 't'; a trajectory table needs columns session, "
                                     f"strategy, t and one column per objective")


def test_missing_objective_column_message():
    with pytest.raises(DataError, match=r"data: missing objective column 'speed'; available columns: "
                                        r"security, efficiency"):
        Trajectories.from_frame(_frame(), objectives=["security", "speed"])


def test_no_objective_columns_message():
    df = _frame()[["session", "strategy", "t", "task"]]
    with pytest.raises(DataError, match="no objective columns found"):
        Trajectories.from_frame(df)


def test_non_numeric_value_message(tmp_path):
    df = _frame().astype({"security": object})
    df.loc[4, "security"] = "high"
    path = _write(tmp_path, df)
    with pytest.raises(DataError) as exc:
        load_trajectories(path)
    assert str(exc.value) == (
        f"{path}: row 5 (session b, t=1), column 'security': value is not a number ('high'); "
        f"every objective score must be a finite number"
    )


def test_non_finite_value_message(tmp_path):
    df = _frame()
    df.loc[2, "efficiency"] = np.inf
    with pytest.raises(DataError) as exc:
        Trajectories.from_frame(df, source="runs.parquet")
    assert str(exc.value) == (
        "runs.parquet: row 3 (session a, t=2), column 'efficiency': value is not finite (inf); "
        "every objective score must be a finite number"
    )


def test_missing_value_message(tmp_path):
    df = _frame()
    df.loc[6, "efficiency"] = np.nan
    path = _write(tmp_path, df)
    with pytest.raises(DataError, match=r"row 7 \(session c, t=1\), column 'efficiency': value is missing"):
        load_trajectories(path)


def test_duplicate_session_t_message(tmp_path):
    df = _frame()
    df.loc[2, "t"] = 1
    path = _write(tmp_path, df)
    with pytest.raises(DataError) as exc:
        load_trajectories(path)
    assert str(exc.value) == (
        f"{path}: row 3, columns 'session', 't': duplicate (session a, t=1), also on row 2; "
        f"each session has one row per iteration"
    )


def test_gap_in_t_message(tmp_path):
    df = _frame()
    df.loc[7, "t"] = 3
    path = _write(tmp_path, df)
    with pytest.raises(DataError) as exc:
        load_trajectories(path)
    assert str(exc.value) == (
        f"{path}: row 8, column 't': session c jumps from t=1 to t=3; iterations must be consecutive "
        f"(fill the gap or cut the session there)"
    )


def test_session_with_one_state_message(tmp_path):
    df = _frame().drop(index=4)
    path = _write(tmp_path, df)
    with pytest.raises(DataError) as exc:
        load_trajectories(path)
    assert str(exc.value) == (
        f"{path}: row 4, column 'session': session b has only 1 state; a session needs at least 2 states "
        f"(t=0 and t=1) to give a transition; drop it"
    )


def test_fractional_t_message():
    df = _frame().astype({"t": float})
    df.loc[1, "t"] = 0.5
    with pytest.raises(DataError, match=r"data: row 2, column 't': value 0.5 is not an integer"):
        Trajectories.from_frame(df)


def test_missing_strategy_message():
    df = _frame()
    df.loc[3, "strategy"] = None
    with pytest.raises(DataError, match=r"row 4, column 'strategy': value is missing; every row needs a strategy"):
        Trajectories.from_frame(df)


def test_unknown_file_type_and_missing_file(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("nope")
    with pytest.raises(DataError, match=r"x.xlsx: unknown file type '.xlsx'; use .csv, .parquet, .jsonl"):
        load_trajectories(path)
    with pytest.raises(DataError, match=r"absent.csv: no such file"):
        load_trajectories(tmp_path / "absent.csv")
