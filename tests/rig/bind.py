"""A real authoritative BIND 9 with TSIG-authorised dynamic updates.

Why: the renewer's RFC 2136 DNS provider must be tested against the server
people actually run, including TSIG signing, REFUSED on unsigned updates,
multi-value TXT RRsets and CNAME delegation of ``_acme-challenge`` names.
Each instance lives entirely in its own directory (config, zones, journals,
pid file, session key), listens on 127.0.0.1:<free port> only, has
recursion off, no rndc control channel, and a fresh random TSIG secret.
``Resolver`` is a second, recursive named forwarding to a ``Bind``: the
stand-in for the CA's resolver, needed because only a recursive server
follows a CNAME into another zone.
"""

from __future__ import annotations

import base64
import secrets
import subprocess
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring

from .ports import free_port
from .procs import ProcessServer, RigError, ServerProcess, find_binary, retry_on_clash


@dataclass(frozen=True)
class Record:
    """A static record put in a zone file at creation (name absolute or zone-relative)."""

    name: str
    rtype: str
    value: str
    ttl: int = 60


@dataclass(frozen=True)
class Zone:
    """A primary zone: SOA, NS ns1.<zone>, ns1 A 127.0.0.1, plus ``records``."""

    name: str
    records: tuple[Record, ...] = field(default=())

    @property
    def origin(self) -> str:
        """The zone name with exactly one trailing dot."""
        return self.name.rstrip(".") + "."


def cname(name: str, target: str, ttl: int = 60) -> Record:
    """A CNAME record, e.g. to delegate ``_acme-challenge`` to another zone."""
    return Record(name, "CNAME", target, ttl)


# The alias lets CNAME-delegation tests write the token into delegated.test.
DEFAULT_ZONES: tuple[Zone, ...] = (
    Zone(
        "example.test.",
        (cname("_acme-challenge.alias.example.test.", "_acme-challenge.delegated.test."),),
    ),
    Zone("delegated.test."),
)


def zone_text(zone: Zone) -> str:
    """Render ``zone`` as a master file (negative-cache TTL 60 s keeps retries fast)."""
    origin = zone.origin
    lines = [
        f"$ORIGIN {origin}",
        "$TTL 60",
        f"@ IN SOA ns1.{origin} hostmaster.{origin} 1 3600 600 86400 60",
        f"@ IN NS ns1.{origin}",
        "ns1 IN A 127.0.0.1",
    ]
    lines += [f"{r.name} {r.ttl} IN {r.rtype} {r.value}" for r in zone.records]
    return "\n".join(lines) + "\n"


