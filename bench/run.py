"""renewer benchmark suite: one command, every case, one table.

    bench/setup.sh && python bench/run.py        (or: python -m bench)

Every issuance case gets a fresh BIND (RFC 2136 + TSIG, tests/rig/bind.py) and a
fresh Pebble (PEBBLE_VA_NOSLEEP=1, PEBBLE_AUTHZREUSE=0, tests/rig/pebble.py)
validating against that BIND.  Each tool's process is measured with wait4():
wall time (monotonic, around the process), user+system CPU, peak RSS; loops
and process pools sum CPU and take the largest RSS.  A case whose estimated
duration (seconds per certificate of the tool's previous case x N) exceeds
CASE_CAP is skipped and marked so; nothing is extrapolated into the table.

Outputs: stdout table, bench/results.md, bench/.work/results.json, bench/plot.png.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
WORK = BENCH / ".work"
VENV = WORK / "venv"
sys.path.insert(0, str(REPO / "tests"))

from rig import Bind, KeyVaultStandIn, Pebble, make_tls_material  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1,10,50,200").split(",")]
NOOP_SIZES = [int(n) for n in os.environ.get("BENCH_NOOP_SIZES", "1000,5000").split(",")]
CASE_CAP = float(os.environ.get("BENCH_CASE_CAP", "200"))  # seconds per case, estimated
POOL = int(os.environ.get("BENCH_POOL", "10"))  # parallel peer processes
ZONE = "example.test"


@dataclass
class Measure:
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    failures: int = 0
    processes: int = 0


@dataclass
class Row:
    tool: str
    mode: str
    n: int
    wall: float | None = None
    cpu: float | None = None
    rss_mb: float | None = None
    ok: int = 0
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_measured(cmd: Sequence[str], env: dict[str, str], log: Path) -> Measure:
    """One process: wall around it, CPU and peak RSS from wait4 (includes its children)."""
    started = time.monotonic()
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=WORK)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Measure(
        wall=time.monotonic() - started,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        failures=int(proc.returncode != 0),
        processes=1,
    )


def run_many(jobs: Sequence[Callable[[], Measure]], parallel: int) -> Measure:
    """Run jobs (sequentially when parallel == 1); sum CPU, max RSS, wall around all."""
    started = time.monotonic()
    if parallel <= 1:
        parts = [job() for job in jobs]
    else:
        with ThreadPoolExecutor(parallel) as pool:
            parts = list(pool.map(lambda job: job(), jobs))
    return Measure(
        wall=time.monotonic() - started,
        cpu=sum(p.cpu for p in parts),
        rss_mb=max((p.rss_mb for p in parts), default=0.0),
        failures=sum(p.failures for p in parts),
        processes=len(parts),
    )


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PEBBLE_", "REQUESTS_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# -- tools ----------------------------------------------------------------------------
def names(n: int) -> list[str]:
    return [f"b{i}.{ZONE}" for i in range(n)]


# Pebble has no rate limits: renewer's budgets (Let's Encrypt's: 300 new orders per
# account, 50 certificates per registered domain) would defer most of a large case.
RENEW = [
    *(sys.executable, "-m", "renewer", "renew"),
    *("--per-domain-limit", "1000000", "--max-new-orders", "1000000"),
]


def renewer_config(n: int, bind: Bind, ca: Pebble, case: Path) -> Path:
    """certificates.yaml for ``n`` names in BIND's zone, ordered from ``ca``."""
    config = {
        "acme": {"directory": ca.directory_url, "ca_bundle": str(ca.ca_bundle)},
        "store": {"type": "directory", "path": str(case / "certs")},
        "dns": {
            "type": "rfc2136",
            "nameserver": bind.dns_address,
            "tsig": {
                "name": bind.key_name,
                "secret": "env:TSIG_SECRET",
                "algorithm": bind.algorithm,
            },
            # minimum: poll BIND itself every 0.1 s, the first poll is immediate
            "propagation": {
                "nameservers": [bind.dns_address],
                "timeout": "30s",
                "interval": "0.1s",
            },
        },
        "certificates": [{"name": d.split(".")[0], "domains": [d]} for d in names(n)],
    }
    path = case / "certificates.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def renewer_case(n: int, bind: Bind, ca: Pebble, case: Path) -> tuple[Measure, int]:
    path = renewer_config(n, bind, ca, case)
    env = {**base_env(), "TSIG_SECRET": bind.secret, "PYTHONPATH": str(REPO)}
    cmd = [*RENEW, "-c", str(path)]
    m = run_measured(cmd, env, case / "renewer.log")
    issued = sum(1 for d in names(n) if (case / "certs" / d.split(".")[0] / "cert.pem").exists())
    return m, issued


