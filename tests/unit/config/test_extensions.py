"""A DNS provider, a store and a notifier added the documented way: two files each, and a test.

docs/architecture.md ("Extension points") says a type is its settings module and its
implementation module, found through the ``renewer.types`` entry point group when it lives
outside renewer. This test writes a toy one of each kind into a temporary package (with the
dist-info an installer would write, put on ``sys.path`` of a child process: nothing is
installed into the shared environment) and shows that renewer, unchanged, checks their keys at
``validate``, plans from the toy store, builds the toy provider by its dotted path, and sends
through the toy notifier.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

EXTENSIONS: dict[str, dict[str, str]] = {
    "dns": {
        "dns_toy.py": """
from renewer.config.convert import path
from renewer.config.types.base import SettingsType, setting, settings
from renewer.core.settings import ProviderSettings


@settings
class ToyDnsSettings(ProviderSettings):
    folder: object = setting(convert=path, description="Where the toy keeps TXT values.")
    ttl: int = setting(default=60, accepts=("int",), description="A toy TTL.")


TYPE = SettingsType("dns", "toy", "a toy provider", ToyDnsSettings, "toyext.toy_dns:ToyProvider")
""",
        "toy_dns.py": """
from renewer.dns.contract import DnsProvider


class ToyProvider(DnsProvider):
    def __init__(self, settings):
        self.folder = settings.folder
        self.folder.mkdir(parents=True, exist_ok=True)

    def describe(self):
        return f"toy {self.folder}"

    def present(self, fqdn, value):
        (self.folder / fqdn).write_text(value)

    def cleanup(self, fqdn, value):
        (self.folder / fqdn).unlink()
""",
    },
    "store": {
        "store_toy.py": """
from renewer.config.convert import plain, text
from renewer.config.types.base import SettingsType, setting, settings
from renewer.core.settings import BackendSettings


@settings
class ToyStoreSettings(BackendSettings):
    serial: str = setting(convert=plain(text), description="The serial the toy reports.")


TYPE = SettingsType("store", "toy", "a toy store", ToyStoreSettings, "toyext.toy_store:ToyStore")
""",
        "toy_store.py": """
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from renewer.core.models import StoredCertificate
from renewer.stores.contract import CertificateStore


class ToyStore(CertificateStore):
    def __init__(self, settings):
        self.serial = settings.serial

    def describe(self):
        return "toy store"

    def iter_current(self):
        now = datetime.now(UTC)
        yield StoredCertificate(
            "toy-cert", now - timedelta(days=1), now + timedelta(days=80), self.serial,
            domains=("toy.example.test",), key="ec-p256",
        )

    def current(self, name):
        return next((c for c in self.iter_current() if c.name == name), None)

    def issue(self, spec, finalize):
        raise NotImplementedError

    def certificate_pem(self, name):
        return None

    def mark_revoked(self, name):
        raise NotImplementedError

    def load_account(self, directory):
        return None

    def save_account(self, record):
        raise NotImplementedError

    def lock(self, name):
        return nullcontext()
""",
    },
    "notify": {
        "notify_toy.py": """
from renewer.config.convert import path
from renewer.config.types.base import SettingsType, setting, settings


@settings
class ToyNotifySettings:
    file: object = setting(convert=path, description="Where the toy writes each message.")


TYPE = SettingsType(
    "notify", "toy", "a toy notifier", ToyNotifySettings, "toyext.toy_notify:ToyNotifier"
)
""",
        "toy_notify.py": """
import json
from dataclasses import dataclass

from renewer.notify.contract import Rendered


@dataclass(frozen=True)
class ToyNotifier:
    settings: object
    policy: object

    @property
    def label(self):
        return self.settings.label

    def render(self, event):
        body = {"test": event.test, "names": [c.name for c in event.certificates]}
        return Rendered("application/json", json.dumps(body).encode())

    def send(self, message):
        self.settings.target.file.write_bytes(message.body)
        return "written"
