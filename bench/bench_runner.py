"""Runner throughput: wall time against the ideal at concurrency 1, 8 and 32.

64 sessions (8 corpus tasks x 4 strategies x 2 replicates) x 6 iterations
(7 requests each: the task prompt and 6 improvement turns) against the fake
OpenAI-compatible server (tests/fake_openai.py, run in its own process) with a
fixed latency per request. The ideal wall time is requests x latency /
concurrency; the ratio ideal / wall is the share of the ideal reached (1.0 is
perfect). Concurrency 1 runs 8 sessions (one task) and is compared with its own
ideal, since 64 sessions would take 90 s of pure waiting.

Two answer kinds: ``small`` (short generated programs, cheap to score: measures
the runner itself) and ``corpus`` (the recorded programs, ~700 lines each, whose
static scoring costs ~60-100 ms of CPU each: on a machine with few cores the
scoring, not the network, then bounds the run).

Usage: python bench/bench_runner.py [--latency 0.2] [--answers small corpus]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llmdyn.experiment import corpus_task_ids, load_config, run_experiment  # noqa: E402


def start_server(latency: float, answers: str) -> tuple[subprocess.Popen, str]:
    """The fake server in a child process (so it does not share the runner's GIL)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.fake_openai", "--latency", str(latency),
                             "--answers", answers], env=env, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


def one(url: str, concurrency: int, tasks: list[str], latency: float, folder: str,
        score_workers: int | None = None) -> dict:
    cfg = load_config(None, dict(
        model="fake-model", base_url=url, api_key_env="LLMDYN_BENCH_NONE", tasks=tasks,
        strategies=["EF", "SF", "FF", "AI"], sessions=2, iterations=6, concurrency=concurrency,
        store=f"{folder}/c{concurrency}-{len(tasks)}-{score_workers}.sqlite", cache=False,
        retries=0, timeout=60, score_workers=score_workers))
    start, cpu = time.perf_counter(), time.process_time()
    summary = run_experiment(cfg, progress=False)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert summary.steps_failed == 0, summary
    ideal = summary.requests * latency / concurrency
    return {"concurrency": concurrency, "sessions": summary.sessions,
            "requests": summary.requests, "scorings": summary.scorings, "wall_s": wall,
            "cpu_ms_per_request": 1000 * cpu / summary.requests,
            "ideal_s": ideal, "ratio": ideal / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--answers", nargs="+", default=["small", "corpus"],
                        choices=["small", "corpus"])
    parser.add_argument("--levels", nargs="+", type=int, default=[1, 8, 32])
    parser.add_argument("--score-workers", type=int, default=None,
                        help="scoring processes (default: the runner's, up to 4; 0: inline)")
    args = parser.parse_args()
    tasks = list(corpus_task_ids())
    print(f"cpus: {os.cpu_count()}  latency: {args.latency} s  "
          f"score workers: {load_config(None, {'model': 'm', 'score_workers': args.score_workers}).resolved_score_workers()}  "
          f"load average: {os.getloadavg()[0]:.1f}")
    print(f"{'answers':8} {'conc':>4} {'sessions':>8} {'requests':>8} {'scorings':>8} "
          f"{'wall s':>8} {'ideal s':>8} {'ideal/wall':>10} {'runner CPU ms/req':>17}")
    for answers in args.answers:
        proc, url = start_server(args.latency, answers)
        try:
            with tempfile.TemporaryDirectory() as folder:
                for c in args.levels:
                    r = one(url, c, tasks[:1] if c == 1 else tasks, args.latency, folder,
                            args.score_workers)
                    print(f"{answers:8} {c:>4} {r['sessions']:>8} {r['requests']:>8} "
                          f"{r['scorings']:>8} {r['wall_s']:>8.2f} {r['ideal_s']:>8.2f} "
                          f"{r['ratio']:>10.1%} {r['cpu_ms_per_request']:>17.1f}", flush=True)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