def certbot_case(n: int, bind: Bind, ca: Pebble, case: Path, parallel: int) -> tuple[Measure, int]:
    ini = case / "rfc2136.ini"
    ini.write_text(
        f"dns_rfc2136_server = 127.0.0.1\n"
        f"dns_rfc2136_port = {bind.port}\n"
        f"dns_rfc2136_name = {bind.key_name}\n"
        f"dns_rfc2136_secret = {bind.secret}\n"
        f"dns_rfc2136_algorithm = {bind.algorithm.upper()}\n"
    )
    ini.chmod(0o600)
    env = {**base_env(), "REQUESTS_CA_BUNDLE": str(ca.ca_bundle)}
    slots = max(1, min(parallel, n))

    def job(i: int, domain: str) -> Callable[[], Measure]:
        slot = case / f"slot{i % slots}"  # one config dir per concurrent process (certbot locks it)
        cmd = [
            str(VENV / "bin" / "certbot"), "certonly", "--non-interactive", "--agree-tos",
            "--register-unsafely-without-email", "--server", ca.directory_url,
            "--dns-rfc2136", "--dns-rfc2136-credentials", str(ini),
            "--dns-rfc2136-propagation-seconds", "0",
            "--config-dir", str(slot / "config"), "--work-dir", str(slot / "work"),
            "--logs-dir", str(slot / "logs"), "-d", domain,
        ]  # fmt: skip
        return lambda: run_measured(cmd, env, case / f"certbot-{i % slots}.log")

    jobs = [job(i, d) for i, d in enumerate(names(n))]
    if parallel > 1:
        # each slot runs its share sequentially, slots run concurrently
        per_slot = [[j for k, j in enumerate(jobs) if k % slots == s] for s in range(slots)]
        m = run_many([lambda js=js: run_many(js, 1) for js in per_slot], slots)
        m.processes = n
    else:
        m = run_many(jobs, 1)
    issued = sum(
        1
        for s in range(slots)
        for _ in (case / f"slot{s}" / "config" / "live").glob(f"*.{ZONE}/cert.pem")
    )
    return m, issued


TOOLS: dict[str, tuple[str, str, Callable[..., tuple[Measure, int]]]] = {
    "renewer": ("renewer", "one run, --concurrency 10 (default)", renewer_case),
    "certbot-loop": ("certbot", "loop, 1 process per cert", lambda *a: certbot_case(*a, 1)),
    "certbot-par": (
        "certbot",
        f"{POOL} parallel processes",
        lambda *a: certbot_case(*a, POOL),
    ),
    "lego-loop": ("lego", "loop, 1 process per cert", lambda *a: lego_case(*a, False)),
    "lego-par": ("lego", "one process, all orders concurrent", lambda *a: lego_case(*a, True)),
}


def with_rig(case: Path, fn: Callable[[Bind, Pebble, Path], Any]) -> Any:
    shutil.rmtree(case, ignore_errors=True)
    case.mkdir(parents=True)
    tls = make_tls_material(case / "tls")
    with (
        Bind(case / "bind") as bind,
        Pebble(case / "pebble", tls, dns_server=bind.dns_address) as ca,
    ):
        return fn(bind, ca, case)


LEGO = WORK / "bin" / "legobench"  # bench/lego: lego v5 as a library (setup.sh builds it)


def lego_case(n: int, bind: Bind, ca: Pebble, case: Path, parallel: bool) -> tuple[Measure, int]:
    """lego one process per certificate (as the CLI is run) or all orders in one process."""
    out = case / "lego"
    out.mkdir()
    env = {**base_env(), "TSIG_SECRET": bind.secret}
    base = [
        str(LEGO), "-directory", ca.directory_url, "-ca-bundle", str(ca.ca_bundle),
        "-nameserver", bind.dns_address, "-tsig-name", bind.key_name,
        "-tsig-algorithm", bind.algorithm, "-zone", ZONE, "-out", str(out),
    ]  # fmt: skip
    if parallel:
        m = run_measured([*base, *names(n)], env, case / "lego.log")
    else:
        jobs = [(lambda d=d: run_measured([*base, d], env, case / "lego.log")) for d in names(n)]
        m = run_many(jobs, 1)
    return m, len(list(out.glob("*.crt")))


