"""Benchmark: llmdyn's code scorers against bandit, radon and ast.parse on the standard library.

Scores every ``.py`` file of the running Python's standard library (site-packages
excluded), or a fixed seeded sample of it, with

- ``ast.parse`` alone (the floor: llmdyn parses once and walks once),
- ``llmdyn.objectives.score_code`` (security, efficiency and functionality),
- bandit (security, as a library, all its default plugins),
- radon (cyclomatic complexity, ``cc_visit``),

and prints files per second (CPU time of this process, best of ``--repeat`` runs, so
other load on the machine does not distort the ratios), the ratios from this one run, and how llmdyn's
high-severity security findings agree with bandit's HIGH-severity issues (files
flagged by both, by one only).  Goals: llmdyn >= 10x bandit, <= 3x ast.parse.

Run: ``python bench/bench_score.py [--sample N | --all] [--seed S] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import ast
import logging
import random
import sysconfig
import time
import warnings
from pathlib import Path


def stdlib_files(sample: int | None, seed: int) -> list[Path]:
    """Sorted stdlib ``.py`` files (no site-packages), optionally a seeded sample."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.relative_to(root).parts)
    if sample is not None and sample < len(files):
        files = sorted(random.Random(seed).sample(files, sample))
    return files


clock = time.process_time


def time_parse(sources: dict[Path, bytes]) -> float:
    t = clock()
    for src in sources.values():
        try:
            ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return clock() - t


def time_llmdyn(sources: dict[Path, bytes]) -> tuple[float, dict[str, set[Path]]]:
    """CPU time and the files with a security penalty, by level ("high", "medium+")."""
    from llmdyn.objectives import score_code

    t = clock()
    cards = {p: score_code(src) for p, src in sources.items()}
    elapsed = clock() - t
    flagged: dict[str, set[Path]] = {"high": set(), "medium+": set()}
    for p, card in cards.items():
        sev = {f.severity for f in card.findings if f.objective == "security" and f.weight < 0}
        if "high" in sev:
            flagged["high"].add(p)
        if sev & {"high", "medium"}:
            flagged["medium+"].add(p)
    return elapsed, flagged


def time_bandit(files: list[Path]) -> tuple[float, dict[str, set[Path]]]:
    """CPU time and the files with a bandit issue, by level ("high", "medium+")."""
    from bandit.core import config, constants, manager

    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    t = clock()
    mgr = manager.BanditManager(config.BanditConfig(), "file", quiet=True)
    mgr.discover_files([str(f) for f in files], recursive=False)
    mgr.run_tests()
    elapsed = clock() - t
    high = {Path(i.fname) for i in mgr.get_issue_list(sev_level=constants.HIGH, conf_level=constants.LOW)}
    medium = {Path(i.fname) for i in mgr.get_issue_list(sev_level=constants.MEDIUM, conf_level=constants.LOW)}
    return elapsed, {"high": high, "medium+": medium}


def time_radon(sources: dict[Path, bytes]) -> float:
    from radon.complexity import cc_visit

    t = clock()
    for src in sources.values():
        try:
            cc_visit(src.decode("utf-8", errors="replace"))
        except Exception:  # noqa: BLE001 - radon raises on files it cannot parse
            pass
    return clock() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--sample", type=int, default=400, help="files in the seeded sample (default 400)")
    group.add_argument("--all", action="store_true", help="every stdlib file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2, help="runs per tool; the fastest counts (default 2)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    files = stdlib_files(None if args.all else args.sample, args.seed)
    sources = {p: p.read_bytes() for p in files}
    mb = sum(map(len, sources.values())) / 1e6
    what = "all stdlib files" if args.all else f"seeded sample (seed {args.seed}) of stdlib files"
    print(f"{len(files)} files, {mb:.1f} MB ({what})")

    reps = range(max(1, args.repeat))
    t_parse = min(time_parse(sources) for _ in reps)
    llm_runs = [time_llmdyn(sources) for _ in reps]
    t_llm, llm_flag = min(r[0] for r in llm_runs), llm_runs[0][1]
    t_radon = min(time_radon(sources) for _ in reps)
    bandit_runs = [time_bandit(files) for _ in reps]
    t_bandit, bandit_flag = min(r[0] for r in bandit_runs), bandit_runs[0][1]

    n = len(files)
    rows = [("ast.parse", t_parse), ("llmdyn (3 scores)", t_llm), ("radon cc", t_radon), ("bandit", t_bandit)]
    print(f"{'tool':<20}{'CPU s':>10}{'files/s':>10}   (best of {len(reps)})")
    for name, t in rows:
        print(f"{name:<20}{t:>10.2f}{n / t:>10.1f}")
    print(f"llmdyn vs bandit: {t_bandit / t_llm:.1f}x faster (goal >= 10x)")
    print(f"llmdyn vs ast.parse: {t_llm / t_parse:.2f}x the parse time (goal <= 3x)")
    print(f"llmdyn vs radon cc: {t_radon / t_llm:.2f}x faster")
    root = Path(sysconfig.get_paths()["stdlib"])
    for level in ("high", "medium+"):
        mine, theirs = llm_flag[level], bandit_flag[level]
        both, union = mine & theirs, mine | theirs
        print(f"security agreement, {level} severity (files with a llmdyn penalty vs a bandit issue):")
        print(f"  both {len(both)}, llmdyn only {len(mine - theirs)}, bandit only {len(theirs - mine)}, "
              f"neither {n - len(union)}" + (f", Jaccard {len(both) / len(union):.2f}" if union else ""))
        for label, paths in (("llmdyn only", mine - theirs), ("bandit only", theirs - mine)):
            names = ", ".join(str(p.relative_to(root)) for p in sorted(paths)[:6])
            if names:
                print(f"  e.g. {label}: {names}")


if __name__ == "__main__":
    main()