class _Named(ProcessServer):
    """Shared lifecycle of a ``named`` process living entirely in ``workdir``."""

    kind = "named"

    def __init__(self, workdir: Path, *, start_timeout: float = 30.0) -> None:
        self.workdir = workdir
        self.start_timeout = start_timeout
        self.address = "127.0.0.1"
        self.port = 0
        self.conf_path = workdir / "named.conf"
        self.pid_path = workdir / "named.pid"
        self.log_path = workdir / "named.log"
        self.startup_seconds = 0.0
        self._proc: ServerProcess | None = None

    @property
    def dns_address(self) -> str:
        """``127.0.0.1:<port>``: usable as Pebble's ``-dnsserver``."""
        return f"{self.address}:{self.port}"

    @property
    def pid(self) -> int:
        """PID of the running named."""
        if self._proc is None:
            raise RuntimeError(f"{self.kind} is not running")
        return self._proc.pid

    def _common_options(self) -> str:
        """Options every instance needs so that nothing touches /etc, /var or /run."""
        wd = self.workdir
        return textwrap.dedent(f"""
                directory "{wd}";
                pid-file "{self.pid_path}";
                session-keyfile "{wd}/session.key";
                managed-keys-directory "{wd}";
                dump-file "{wd}/named_dump.db";
                statistics-file "{wd}/named.stats";
                memstatistics-file "{wd}/named.memstats";
                listen-on port {self.port} {{ 127.0.0.1; }};
                listen-on-v6 {{ none; }};
                dnssec-validation no;
                notify no;
                querylog yes;
            """)

    def named_conf(self) -> str:
        """The complete named.conf for the current port."""
        raise NotImplementedError

    def _prepare(self) -> None:
        """Write files that do not depend on the port (zone files)."""

    def _ready(self) -> bool:
        """True once the server answers as configured."""
        raise NotImplementedError

    def start(self) -> Self:
        """Write config, run named-checkconf, start named, wait until it answers."""
        named = find_binary("named")
        checkconf = find_binary("named-checkconf")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._prepare()
        retry_on_clash(lambda: self._launch(named, checkconf))
        return self

    def _launch(self, named: str, checkconf: str) -> None:
        self.port = free_port()
        self.conf_path.write_text(self.named_conf())
        check = subprocess.run(
            [checkconf, "-z", str(self.conf_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check.returncode != 0:
            raise RigError(
                f"named-checkconf rejected {self.conf_path}:\n{check.stdout}{check.stderr}"
            )
        # -g: foreground, log to stderr (captured); -4: IPv4 only.  No -u: we
        # run as whoever we are and every file is ours.
        proc = ServerProcess(
            self.kind,
            [named, "-g", "-4", "-n", "2", "-c", str(self.conf_path)],
            log_path=self.log_path,
            cwd=self.workdir,
        )
        proc.start()
        self._proc = proc
        self.startup_seconds = proc.wait_ready(
            self._ready, what="DNS answers", timeout=self.start_timeout
        )

    def query(
        self, name: str, rdtype: str, *, tcp: bool = False, timeout: float = 2.0
    ) -> dns.message.Message:
        """Send one query to this server (UDP unless ``tcp``) and return the response."""
        msg = dns.message.make_query(name, rdtype)
        if tcp:
            return dns.query.tcp(msg, self.address, port=self.port, timeout=timeout)
        return dns.query.udp(msg, self.address, port=self.port, timeout=timeout)

    def txt_values(self, name: str) -> list[str]:
        """The TXT strings in the answer for ``name`` (incl. ones reached via CNAME)."""
        resp = self.query(name, "TXT")
        return sorted(
            b"".join(rd.strings).decode()
            for rrset in resp.answer
            if rrset.rdtype == dns.rdatatype.TXT
            for rd in rrset
        )


class Bind(_Named):
    """Authoritative ``named`` serving ``zones`` with TSIG-only updates, recursion off.

    Note: being non-recursive, it answers a CNAME into another zone with the
    CNAME alone (it does not chase it), and Pebble's VA does not chase CNAMEs
    either.  For CNAME-delegation issuance put a ``Resolver`` in front of it.
    """

    kind = "named (authoritative)"

    def __init__(
        self,
        workdir: Path,
        *,
        zones: Sequence[Zone] = DEFAULT_ZONES,
        key_name: str = "renewer-rig-key",
        algorithm: str = "hmac-sha256",
        start_timeout: float = 30.0,
    ) -> None:
        super().__init__(workdir, start_timeout=start_timeout)
        self.zones = tuple(zones)
        self.key_name = key_name
        self.algorithm = algorithm
        self.secret = base64.b64encode(secrets.token_bytes(32)).decode()

    @property
    def zone_names(self) -> list[str]:
        """Origins of the served zones, with trailing dots."""
        return [z.origin for z in self.zones]

    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        """A dnspython keyring holding the TSIG key (for dns.update.UpdateMessage)."""
        ring: dict[dns.name.Name, dns.tsig.Key] = dns.tsigkeyring.from_text(
            {self.key_name: (self.algorithm, self.secret)}
        )
        return ring

    def zone_file(self, zone: str) -> Path:
        """Path of the master file (its journal is this path + ``.jnl``)."""
        return self.workdir / "zones" / f"{zone.rstrip('.')}.db"

    def named_conf(self) -> str:
        """named.conf: our options, the TSIG key, one primary zone per ``zones``."""
        zones = "".join(
            textwrap.dedent(f"""
            zone "{z.origin}" {{
                type primary;
                file "{self.zone_file(z.origin)}";
                allow-update {{ key "{self.key_name}"; }};
            }};
            """)
            for z in self.zones
        )
        return (
            "options {"
            + self._common_options()
            + textwrap.dedent("""
                recursion no;
                allow-transfer { none; };
            };
            controls { };
            """)
            + textwrap.dedent(f"""
            key "{self.key_name}" {{
                algorithm {self.algorithm};
                secret "{self.secret}";
            }};
            """)
            + zones
        )

    def _prepare(self) -> None:
        (self.workdir / "zones").mkdir(parents=True, exist_ok=True)
        for zone in self.zones:
            self.zone_file(zone.origin).write_text(zone_text(zone))

    def _ready(self) -> bool:
        for zone in self.zones:
            resp = self.query(zone.origin, "SOA", tcp=True, timeout=1.0)
            if resp.rcode() != dns.rcode.NOERROR or not resp.flags & dns.flags.AA:
                return False
            soa = resp.find_rrset(
                resp.answer, dns.name.from_text(zone.origin), dns.rdataclass.IN, dns.rdatatype.SOA
            )
            if str(soa[0].mname) != f"ns1.{zone.origin}":  # not someone else's server
                return False
        return True


class Resolver(_Named):
    """Recursive ``named`` that forwards everything to ``upstream`` and caches nothing.

    Why: a real CA validates through a recursive resolver, which follows
    ``_acme-challenge`` CNAMEs into other zones; pointing Pebble at this
    instead of the authoritative Bind reproduces that.  Caching is capped at
    TTL 0, but BIND counts in whole seconds: an answer can be up to ~1 s stale.
    """

    kind = "named (resolver)"

    def __init__(self, workdir: Path, *, upstream: Bind, start_timeout: float = 30.0) -> None:
        super().__init__(workdir, start_timeout=start_timeout)
        self.upstream = upstream

    def named_conf(self) -> str:
        """named.conf: recursion for 127.0.0.1 only, forward-only to the upstream."""
        up = self.upstream
        return (
            "options {"
            + self._common_options()
            + textwrap.dedent(f"""
                recursion yes;
                allow-recursion {{ 127.0.0.1; }};
                forward only;
                forwarders {{ {up.address} port {up.port}; }};
                max-cache-ttl 0;
                max-ncache-ttl 0;
                stale-cache-enable no;
                stale-answer-enable no;
            }};
            controls {{ }};
            """)
        )

    def _ready(self) -> bool:
        zone = self.upstream.zone_names[0]
        resp = self.query(zone, "SOA", tcp=True, timeout=1.0)
        return resp.rcode() == dns.rcode.NOERROR and bool(resp.answer)
