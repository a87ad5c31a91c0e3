"""Wall time against number of certificates, one line per tool/mode (log-log).

Usage: python bench/plot.py bench/.work/results.json bench/plot.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def main(src: str, dst: str) -> int:
    rows = [
        r
        for r in json.loads(Path(src).read_text())
        if not r["mode"].startswith(("plan", "validate"))
    ]
    series: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        if r["wall"] is not None:
            series.setdefault(f"{r['tool']} ({r['mode']})", []).append((r["n"], r["wall"]))
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for label, points in series.items():
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("certificates (single-name, DNS-01 via RFC 2136 + TSIG)")
    ax.set_ylabel("wall time, s")
    ax.set_title("Batch issuance against Pebble + BIND (2 vCPU)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
