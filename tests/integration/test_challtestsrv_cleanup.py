"""The challtestsrv provider removes only its own values (real pebble-challtestsrv).

challtestsrv can only clear every value at a name; the provider reads the
name back over DNS first and writes every value that is not its own back.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rig import Challtestsrv

from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings
from renewer.core.settings import DnsSettings, PropagationSettings
from renewer.dns.providers.challtestsrv import ChallTestSrvProvider
from renewer.dns.registry import make_provider
from tests.integration.runner import REPO
from tests.resilience.common import txt_values

pytestmark = pytest.mark.integration


def provider_for(server: Challtestsrv) -> ChallTestSrvProvider:
    propagation = PropagationSettings(nameservers=(server.dns_address,))
    # as the loader builds it: the provider reads the section's propagation servers
    settings = DnsSettings(
        "challtestsrv", ChallTestSrvSettings(server.management_url, propagation), propagation
    )
    found = make_provider(settings)
    assert isinstance(found, ChallTestSrvProvider)
    return found


def test_cleanup_keeps_values_someone_else_wrote(challtestsrv: Challtestsrv) -> None:
    name = "_acme-challenge.keep.example.test."
    challtestsrv.set_txt(name, "someone-else")
    ours = provider_for(challtestsrv)
    ours.present(name, "ours-1")
    ours.present(name, "ours-2")
    assert sorted(txt_values(challtestsrv, name)) == ["ours-1", "ours-2", "someone-else"]
    ours.cleanup(name, "ours-1")  # a sibling of ours is still live: nothing cleared
    assert "ours-2" in txt_values(challtestsrv, name)
    ours.cleanup(name, "ours-2")
    assert txt_values(challtestsrv, name) == ["someone-else"]
    challtestsrv.clear_txt(name)


def test_cleanup_keeps_a_second_process_live_value(challtestsrv: Challtestsrv) -> None:
    name = "_acme-challenge.two.example.test."
    code = (
        "import sys\n"
        "from renewer.config.types.dns_challtestsrv import ChallTestSrvSettings\n"
        "from renewer.core.settings import DnsSettings, PropagationSettings\n"
        "from renewer.dns.registry import make_provider\n"
        "servers = PropagationSettings(nameservers=(sys.argv[2],))\n"
        "p = make_provider(DnsSettings('challtestsrv',\n"
        "    ChallTestSrvSettings(sys.argv[1], servers), servers))\n"
        "p.present(sys.argv[3], 'other-process')\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, challtestsrv.management_url, challtestsrv.dns_address, name],
        check=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    ours = provider_for(challtestsrv)
    ours.present(name, "this-process")
    ours.cleanup(name, "this-process")
    assert txt_values(challtestsrv, name) == ["other-process"]
    challtestsrv.clear_txt(name)


def test_with_no_answering_nameserver_it_clears_as_before(
    challtestsrv: Challtestsrv, tmp_path: Path
) -> None:
    name = "_acme-challenge.blind.example.test."
    blind = ChallTestSrvProvider(
        ChallTestSrvSettings(
            challtestsrv.management_url, PropagationSettings(nameservers=("127.0.0.1:1",))
        )
    )
    blind.present(name, "v")
    blind.cleanup(name, "v")
    assert txt_values(challtestsrv, name) == []
