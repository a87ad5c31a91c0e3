"""The mass-revocation drill at scale: N certificates, every ARI window in the past, one renew.

On 2026-03-19 Let's Encrypt moved the ARI windows of about three million
certificates into the past as a drill; in 2024 DigiCert revoked 83,267
certificates with 24 hours' notice. This answers "how long does renewer need
to re-issue a whole inventory":

1. a fresh BIND and Pebble (bench/run.py's rig and flags), N certificates
   issued by one ``renewer renew`` (not timed here: the issuance table has it);
2. each certificate's window set in the past through Pebble's management
   ``/set-renewal-info``;
3. timed: one ``renewer renew --refresh-renewal-info`` (default --concurrency
   10) in its own process, wait4() for CPU and peak RSS. Every certificate
   must be re-issued with ``replaces``: Pebble logs each order that names the
   certificate it replaces, and those are counted.

Writes its section of bench/results.md in place (the other sections stay).

Usage: python bench/drill.py [N]   (default 500)
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "tests"),
]

from rig import Bind, Pebble  # noqa: E402
from run import (  # noqa: E402
    BENCH,
    RENEW,
    REPO,
    WORK,
    Measure,
    base_env,
    compile_renewer,
    names,
    renewer_config,
    run_measured,
    with_rig,
)

TITLE = "### Mass-revocation drill (every ARI window in the past, one `renewer renew`)"
REPLACED = "is a replacement of"


def drill(n: int, bind: Bind, ca: Pebble, case: Path) -> tuple[Measure, int, int]:
    path = renewer_config(n, bind, ca, case)
    env = {**base_env(), "TSIG_SECRET": bind.secret, "PYTHONPATH": str(REPO)}
    first = run_measured([*RENEW, "-c", str(path)], env, case / "issue.log")
    if first.failures:
        raise SystemExit(f"the first issuance failed: see {case / 'issue.log'}")
    now = dt.datetime.now(dt.UTC)
    window = json.dumps(
        {
            "suggestedWindow": {
                "start": f"{now - dt.timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}",
                "end": f"{now - dt.timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
            }
        }
    )
    for domain in names(n):
        ca.set_renewal_info(
            (case / "certs" / domain.split(".")[0] / "cert.pem").read_text(), window
        )
    before = ca.log_path.read_text(errors="replace").count(REPLACED)
    cmd = [*RENEW, "--refresh-renewal-info", "-c", str(path)]
    measured = run_measured(cmd, env, case / "drill.log")
    replaced = ca.log_path.read_text(errors="replace").count(REPLACED) - before
    log = (case / "drill.log").read_text(errors="replace")
    found = re.search(r"(\d+) succeeded", log)
    return measured, replaced, int(found.group(1)) if found else 0


def section(n: int, m: Measure, replaced: int, renewed: int) -> str:
    rate = replaced / m.wall if m.wall else 0.0
    note = "" if replaced == renewed == n and not m.failures else f"{m.failures} failed run(s)"
    return "\n".join(
        [
            TITLE,
            "",
            "| tool | mode | certs | wall s | orders/s | CPU s | CPU ms/order | peak RSS MB "
            "| re-issued with replaces | note |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| renewer | one run, --concurrency 10 (default) | {n} | {m.wall:.2f} | {rate:.1f} "
            f"| {m.cpu:.2f} | {m.cpu * 1000 / n:.0f} | {m.rss_mb:.0f} | {replaced} | {note} |",
            "| lego | one process, all orders concurrent | — | — | — | — | — | — | — | not run: "
            "bench/lego drives lego's Obtain only; a mode that renews "
            "with ARI replaces is not written yet |",
            "",
            f"<!-- drill: `python bench/drill.py {n}` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} "
            "UTC -->",
            "",
        ]
    )


def write_section(text: str) -> None:
    """Replace the drill's section of results.md (or append it); keep every other table."""
    path = BENCH / "results.md"
    current = path.read_text() if path.exists() else ""
    start = current.find(TITLE)
    if start < 0:
        path.write_text(current.rstrip("\n") + "\n\n" + text)
        return
    end = current.find("\n### ", start + len(TITLE))
    rest = current[end + 1 :] if end >= 0 else ""
    path.write_text(current[:start] + text + ("\n" + rest if rest else ""))


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    WORK.mkdir(parents=True, exist_ok=True)
    compile_renewer()
    m, replaced, renewed = with_rig(
        WORK / "cases" / f"drill-{n}", lambda b, c, d: drill(n, b, c, d)
    )
    print(
        f"drill n={n}: wall {m.wall:.2f} s, {replaced / m.wall:.1f} orders/s, cpu {m.cpu:.2f} s "
        f"({m.cpu * 1000 / n:.0f} ms/order), rss {m.rss_mb:.0f} MB, "
        f"{replaced} re-issued with replaces, {renewed} succeeded"
    )
    write_section(section(n, m, replaced, renewed))
    return 0 if replaced == n and not m.failures else 1


if __name__ == "__main__":
    sys.exit(main())
