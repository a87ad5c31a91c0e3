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

lego's side of the same drill (bench/lego, ``-mode drill``) gets its own fresh
BIND and Pebble and the same N: one process obtains every certificate, waits
while this harness moves the windows the same way, then asks lego's
GetRenewalInfo per certificate and obtains each replacement with
ReplacesCertID, and measures that phase itself (wall, CPU, peak RSS of the
phase). It runs at renewer's concurrency (10) and at 50 (DRILL_LEGO_CONCURRENCY,
default "10,50"; 0 is all at once, which at 500 stalled the rig's Pebble on this
machine: no answer within lego's 30 s HTTP timeout).

Writes its section of bench/results.md in place (the other sections stay): one
row per tool and the ratios renewer ÷ lego.

Usage: python bench/drill.py [N]   (default 500)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parent),
    str(Path(__file__).resolve().parents[1] / "tests"),
]

from rig import Bind, Pebble  # noqa: E402
from run import (  # noqa: E402
    BENCH,
    LEGO,
    RENEW,
    REPO,
    WORK,
    ZONE,
    Measure,
    base_env,
    compile_renewer,
    names,
    renewer_config,
    run_measured,
    with_rig,
)

TITLE = "### Mass-revocation drill (every ARI window in the past, one renewal run per tool)"
HEADING = "### Mass-revocation drill"  # finds the section under any earlier title
REPLACED = "is a replacement of"


LEGO_CONCURRENCY = [
    int(c) for c in os.environ.get("DRILL_LEGO_CONCURRENCY", "10,50").split(",") if c.strip()
]


@dataclass
class DrillRow:
    """One tool's timed re-issuance of every certificate."""

    tool: str
    mode: str
    n: int
    m: Measure | None = None  # None: not run (see note)
    replaced: int = 0  # orders Pebble logged as replacing an earlier certificate
    renewed: int = 0  # what the tool itself says it re-issued
    note: str = ""


def move_windows(ca: Pebble, pems: list[str]) -> None:
    """Every certificate's ARI window one to two hours in the past (the 2026-03-19 drill)."""
    now = dt.datetime.now(dt.UTC)
    window = json.dumps(
        {
            "suggestedWindow": {
                "start": f"{now - dt.timedelta(hours=2):%Y-%m-%dT%H:%M:%SZ}",
                "end": f"{now - dt.timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
            }
        }
    )
    for pem in pems:
        ca.set_renewal_info(pem, window)


def replacements(ca: Pebble) -> int:
    return int(ca.log_path.read_text(errors="replace").count(REPLACED))


def renewer_drill(n: int, bind: Bind, ca: Pebble, case: Path) -> DrillRow:
    path = renewer_config(n, bind, ca, case)
    env = {**base_env(), "TSIG_SECRET": bind.secret, "PYTHONPATH": str(REPO)}
    first = run_measured([*RENEW, "-c", str(path)], env, case / "issue.log")
    if first.failures:
        raise SystemExit(f"the first issuance failed: see {case / 'issue.log'}")
    certs = case / "certs"
    move_windows(ca, [(certs / d.split(".")[0] / "cert.pem").read_text() for d in names(n)])
    before = replacements(ca)
    cmd = [*RENEW, "--refresh-renewal-info", "-c", str(path)]
    measured = run_measured(cmd, env, case / "drill.log")
    replaced = replacements(ca) - before
    log = (case / "drill.log").read_text(errors="replace")
    found = re.search(r"(\d+) succeeded", log)
    row = DrillRow("renewer", "one run, --concurrency 10 (default)", n, measured, replaced)
    row.renewed = int(found.group(1)) if found else 0
    return row


def lego_mode(concurrency: int) -> str:
    if concurrency <= 0:
        return "one process, all orders concurrent"
    return f"one process, {concurrency} orders at a time"


def lego_drill(n: int, bind: Bind, ca: Pebble, case: Path, concurrency: int) -> DrillRow:
    """bench/lego -mode drill: issue all, wait for the windows to move, renew with replaces.

    The timed phase is measured by the program itself (it also did the first
    issuance, which is not timed for renewer either); the whole process's
    wait4() figures go into the log for reference.
    """
    row = DrillRow("lego", lego_mode(concurrency), n)
    out = case / "lego"
    out.mkdir()
    env = {**base_env(), "TSIG_SECRET": bind.secret}
    cmd = [
        str(LEGO), "-mode", "drill", "-concurrency", str(concurrency),
        "-directory", ca.directory_url, "-ca-bundle", str(ca.ca_bundle),
        "-nameserver", bind.dns_address, "-tsig-name", bind.key_name,
        "-tsig-algorithm", bind.algorithm, "-zone", ZONE, "-out", str(out), *names(n),
    ]  # fmt: skip
    log = case / "lego.log"
    with log.open("ab") as err:
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=WORK
        )
        assert proc.stdin and proc.stdout
        started = time.monotonic()
        ready = proc.stdout.readline().decode(errors="replace").strip()
        if ready != f"issued {n}":
            proc.kill()
            proc.wait()
            row.note = f"first issuance failed ({ready or 'no answer'}): see {log}"
            return row
        issued = time.monotonic() - started
        move_windows(ca, [first_pem((out / f"{d}.crt").read_text()) for d in names(n)])
        before = replacements(ca)
        proc.stdin.write(b"go\n")
        proc.stdin.close()
        answer = proc.stdout.read().decode(errors="replace").strip().splitlines()
        _, status, usage = os.wait4(proc.pid, 0)
    row.replaced = replacements(ca) - before
    code = os.waitstatus_to_exitcode(status)
    with log.open("a") as note:
        print(
            f"legobench whole process: first issuance {issued:.2f} s, exit {code}, "
            f"cpu {usage.ru_utime + usage.ru_stime:.2f} s, maxrss {usage.ru_maxrss / 1024:.0f} MB",
            file=note,
        )
    try:
        phase = json.loads(answer[-1])
    except (IndexError, ValueError):
        row.note = f"no result (exit {code}): see {log}"
        return row
    row.m = Measure(
        wall=phase["wall"], cpu=phase["cpu"], rss_mb=phase["rss_mb"], failures=phase["failed"]
    )
    row.renewed = phase["renewed"]
    if phase["rss_source"] != "VmHWM":
        row.note = "peak RSS of the whole process (VmHWM could not be reset)"
    return row