def issuance(rows: list[Row]) -> None:
    wanted = os.environ.get("BENCH_TOOLS", ",".join(TOOLS)).split(",")
    for key, (tool, mode, fn) in TOOLS.items():
        if key not in wanted:
            continue
        if key.startswith("lego") and not LEGO.exists():
            rows += [Row(tool, mode, n, note="not built (bench/setup.sh)") for n in SIZES]
            continue
        if key.startswith("certbot") and not (VENV / "bin" / "certbot").exists():
            rows += [Row(tool, mode, n, note="not installed (bench/setup.sh)") for n in SIZES]
            continue
        per_cert: float | None = None
        for n in SIZES:
            if per_cert is not None and per_cert * n > CASE_CAP:
                note = f"skipped: est. {per_cert * n:.0f} s > {CASE_CAP:.0f} s cap"
                rows.append(Row(tool, mode, n, note=note))
                print(f"{key:14} n={n:4}  {note}", flush=True)
                continue
            m, issued = with_rig(
                WORK / "cases" / f"{key}-{n}", lambda b, c, d, fn=fn, n=n: fn(n, b, c, d)
            )
            per_cert = m.wall / n
            row = Row(tool, mode, n, m.wall, m.cpu, m.rss_mb, issued)
            if issued != n or m.failures:
                row.note = f"{issued}/{n} issued, {m.failures} failed processes"
            rows.append(row)
            print(
                f"{key:14} n={n:4}  wall {m.wall:7.2f} s  cpu {m.cpu:7.2f} s  "
                f"rss {m.rss_mb:6.1f} MB  issued {issued}/{n} {row.note}",
                flush=True,
            )


# -- no-op at scale -------------------------------------------------------------------
REMEMBERED_STALE_EVERY = 5  # with windows remembered: every 5th is past its Retry-After


