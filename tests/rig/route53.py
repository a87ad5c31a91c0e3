"""Route 53 through moto's server mode (a real AWS emulator), served by a real BIND.

Why: moto implements the Route 53 REST API that boto3 speaks (hosted zones,
ChangeResourceRecordSets, GetChange), but it serves no DNS. Pebble's VA must
resolve the TXT values for real, so a fault proxy (``HttpFaultProxy``) sits in
front of moto: after every successful ``POST .../rrset`` it reads the zone's
TXT sets back from moto and publishes them to ``bind`` by TSIG-signed RFC
2136 updates (the same path the Azure stand-in uses). The proxy also injects
Route 53's throttling answer on demand (400 ``Throttling`` / "Rate exceeded",
the shape in the Route 53 API Reference's "Common errors").
"""

from __future__ import annotations

import re
import threading
from typing import Any, Self

import boto3
import dns.query
import dns.rcode
import dns.update
import requests
from moto.server import ThreadedMotoServer

from .bind import Bind
from .httpfault import HttpFault, HttpFaultProxy
from .ports import free_port
from .procs import RigError, Service

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
THROTTLING = (
    b'<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
    b"<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
)
RRSET_PATH = re.compile(r"/2013-04-01/hostedzone/([^/]+)/rrset/?$")


def throttling(count: int = 1) -> HttpFault:
    """Route 53's rate-limit answer for the next ``count`` ChangeResourceRecordSets."""
    return HttpFault(
        count=count,
        status=400,
        method="POST",
        fragment="/rrset",
        body=THROTTLING,
        headers={"Content-Type": "text/xml"},
    )


class MotoRoute53(Service):
    """moto's ThreadedMotoServer on 127.0.0.1 plus the publishing/fault proxy in front.

    ``url`` is the proxy (give it to the provider as ``endpoint_url``);
    ``client()`` talks to moto directly, for set-up and assertions.
    """

    def __init__(self, bind: Bind | None = None, zones: tuple[str, ...] = ("example.test.",)):
        self.bind = bind
        self.zone_names = zones
        self.zone_ids: dict[str, str] = {}
        self.port = 0
        self._server: ThreadedMotoServer | None = None
        self.proxy: HttpFaultProxy | None = None
        self._published: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        if self.proxy is None:
            raise RigError("moto is not running")
        return self.proxy.url

    def client(self) -> Any:
        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing"
        ).client("route53", region_name="us-east-1", endpoint_url=self.moto_url)

    def start(self) -> Self:
        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self._reset()  # moto's backends are per process: start from an empty account
        for zone in self.zone_names:
            made = self.client().create_hosted_zone(Name=zone, CallerReference=zone)
            self.zone_ids[zone] = made["HostedZone"]["Id"].split("/")[-1]
        self.proxy = HttpFaultProxy(self.moto_url, on_forward=self._forwarded).start()
        return self

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self._server is not None:
            self._reset()
            self._server.stop()
            self._server = None

    def _reset(self) -> None:
        requests.post(f"{self.moto_url}/moto-api/reset", timeout=10).raise_for_status()

    def txt(self, name: str) -> list[str]:
        """TXT values moto holds at ``name`` (quotes stripped), sorted."""
        name = name.rstrip(".") + "."
        zone = max((z for z in self.zone_names if name.endswith(z)), key=len)
        sets = self.client().list_resource_record_sets(HostedZoneId=self.zone_ids[zone])
        return sorted(
            r["Value"].strip('"')
            for s in sets["ResourceRecordSets"]
            if s["Name"] == name and s["Type"] == "TXT"
            for r in s["ResourceRecords"]
        )

    def set_txt(self, name: str, values: list[str]) -> None:
        """A foreign writer's TXT set, straight into moto (and published)."""
        name = name.rstrip(".") + "."
        zone = max((z for z in self.zone_names if name.endswith(z)), key=len)
        rrset = {
            "Name": name,
            "Type": "TXT",
            "TTL": 60,
            "ResourceRecords": [{"Value": f'"{v}"'} for v in values],
        }
        self.client().change_resource_record_sets(
            HostedZoneId=self.zone_ids[zone],
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": rrset}]},
        )
        self._publish(self.zone_ids[zone])

    # -- publishing into BIND -----------------------------------------------------------

    def _forwarded(self, method: str, path: str, status: int) -> None:
        match = RRSET_PATH.search(path.split("?")[0])
        if method == "POST" and match and status == 200:
            self._publish(match.group(1))

    def _publish(self, zone_id: str) -> None:
        if self.bind is None:
            return
        zone = next(z for z, i in self.zone_ids.items() if i == zone_id)
        sets = self.client().list_resource_record_sets(HostedZoneId=zone_id)
        now = {
            s["Name"]: {r["Value"] for r in s["ResourceRecords"]}
            for s in sets["ResourceRecordSets"]
            if s["Type"] == "TXT"
        }
        with self._lock:
            update = dns.update.UpdateMessage(zone, keyring=self.bind.keyring())
            for name in set(self._published) | set(now):
                if name in now:
                    update.replace(name, 60, "TXT", *sorted(now[name]))
                else:
                    update.delete(name, "TXT")
            response = dns.query.tcp(update, self.bind.address, port=self.bind.port, timeout=5)
            if response.rcode() != dns.rcode.NOERROR:
                raise RigError(f"publishing to BIND: {dns.rcode.to_text(response.rcode())}")
            self._published = now
