"""Run ``renewer plan`` against the Key Vault stand-in, in its own process.

The parent (bench/run.py) owns the stand-in and hands us a bearer token it
minted (BENCH_KV_TOKEN); renewer.azure.signin.azure_credential is replaced by a
credential returning it, nothing else in renewer is touched.  ARI lookups are
counted by wrapping AcmeAccount.renewal_info (calls, distinct certificate
ids, most in flight at once).  Stats go to the JSON file named by BENCH_STATS.

Usage: python bench/kv_plan.py <renewer plan arguments...>
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import resource
import sys
import threading
import time
from typing import Any

from azure.core.credentials import AccessToken

import renewer.azure.signin
from renewer.acme import client as acme_client
from renewer.cli import main as cli_main


class StaticCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(os.environ["BENCH_KV_TOKEN"], int(os.environ["BENCH_KV_TOKEN_EXP"]))


renewer.azure.signin.azure_credential = lambda _azure: StaticCredential()  # type: ignore[assignment,return-value]

_lock = threading.Lock()
_stats = {"calls": 0, "in_flight": 0, "max_in_flight": 0, "ids": set()}
_original = acme_client.AcmeAccount.renewal_info


def _counted(self: acme_client.AcmeAccount, ari_cert_id: str, *args: Any, **kwargs: Any) -> Any:
    with _lock:
        _stats["calls"] += 1
        _stats["ids"].add(ari_cert_id)
        _stats["in_flight"] += 1
        _stats["max_in_flight"] = max(_stats["max_in_flight"], _stats["in_flight"])
    try:
        return _original(self, ari_cert_id, *args, **kwargs)
    finally:
        with _lock:
            _stats["in_flight"] -= 1


acme_client.AcmeAccount.renewal_info = _counted  # type: ignore[method-assign]
if os.environ.get("BENCH_NO_ARI"):  # diagnostic: how long the plan takes without ARI
    _original = lambda self, ari_cert_id, *args, **kwargs: None  # noqa: E731


def main() -> int:
    started = time.monotonic()
    code = 0
    profile_path = os.environ.get("BENCH_PROFILE")  # diagnostic: cProfile stats file
    profiler = cProfile.Profile() if profile_path else None
    threads: list[cProfile.Profile] = []
    if profiler:
        profiler.enable()

        def per_thread(*_args: Any) -> None:  # the ARI lookups run in pool threads
            sys.setprofile(None)
            threads.append(cProfile.Profile())
            threads[-1].enable()

        threading.setprofile(per_thread)
    try:
        cli_main.main(["plan", *sys.argv[1:]], standalone_mode=False)
    except SystemExit as exc:
        code = int(exc.code or 0)
    if profiler and profile_path:
        profiler.disable()
        for each in threads:
            each.disable()
            each.create_stats()
        stats = pstats.Stats(profiler)
        for each in threads:
            stats.add(each)
        stats.dump_stats(profile_path)
    elapsed = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.environ["BENCH_STATS"], "w") as fh:
        json.dump(
            {
                "exit": code,
                "plan_seconds": elapsed,
                "ari_calls": _stats["calls"],
                "ari_distinct": len(_stats["ids"]),
                "ari_max_in_flight": _stats["max_in_flight"],
                "maxrss_kb": usage.ru_maxrss,
            },
            fh,
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