def populate(kv: KeyVaultStandIn, ca: Pebble, n: int, config_path: Path, remembered: bool) -> None:
    """n managed certificates as renewer tags them, nothing due (expires in 80 days).

    ``remembered``: each carries the renewal window an earlier run kept in its
    tags; for every fifth that window's Retry-After has passed (asked again).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from renewer.config.loader import load_config
    from renewer.core import renewal_window
    from renewer.core.certs import ari_cert_id
    from renewer.core.models import RenewalInfo
    from renewer.stores.keyvault import policy as kp

    specs = {s.name: s for s in load_config(config_path).certificates}
    intermediate = x509.load_pem_x509_certificate(ca.intermediate_pem().encode())
    ski = intermediate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = dt.datetime.now(dt.UTC)
    window = {
        "start": now + dt.timedelta(days=40),
        "end": now + dt.timedelta(days=42),
    }
    fresh = RenewalInfo(**window, checked=now, next_check=now + dt.timedelta(hours=6))
    stale = RenewalInfo(
        **window, checked=now - dt.timedelta(hours=7), next_check=now - dt.timedelta(hours=1)
    )
    for i, (name, spec) in enumerate(specs.items()):
        domain = spec.domains[0]
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(intermediate.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=10))
            .not_valid_after(now + dt.timedelta(days=80))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier(ski.digest, None, None), critical=False)
            .sign(issuer_key, hashes.SHA256())
        )
        tags = {
            kp.MANAGED_BY: kp.MANAGED_VALUE,
            kp.TAG_FINGERPRINT: spec.fingerprint(),
            kp.TAG_SERIAL: format(leaf.serial_number, "x"),
            kp.TAG_ARI: ari_cert_id(leaf) or "",
            kp.TAG_DIRECTORY: ca.directory_url,
            kp.TAG_KEY: spec.key,
            kp.TAG_DOMAINS: domain,
        }
        if remembered:
            info = stale if i % REMEMBERED_STALE_EVERY == 0 else fresh
            tags[kp.TAG_WINDOW] = renewal_window.encode(info) or ""
        body = {
            "value": (key_pem + leaf.public_bytes(serialization.Encoding.PEM)).decode(),
            "policy": {"secret_props": {"contentType": "application/x-pem-file"}},
            "tags": tags,
        }
        kv.vault.import_certificate(name, body)
    # The stand-in rebuilds (and re-parses) the whole listing for every page; that
    # is the stand-in's cost, not renewer's, so the listing is computed once here.
    listing = kv.vault.list_certificates(False)
    kv.vault.list_certificates = lambda include_pending: listing  # type: ignore[method-assign]


NOOP_MODES = {
    False: "plan, Key Vault stand-in, none due, nothing remembered",
    True: "plan, Key Vault stand-in, none due, windows remembered (1 in 5 past Retry-After)",
}


NOOP_REMEMBERED = os.environ.get("BENCH_NOOP_REMEMBERED", "no,yes").split(",")


def noop(rows: list[Row]) -> None:
    for n in NOOP_SIZES:
        for remembered, mode in NOOP_MODES.items():
            if ("yes" if remembered else "no") in NOOP_REMEMBERED:
                noop_case(rows, n, remembered, mode)


def noop_case(rows: list[Row], n: int, remembered: bool, mode: str) -> None:
    case = WORK / "cases" / f"noop-{n}{'-remembered' if remembered else ''}"
    shutil.rmtree(case, ignore_errors=True)
    case.mkdir(parents=True)
    tls = make_tls_material(case / "tls")
    with (
        Bind(case / "bind") as bind,
        Pebble(case / "pebble", tls, dns_server=bind.dns_address) as ca,
        KeyVaultStandIn(tls) as kv,
    ):
        config = {
            "acme": {"directory": ca.directory_url, "ca_bundle": str(ca.ca_bundle)},
            "azure": {"ca_bundle": str(kv.ca_bundle)},
            "store": {"type": "keyvault", "vault_url": kv.url},
            "dns": {
                "type": "rfc2136",
                "nameserver": bind.dns_address,
                "tsig": {"name": bind.key_name, "secret": "env:TSIG_SECRET"},
            },
            "certificates": [{"name": f"c{i}", "domains": [f"c{i}.{ZONE}"]} for i in range(n)],
        }
        path = case / "certificates.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        os.environ.setdefault("TSIG_SECRET", bind.secret)
        t0 = time.monotonic()
        populate(kv, ca, n, path, remembered)
        print(f"noop n={n}: populated the stand-in in {time.monotonic() - t0:.1f} s", flush=True)
        kv.reset_counts()
        token = kv.mint_token(lifetime=7200)
        stats_path = case / "stats.json"
        env = {
            **base_env(),
            "TSIG_SECRET": bind.secret,
            "PYTHONPATH": str(REPO),
            "BENCH_KV_TOKEN": token.token,
            "BENCH_KV_TOKEN_EXP": str(token.expires_on),
            "BENCH_STATS": str(stats_path),
        }
        out = case / "plan.json"
        cmd = [sys.executable, str(BENCH / "kv_plan.py"), "-c", str(path),
               "--format", "json", "-o", str(out)]  # fmt: skip
        m = run_measured(cmd, env, case / "plan.log")
        stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
        counts = dict(kv.counts)
        actions: dict[str, int] = {}
        if out.exists():
            for cert in json.loads(out.read_text()).get("certificates", []):
                actions[cert["action"]] = actions.get(cert["action"], 0) + 1
        pages = -(-n // 25)
        row = Row("renewer", mode, n, m.wall, m.cpu, m.rss_mb)
        row.ok = actions.get("skip", 0)
        row.extra = {
            "vault_requests": counts,
            "vault_401_challenges": kv.challenges,
            "expected_list_pages": pages,
            "actions": actions,
            **stats,
        }
        if m.failures or row.ok != n:
            row.note = f"exit {stats.get('exit')}, actions {actions}"
        rows.append(row)
        print(
            f"noop n={n}: wall {m.wall:.2f} s cpu {m.cpu:.2f} s rss {m.rss_mb:.1f} MB "
            f"vault {counts} (+{kv.challenges} 401) ari {stats.get('ari_calls')} "
            f"calls / {stats.get('ari_distinct')} ids, max {stats.get('ari_max_in_flight')} "
            f"in flight, actions {actions}",
            flush=True,
        )


# -- validate at scale ---------------------------------------------------------------
VALIDATE_SIZES = [int(n) for n in os.environ.get("BENCH_VALIDATE_SIZES", "50000").split(",")]


def validate(rows: list[Row]) -> None:
    """`renewer validate` of a Key Vault/Azure DNS file of n certificates (two names each)."""
    for n in VALIDATE_SIZES:
        case = WORK / "cases" / f"validate-{n}"
        shutil.rmtree(case, ignore_errors=True)
        case.mkdir(parents=True)
        path = case / "certificates.yaml"
        with path.open("w") as out:
            out.write(
                "acme:\n  directory: https://acme.example/dir\n"
                "store:\n  type: keyvault\n  vault_url: https://v.vault.azure.net\n"
                "dns:\n  type: azure\n"
                "  subscription_id: 00000000-0000-0000-0000-000000000000\n"
                "  resource_group: rg\ncertificates:\n"
            )
            for i in range(n):
                out.write(f"  - name: c{i}\n    domains: [c{i}.{ZONE}, www.c{i}.{ZONE}]\n")
        env = {**base_env(), "PYTHONPATH": str(REPO)}
        cmd = [sys.executable, "-m", "renewer", "validate", "-c", str(path)]
        m = run_measured(cmd, env, case / "validate.log")
        row = Row("renewer", "validate", n, m.wall, m.cpu, m.rss_mb, ok=n - m.failures * n)
        if m.failures:
            row.note = "validate failed (see the case's validate.log)"
        rows.append(row)
        print(
            f"validate n={n}: wall {m.wall:.2f} s cpu {m.cpu:.2f} s rss {m.rss_mb:.1f} MB",
            flush=True,
        )


# -- verify at scale -----------------------------------------------------------------
VERIFY_CASES = [(200, 0, 10.0), (200, 40, 2.0)]  # endpoints, blackholed ones, handshake timeout


def verify(rows: list[Row]) -> None:
    """`renewer verify` of 200 endpoints on one real nginx (bench/verify_bench.py), some dead."""
    for n, dead, timeout in VERIFY_CASES:
        case = WORK / "cases" / f"verify-{n}-{dead}"
        shutil.rmtree(case, ignore_errors=True)
        case.mkdir(parents=True)
        stats = case / "verify.json"
        cmd = [sys.executable, str(BENCH / "verify_bench.py"), str(n), "--dead", str(dead),
               "--timeout", str(timeout), "--json", str(stats)]  # fmt: skip
        with (case / "verify.log").open("w") as log:
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False, cwd=WORK)
        row = Row("renewer", "verify", n)
        if done.returncode == 0 and stats.exists():
            figures = json.loads(stats.read_text())
            row.wall, row.cpu, row.rss_mb = figures["wall"], figures["cpu"], figures["rss_mb"]
            row.ok = figures["verdicts"].get("total", 0)
            row.extra = {"dead": dead, "timeout": timeout, "verdicts": figures["verdicts"]}
        else:
            row.note = "verify bench failed (see the case's verify.log)"
        rows.append(row)
        print(f"verify n={n} dead={dead}: wall {fmt(row.wall, '.2f')} s", flush=True)


# -- output ---------------------------------------------------------------------------
def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def measures(r: Row) -> list[str]:
    return [fmt(r.wall, ".2f"), fmt(r.cpu, ".2f"), fmt(r.rss_mb, ".0f")]


def section(title: str, columns: Sequence[str], cells: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table under a heading; a column named ``x:`` is right-aligned."""
    if not cells:
        return []
    names = [c.removesuffix(":") for c in columns]
    aligns = ["---:" if c.endswith(":") else "---" for c in columns]
    out = ["", f"### {title}", "", f"| {' | '.join(names)} |", f"|{'|'.join(aligns)}|"]
    return out + [f"| {' | '.join(row)} |" for row in cells]


