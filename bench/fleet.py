"""A simulated year of scheduled runs through renewer's own renewal decision.

Why: whether short-lived certificates survive late and dropped runs is a
property of the decision function (renewer.plan.policy.renewal_due) and the
cadence it is told (run_every, run_slack), not of any server. So this runs
that function, unchanged, over a fleet and a year of runs and counts what
matters: how close to expiry renewals happen, whether any certificate lapses,
and how many new orders one account sends per 3 hours (Let's Encrypt allows
300; renewals with ARI ``replaces`` inside the window are exempt).

Model (stated, so the numbers can be judged):
- runs are scheduled every ``run_every`` from 05:17 UTC; each starts late by
  min(Exp(mean 15 min), 60 min) (GitHub documents delays under load);
- each run is dropped with probability 5 %, independently, except that a
  third dropped run in a row is not (at most two consecutive drops: the
  target case); ``--drop`` and ``--max-drops`` change this;
- every certificate has ARI: a window centred at 2/3 of its lifetime, a
  thirtieth of the lifetime wide (90 days: 3 days; 6 days: 4.8 hours);
- the fleet exists at the start, issued uniformly over the last 60 % of a
  lifetime, and each renewal is issued at the run's start (issuance takes
  seconds); renewer's per-run order cap is not applied (the peak says
  whether it would bite).

The decision is asked at every run where it could say "renew": a
certificate that is not due gives its ``renew_at``, and the policy cannot
say "due" earlier than ``renew_at - run_every - run_slack`` (next_run), so
it is asked again at the first run from then on (or sooner, on a drop).
Usage: ``python -m bench.fleet [--sizes 1000,100000] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import heapq
import random
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import CertificateSpec, RenewalInfo, StoredCertificate, default_slack
from renewer.core.settings import AcmeSettings, DnsSettings, StoreSettings
from renewer.plan.policy import renewal_due

START = datetime(2027, 1, 1, 5, 17, tzinfo=UTC)
YEAR = timedelta(days=365)
LIFETIMES = (6, 45, 90)
CADENCES = (12, 24)
WINDOW_3H = timedelta(hours=3)
TICK = timedelta(seconds=1)  # "from the next run on"
LE_ORDERS_PER_3H = 300


@dataclass
class Outcome:
    lifetime_days: int
    run_every_h: int
    certificates: int
    renewals: int
    min_left: timedelta
    expiries: int
    peak_orders: int  # in any 3 h, not exempt (no ARI replaces inside the window)
    peak_all: int  # in any 3 h, every new order
    decisions: int
    seconds: float


def _spec(run_every: timedelta) -> CertificateSpec:
    return CertificateSpec(
        name="fleet",
        domains=("fleet.example.test",),
        key="ec-p256",
        acme=AcmeSettings(directory="https://ca.example/dir"),
        dns=DnsSettings(type="challtestsrv", provider=ChallTestSrvSettings("http://127.0.0.1:1")),
        store=StoreSettings(type="directory", backend=DirectorySettings(Path("/nonexistent"))),
        run_every=run_every,
        run_slack=default_slack(run_every),
    )


def _window(not_before: datetime, lifetime: timedelta) -> RenewalInfo:
    centre = not_before + lifetime * 2 / 3
    return RenewalInfo(centre - lifetime / 60, centre + lifetime / 60)


def _runs(rng: random.Random, run_every: timedelta, drop: float, max_drops: int) -> list[datetime]:
    """Start times of the runs that happen (late by the delay; dropped ones left out)."""
    runs: list[datetime] = []
    moment, dropped = START, 0
    while moment < START + YEAR:
        if rng.random() < drop and dropped < max_drops:
            dropped += 1
        else:
            dropped = 0
            late = min(rng.expovariate(1 / 900.0), 3600.0)
            runs.append(moment + timedelta(seconds=late))
        moment += run_every
    return runs


def simulate(
    n: int, lifetime_days: int, run_every_h: int, seed: int, drop: float, max_drops: int
) -> Outcome:
    rng = random.Random(seed * 1_000_003 + lifetime_days * 101 + run_every_h)
    run_every = timedelta(hours=run_every_h)
    spec = _spec(run_every)
    lifetime = timedelta(days=lifetime_days) - timedelta(seconds=1)
    lead = spec.run_every + spec.run_slack
    runs = _runs(rng, run_every, drop, max_drops)
    certs: list[StoredCertificate] = []
    windows: list[RenewalInfo] = []
    queue: list[tuple[datetime, int]] = []
    for i in range(n):
        issued = START - lifetime * 0.6 * rng.random()
        certs.append(
            StoredCertificate(
                name=f"c{i}",
                not_before=issued,
                not_after=issued + lifetime,
                serial=f"{i:x}-0",
                fingerprint=spec.fingerprint(),
                ari_cert_id=f"id{i}.0",
            )
        )
        windows.append(_window(issued, lifetime))
        queue.append((START, i))
    heapq.heapify(queue)
    min_left, expiries, renewals, decisions = timedelta.max, 0, 0, 0
    per_run: Counter[datetime] = Counter()
    per_run_all: Counter[datetime] = Counter()
    started = time.perf_counter()
    for now in runs:
        while queue and queue[0][0] <= now:
            _, i = heapq.heappop(queue)
            cert, window = certs[i], windows[i]
            decision = renewal_due(cert, spec, window, now)
            decisions += 1
            if not decision.due:
                assert decision.renew_at is not None
                heapq.heappush(queue, (max(decision.renew_at - lead, now + TICK), i))
                continue
            left = cert.not_after - now
            min_left = min(min_left, left)
            expiries += left <= timedelta(0)
            renewals += 1
            per_run_all[now] += 1
            if now < window.start:  # before the window: LE does not exempt it
                per_run[now] += 1
            certs[i] = replace(
                cert,
                not_before=now,
                not_after=now + lifetime,
                serial=f"{i:x}-{renewals}",
                ari_cert_id=f"id{i}.{renewals}",
            )
            windows[i] = _window(now, lifetime)
            heapq.heappush(queue, (now + TICK, i))  # asked again at the next run
    # Lapses the simulation never reached (after the last run) do not count; lapses before
    # a renewal do, through the "left <= 0" above.
    return Outcome(
        lifetime_days,
        run_every_h,
        n,
        renewals,
        min_left,
        expiries,
        _peak(per_run),
        _peak(per_run_all),
        decisions,
        time.perf_counter() - started,
    )


def _peak(per_run: Counter[datetime]) -> int:
    """The most orders inside any 3 hours (runs are at least 12 h apart, so one run's)."""
    moments = sorted(per_run)
    best, first = 0, 0
    total = 0
    for moment in moments:
        total += per_run[moment]
        while moments[first] < moment - WINDOW_3H:
            total -= per_run[moments[first]]
            first += 1
        best = max(best, total)
    return best


def _hours(span: timedelta) -> str:
    if span == timedelta.max:
        return "-"
    hours = span.total_seconds() / 3600
    return f"{hours / 24:.1f} d" if hours >= 48 else f"{hours:.1f} h"


def table(outcomes: list[Outcome]) -> str:
    lines = [
        "| certificates | lifetime | run_every | renewals | min. left at renewal | expiries "
        f"| peak orders / 3 h, not exempt (all) | vs {LE_ORDERS_PER_3H} | decisions | s |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for o in outcomes:
        verdict = "ok" if o.peak_orders <= LE_ORDERS_PER_3H else "over"
        lines.append(
            f"| {o.certificates:,} | {o.lifetime_days} d | {o.run_every_h} h | {o.renewals:,} "
            f"| {_hours(o.min_left)} | {o.expiries} | {o.peak_orders:,} ({o.peak_all:,}) "
            f"| {verdict} | {o.decisions:,} | {o.seconds:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drop", type=float, default=0.05)
    parser.add_argument("--max-drops", type=int, default=2)
    parser.add_argument("--lifetimes", default=",".join(map(str, LIFETIMES)))
    args = parser.parse_args()
    outcomes = []
    for n in (int(s) for s in args.sizes.split(",")):
        for days in (int(d) for d in args.lifetimes.split(",")):
            for hours in CADENCES:
                outcome = simulate(n, days, hours, args.seed, args.drop, args.max_drops)
                outcomes.append(outcome)
                print(table([outcome]).splitlines()[-1], flush=True)
    print()
    print(table(outcomes))


if __name__ == "__main__":
    main()
