"""A certificates.yaml reached through a symlink plans against the file's own store.

Relative paths (store path, CA bundle, the run's state folder) are read from
the real file's folder: the symlink's folder would hold another, empty store,
and every certificate there would look new and be issued a second time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from renewer import app
from renewer.cli.common import state_dir
from renewer.config.loader import load_config
from renewer.config.types.store_directory import DirectorySettings
from renewer.core.models import ActionKind
from renewer.execute.services import Services
from renewer.stores.directory import DirectoryStore
from tests.unit.local_ca import LocalCA

CONFIG = """\
acme: {directory: "https://127.0.0.1:9/dir"}
store: {type: directory, path: certs}
dns: {type: challtestsrv, url: "http://127.0.0.1:9"}
certificates:
  - {name: www, domains: [www.example.test]}
"""


def test_a_symlinked_config_plans_against_the_same_directory_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RENEWER_STATE_DIR", raising=False)
    real = tmp_path / "repo" / "certificates.yaml"
    real.parent.mkdir()
    real.write_text(CONFIG)
    link = tmp_path / "elsewhere" / "certificates.yaml"
    link.parent.mkdir()
    link.symlink_to(real)

    (spec,) = load_config(real).certificates
    DirectoryStore(DirectorySettings(real.parent / "certs")).issue(spec, LocalCA().finalize)

    plans = {}
    for path in (real, link):
        config = load_config(path)
        assert config.certificates[0].store == spec.store
        with Services() as services:
            plan, _ = app.make_plan(config.certificates, services)
        plans[path] = [(a.name, a.kind) for a in plan.actions]
    assert plans[link] == plans[real] == [("www", ActionKind.SKIP)]  # issued: not due
    assert not (link.parent / "certs").exists()
    assert state_dir(str(link)) == state_dir(str(real)) == real.parent.resolve() / ".renewer"