def table(rows: list[Row]) -> str:
    issue = [r for r in rows if not r.mode.startswith(("plan", "validate", "verify"))]
    ours = {r.n: r for r in issue if r.tool == "renewer"}
    cells = []
    for r in issue:
        mine = ours.get(r.n)
        ratio = speed = None
        if r.tool != "renewer" and r.wall and mine and mine.wall:
            ratio, speed = mine.wall / r.wall, r.wall / mine.wall
        per_order = r.cpu * 1000 / r.n if r.cpu is not None else None
        wall, cpu, rss = measures(r)
        cells.append(
            [r.tool, r.mode, str(r.n), wall, cpu, fmt(per_order, ".0f"), rss,
             str(r.ok) if r.wall is not None else "—", fmt(ratio, ".3f"),
             "—" if speed is None else f"{speed:.1f}x", r.note]
        )  # fmt: skip
    lines = section(
        "Batch issuance (fresh Pebble + BIND per case)",
        ["tool", "mode", "certs:", "wall s:", "CPU s:", "CPU ms/order:", "peak RSS MB:",
         "issued:", "renewer/peer wall:", "peer/renewer:", "note"],
        cells,
    )[1:]  # fmt: skip
    noops = [r for r in rows if r.mode.startswith("plan")]
    lines += section(
        "No-op at scale (`renewer plan`, Key Vault stand-in, nothing due)",
        ["managed certs:", "renewal windows", "wall s:", "CPU s:", "peak RSS MB:",
         "vault requests (by route)", "list pages needed:", "401 challenges:",
         "ARI lookups (distinct ids, max in flight)", "skip:", "note"],
        [[str(r.n), r.mode.split("none due, ")[-1], *measures(r),
          ", ".join(f"{k}: {v}" for k, v in sorted(r.extra.get("vault_requests", {}).items())),
          str(r.extra.get("expected_list_pages")), str(r.extra.get("vault_401_challenges")),
          f"{r.extra.get('ari_calls')} ({r.extra.get('ari_distinct')}, "
          f"{r.extra.get('ari_max_in_flight')})", str(r.ok), r.note] for r in noops],
    )  # fmt: skip
    lines += section(
        "`renewer validate` at scale (Key Vault store, Azure DNS, two names each)",
        ["certificates:", "wall s:", "CPU s:", "peak RSS MB:", "note"],
        [[str(r.n), *measures(r), r.note] for r in rows if r.mode == "validate"],
    )
    lines += section(
        "`renewer verify` at scale (one real nginx, SNI; 20 serve the previous version)",
        ["endpoints:", "blackholed (handshake timeout)", "wall s:", "CPU s:", "peak RSS MB:",
         "verdicts", "note"],
        [[str(r.n), f"{r.extra.get('dead', '—')} ({r.extra.get('timeout', '—')} s)",
          *measures(r),
          ", ".join(f"{k}: {v}" for k, v in sorted(r.extra.get("verdicts", {}).items())),
          r.note] for r in rows if r.mode == "verify"],
    )  # fmt: skip
    return "\n".join(lines) + "\n"