def first_pem(bundle: str) -> str:
    """The leaf of a PEM bundle: Pebble's /set-renewal-info takes one certificate."""
    end = "-----END CERTIFICATE-----"
    return bundle[: bundle.index(end) + len(end)] + "\n"


def cells(r: DrillRow) -> str:
    if r.m is None:
        return f"| {r.tool} | {r.mode} | {r.n} | — | — | — | — | — | — | {r.note} |"
    m = r.m
    rate = r.replaced / m.wall if m.wall else 0.0
    note = r.note
    if not (r.replaced == r.renewed == r.n and not m.failures):
        note = f"{m.failures} failed; {r.renewed} re-issued by the tool's count. {note}".strip()
    return (
        f"| {r.tool} | {r.mode} | {r.n} | {m.wall:.2f} | {rate:.1f} | {m.cpu:.2f} "
        f"| {m.cpu * 1000 / r.n:.1f} | {m.rss_mb:.0f} | {r.replaced} | {note} |"
    )


def ratios(renewer: DrillRow, peers: list[DrillRow]) -> list[str]:
    """renewer ÷ lego per measure (below 1: renewer needs less; orders/s: above 1 is faster)."""
    lines = [
        "| renewer ÷ lego | wall | orders/s | CPU | CPU per order | peak RSS |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    a = renewer.m
    for peer in peers:
        b = peer.m
        if a is None or b is None or not (b.wall and b.cpu and b.rss_mb and peer.replaced):
            lines.append(f"| vs lego, {peer.mode} | — | — | — | — | — |")
            continue
        speed = (renewer.replaced / a.wall) / (peer.replaced / b.wall)
        lines.append(
            f"| vs lego, {peer.mode} | {a.wall / b.wall:.2f} | {speed:.2f} | {a.cpu / b.cpu:.1f} "
            f"| {(a.cpu / renewer.n) / (b.cpu / peer.n):.1f} | {a.rss_mb / b.rss_mb:.1f} |"
        )
    return lines


def section(rows: list[DrillRow]) -> str:
    n = rows[0].n
    return "\n".join(
        [
            TITLE,
            "",
            "| tool | mode | certs | wall s | orders/s | CPU s | CPU ms/order | peak RSS MB "
            "| re-issued with replaces | note |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
            *(cells(r) for r in rows),
            "",
            *ratios(rows[0], rows[1:]),
            "",
            "Each tool on its own fresh BIND + Pebble, same N, the first issuance untimed. "
            "renewer: one `renewer renew` process, wait4() (interpreter start, config load and "
            "reading N certificates from its store included). lego: the same phase inside one "
            "lego v5 library process that still holds its account and certificates in memory "
            "(`GetRenewalInfo`, `ShouldRenewAt`, `Obtain` with `ReplacesCertID`), measured by "
            "the program (getrusage delta, VmHWM reset at the phase's start). Ratios below 1 "
            "favour renewer, except orders/s (above 1: renewer re-issues faster).",
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
    start = current.find(HEADING)
    if start < 0:
        path.write_text(current.rstrip("\n") + "\n\n" + text)
        return
    end = current.find("\n### ", start + len(HEADING))
    rest = current[end + 1 :] if end >= 0 else ""
    path.write_text(current[:start] + text + ("\n" + rest if rest else ""))


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    WORK.mkdir(parents=True, exist_ok=True)
    compile_renewer()
    cases = WORK / "cases"
    rows = [with_rig(cases / f"drill-{n}", lambda b, c, d: renewer_drill(n, b, c, d))]
    for conc in LEGO_CONCURRENCY:
        if not LEGO.exists():
            rows.append(DrillRow("lego", lego_mode(conc), n, note="not built (bench/setup.sh)"))
            continue
        case = cases / f"drill-lego-{conc}-{n}"

        def lego(b: Bind, c: Pebble, d: Path, conc: int = conc) -> DrillRow:
            return lego_drill(n, b, c, d, conc)

        rows.append(with_rig(case, lego))
    for r in rows:
        if r.m is None:
            print(f"drill n={n} {r.tool} ({r.mode}): {r.note}")
            continue
        print(
            f"drill n={n} {r.tool} ({r.mode}): wall {r.m.wall:.2f} s, "
            f"{r.replaced / r.m.wall:.1f} orders/s, cpu {r.m.cpu:.2f} s "
            f"({r.m.cpu * 1000 / n:.1f} ms/order), rss {r.m.rss_mb:.0f} MB, "
            f"{r.replaced} re-issued with replaces, {r.renewed} by the tool's count"
        )
    write_section(section(rows))
    ok = all(r.m is not None and r.replaced == n and not r.m.failures for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