""",
    },
}
ENTRY_POINTS = """\
[renewer.types]
toy-dns = toyext.dns_toy:TYPE
toy-store = toyext.store_toy:TYPE
toy-notify = toyext.notify_toy:TYPE
"""
CONFIG = """\
acme: {directory: "https://127.0.0.1:9/dir"}
store: {type: toy, serial: "0ddba11"}
dns: {type: toy, folder: txt}
notify:
  - {type: toy, file: sent.json, on: [all]}
certificates:
  - {name: toy-cert, domains: [toy.example.test]}
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The toy package as an installer would lay it out: its modules and its dist-info."""
    root = tmp_path / "site"
    package = root / "toyext"  # a namespace package: no __init__.py to count
    package.mkdir(parents=True)
    for files in EXTENSIONS.values():
        for name, text in files.items():
            (package / name).write_text(text.lstrip())
    info = root / "toyext-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toyext\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


def run(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(site), str(REPO)))}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_each_extension_is_a_settings_module_and_an_implementation(site: Path) -> None:
    """Two files per kind in the package (this test is the third), and none in renewer/."""
    for kind, files in EXTENSIONS.items():
        settings, implementation = sorted(files, key=lambda n: not n.startswith(kind))
        assert settings.startswith(f"{kind}_") and "SettingsType(" in files[settings]
        assert f"toyext.{implementation.removesuffix('.py')}:" in files[settings]
    modules = sorted(p.name for p in (site / "toyext").iterdir())
    assert len(modules) == 2 * len(EXTENSIONS) == 6, modules
    mentioned = [p for p in (REPO / "renewer").rglob("*.py") if "toyext" in p.read_text()]
    assert mentioned == []  # no registry line, no case, no table to edit in renewer


def test_validate_plan_and_notify_see_the_toy_types(site: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "certificates.yaml").write_text(CONFIG)
    valid = run(site, "-m", "renewer", "validate", "-c", "certificates.yaml", cwd=work)
    assert valid.returncode == 0, valid.stderr

    schema = json.loads(run(site, "-m", "renewer", "schema", cwd=work).stdout)
    assert "toy" in schema["$defs"]["dns"]["properties"]["type"]["enum"]
    assert "folder" in schema["$defs"]["dns.toy"]["properties"]

    (work / "bad.yaml").write_text(
        CONFIG.replace("folder: txt", "folder: txt, tll: 5").replace(
            'serial: "0ddba11"', "serial: 7"
        )
    )
    bad = run(site, "-m", "renewer", "validate", "-c", "bad.yaml", cwd=work)
    assert bad.returncode == 2
    assert "bad.yaml:2:" in bad.stderr and "store.serial: expected a string" in bad.stderr
    assert "bad.yaml:3:" in bad.stderr and "unknown key 'tll'; did you mean 'ttl'?" in bad.stderr

    plan = run(
        site, "-m", "renewer", "plan", "-c", "certificates.yaml", "--format", "json", cwd=work
    )
    assert plan.returncode == 0, plan.stderr
    assert "0ddba11" in plan.stdout  # the serial only the toy store knows

    probe = (
        "from renewer.config.loader import load_config\n"
        "from renewer.dns.registry import make_provider\n"
        "(spec,) = load_config('certificates.yaml').certificates\n"
        "provider = make_provider(spec.dns)\n"
        "provider.present('_acme-challenge.toy.example.test.', 'v1')\n"
        "print(provider.describe(), type(spec.dns.provider).__name__, spec.dns.provider.ttl)\n"
    )
    built = run(site, "-c", probe, cwd=work)
    assert built.returncode == 0, built.stderr
    assert built.stdout.split()[0] == "toy" and built.stdout.split()[-2:] == [
        "ToyDnsSettings",
        "60",
    ]
    assert (work / "txt" / "_acme-challenge.toy.example.test.").read_text() == "v1"

    sent = run(site, "-m", "renewer", "notify", "--test", "-c", "certificates.yaml", cwd=work)
    assert sent.returncode == 0, sent.stderr
    assert json.loads((work / "sent.json").read_text())["test"] is True