def compile_renewer() -> None:
    """Bytecode for renewer's modules, as ``pip install`` writes it for every user.

    base_env() sets PYTHONDONTWRITEBYTECODE (so does this machine's environment), and
    a source checkout then recompiles every renewer module it imports in every
    process: ~0.1 s of each one-certificate run that no installed renewer pays. The
    peers are measured installed (certbot's venv has its bytecode, lego is built).
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "renewer")], check=True)


def main() -> int:
    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    compile_renewer()
    rows: list[Row] = []
    only = os.environ.get("BENCH_ONLY", "issuance,noop,validate,verify").split(",")
    if "table" in only:  # re-render results.md / plot.png from the last results.json
        rows = [Row(**r) for r in json.loads((WORK / "results.json").read_text())]
    if "issuance" in only:
        issuance(rows)
    if "noop" in only:
        noop(rows)
    if "validate" in only:
        validate(rows)
    if "verify" in only:
        verify(rows)
    text = table(rows)
    print("\n" + text)
    print(f"total {time.monotonic() - started:.0f} s")
    (WORK / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=2))
    (BENCH / "results.md").write_text(
        f"<!-- generated by `python bench/run.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"total {time.monotonic() - started:.0f} s -->\n\n" + text
    )
    py = VENV / "bin" / "python"
    plot = subprocess.run(
        [str(py if py.exists() else sys.executable), str(BENCH / "plot.py"), str(WORK / "results.json"),  # noqa: E501
         str(BENCH / "plot.png")],
        check=False,
    )  # fmt: skip
    return 0 if plot.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
