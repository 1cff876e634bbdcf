"""Benchmark: reading a large store as the trajectory table.

Builds the synthetic store of ``bench_report.py`` (default 10,000 sessions x
11 states x 3 objectives, scores as the runner stores them) once, then times
``llmdyn.store.trajectory_frame`` on it (best of ``--repeat`` runs) next to
the peer: a bare ``pandas.read_sql`` of the same join without any parsing, the
floor of what reading the rows can cost.

Run: ``python bench/bench_store.py [--sessions N] [--steps T] [--keep DIR] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_report import write_store  # noqa: E402


def best(fn, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    import pandas as pd

    from llmdyn.store import trajectory_frame

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep (and reuse) the store in")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="llmdyn-bench-store-"))
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / f"store-{args.sessions}x{args.steps}-{args.seed}.sqlite"
    if not store.exists():
        t = time.perf_counter()
        write_store(store, args.sessions, args.steps, args.seed)
        print(f"store written in {time.perf_counter() - t:.1f} s")
    print(f"store: {args.sessions} sessions x {args.steps + 1} states, "
          f"{store.stat().st_size / 2**20:.1f} MiB")
    frame_s, frame = best(lambda: trajectory_frame(store), args.repeat)

    def bare() -> pd.DataFrame:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return pd.read_sql(
                "SELECT s.id, s.task, s.label, st.t, st.status, st.strategy, st.scores FROM steps st "
                "JOIN sessions s ON s.id = st.session_id ORDER BY s.id, st.t", db)

    bare_s, _ = best(bare, args.repeat)
    print(f"trajectory_frame : {frame_s:7.3f} s  ({len(frame)} rows, {frame.shape[1]} columns)")
    print(f"bare read_sql    : {bare_s:7.3f} s  (peer: the rows, unparsed)")
    print(f"ratio            : {frame_s / bare_s:.2f}x the bare read")


if __name__ == "__main__":
    main()
