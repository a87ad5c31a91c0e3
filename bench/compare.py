"""The same bench rows for several source trees in one run, taken in turn (A B C A B C ...).

For a change whose cost must be shown against a baseline on a shared, noisy
machine: each case (bench/run.py's own ``renewer_case`` with a fresh Pebble
and BIND, or its ``validate`` file) runs once per tree per round, and the
medians of the rounds are printed as Markdown rows.

    python bench/compare.py issuance 10,50,200 3 base=/tmp/base new=.
    python bench/compare.py validate 50000 3 base=/tmp/base new=.

A tree is a folder holding ``renewer/`` (e.g. ``git archive <ref> renewer | tar -x -C DIR``).
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from pathlib import Path

import run as bench  # bench/run.py (run from bench/ or with bench/ on sys.path)


def measure(kind: str, n: int, tree: Path, case: Path) -> tuple[float, float, float, int]:
    bench.REPO = tree  # the PYTHONPATH of the measured process
    if kind == "issuance":
        m, done = bench.with_rig(case, lambda b, c, p: bench.renewer_case(n, b, c, p))
        return m.wall, m.cpu, m.rss_mb, done
    rows: list[bench.Row] = []
    bench.VALIDATE_SIZES, bench.WORK = [n], case
    bench.validate(rows)
    return rows[0].wall or 0.0, rows[0].cpu or 0.0, rows[0].rss_mb or 0.0, rows[0].ok


def main() -> int:
    kind, sizes, rounds = sys.argv[1], [int(s) for s in sys.argv[2].split(",")], int(sys.argv[3])
    trees = {label: Path(path).resolve() for label, path in (a.split("=", 1) for a in sys.argv[4:])}
    work = bench.WORK / "compare"
    results: dict[tuple[str, int], list[tuple[float, float, float, int]]] = {}
    for _ in range(rounds):
        for n in sizes:
            for label, tree in trees.items():
                case = work / f"{kind}-{n}-{label}"
                shutil.rmtree(case, ignore_errors=True)
                case.mkdir(parents=True)
                got = measure(kind, n, tree, case)
                results.setdefault((label, n), []).append(got)
                print(json.dumps({"tree": label, "n": n, "measure": got}), flush=True)
    columns = "wall s (median) | CPU s (median) | CPU ms/unit | CPU s, each round | RSS MB | done"
    print(f"\n| tree | n | {columns} |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for (label, n), runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        each = ", ".join(f"{r[1]:.2f}" for r in runs)
        rss = max(r[2] for r in runs)
        print(f"| {label} | {n} | {wall:.2f} | {cpu:.2f} | {cpu / n * 1000:.1f} | {each} | "
              f"{rss:.0f} | {min(r[3] for r in runs)} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
