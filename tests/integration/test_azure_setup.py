"""`renewer azure setup` for the repository's own certificates.yaml (two subscriptions, two
vaults): every `az` command the script runs is accepted by the real Azure CLI's parser.

The generated script runs under bash with `az` on PATH being a recorder that hands each
call, exactly as bash expanded it, to the real Azure CLI (PyPI azure-cli, installed by
`make setup` into .local/azcli) with an empty config dir: the only acceptable failure is
"Please run 'az login'" (exit 1); an argument error is exit 2. The recorder then answers
like a subscription would (ids, zone names), so every branch of the script runs; a
second run answers "already there" to exercise the idempotent paths. Identical command
shapes are parsed once (the CLI takes ~3 s to start). The GitHub ids come from the GitHub
REST stand-in (GET /repos/{owner}/{repo}).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rig.github_api import TOKEN, GitHubStandIn

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration

RECORDER = r"""
import hashlib, json, os, re, subprocess, sys
args = sys.argv[1:]
words = [a for a in args if not a.startswith("-")][:4]
flags = sorted(a for a in args if a.startswith("--"))
keep = {"--output", "--assignee-principal-type", "--query"}
shape = [words[:3], flags, [args[i + 1] for i, a in enumerate(args[:-1]) if a in keep]]
key = hashlib.sha256(json.dumps(shape).encode()).hexdigest()
cache = os.path.join(os.environ["AZ_CACHE"], key)
if not os.path.exists(cache):
    proc = subprocess.run([os.environ["REAL_AZ"], *args], capture_output=True, text=True,
                          env={**os.environ, "AZURE_CONFIG_DIR": os.environ["AZ_CONFIG"],
                               "AZURE_CORE_COLLECT_TELEMETRY": "0"})
    with open(cache, "w") as f:
        json.dump({"argv": args, "rc": proc.returncode, "stderr": proc.stderr}, f)
with open(os.environ["AZ_LOG"], "a") as f:
    f.write(json.dumps(args) + "\n")
joined = " ".join(args)
existing = os.environ.get("EXISTING") == "1"
if "dns zone list" in joined:
    print("contoso.com\nfabrikam.net\nunrelated.org")
elif "--query" in args:
    query = args[args.index("--query") + 1]
    if query == "[0].id":
        print("/existing" if existing else "")
    else:
        print("/subscriptions/x/resourceGroups/y/providers/z/" + re.sub(r"\W", "", query))
"""


def _az() -> str:
    for candidate in (REPO / ".local" / "azcli" / "bin" / "az", shutil.which("az")):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    raise AssertionError("the Azure CLI is not installed: run `make setup` (.local/azcli)")


def _script(tmp_path: Path, env: dict[str, str]) -> Path:
    out = tmp_path / "setup.sh"
    # A subprocess, as a user runs it (the CLI's logging setup stays out of this process).
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "renewer",
            "azure",
            "setup",
            "-c",
            str(REPO / "certificates.yaml"),
            "--repo",
            "contoso/certificates",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def run_recorded(
    script: Path, tmp_path: Path, existing: bool, recorder_code: str = RECORDER
) -> subprocess.CompletedProcess[str]:
    """``script`` under bash with ``az`` a recorder that hands each call to the real parser."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    recorder = bin_dir / "az"
    recorder.write_text(f"#!{sys.executable}\n{recorder_code}")
    recorder.chmod(0o755)
    (tmp_path / "cache").mkdir(exist_ok=True)
    (tmp_path / "azcfg").mkdir(exist_ok=True)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "REAL_AZ": _az(),
        "AZ_CACHE": str(tmp_path / "cache"),
        "AZ_CONFIG": str(tmp_path / "azcfg"),
        "AZ_LOG": str(tmp_path / "calls.jsonl"),
        "EXISTING": "1" if existing else "0",
    }
    return subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=900, check=False
    )


def test_every_az_command_passes_the_real_parser(tmp_path: Path) -> None:
    with GitHubStandIn(repository="contoso/certificates") as github:
        script = _script(tmp_path, {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url})
    text = script.read_text()
    assert "OWNER_ID=5544123\nREPO_ID=821093847\n" in text
    for existing in (False, True):
        proc = run_recorded(script, tmp_path, existing)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "AZURE_CLIENT_ID=/subscriptions/" in proc.stdout

    parsed = [json.loads(p.read_text()) for p in (tmp_path / "cache").iterdir()]
    for call in parsed:
        assert call["rc"] == 1 and "az login" in call["stderr"], call  # never exit 2
    shapes = {" ".join(w for w in c["argv"] if not w.startswith("-"))[:40] for c in parsed}
    calls = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    commands = {" ".join(a for a in c[:4] if not a.startswith("-")) for c in calls}
    for expected in (
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
    ):
        assert any(c.startswith(expected) for c in commands), (expected, commands)
    assert len(parsed) >= 13, shapes

    joined = "\n".join(" ".join(c) for c in calls)
    # both subject forms, for both identities
    for subject in (
        "repo:contoso/certificates:ref:refs/heads/main",
        "repo:contoso@5544123/certificates@821093847:ref:refs/heads/main",
        "repo:contoso/certificates:pull_request",
        "repo:contoso@5544123/certificates@821093847:pull_request",
    ):
        assert f"--subject {subject} " in joined, subject
    # both vaults, both DNS subscriptions; no zone outside the inventory
    assert "keyvault show --name contoso-certs" in joined
    assert "keyvault show --name fabrikam-certs" in joined
    assert (
        "--subscription 11111111-1111-1111-1111-111111111111 --resource-group other-dns" in joined
    )
    assert "--name unrelated.org" not in joined
    role = next(c for c in calls if c[:3] == ["role", "definition", "create"])
    definition = json.loads(role[role.index("--role-definition") + 1])
    assert definition["Actions"] == [
        "Microsoft.Network/dnsZones/read",
        "Microsoft.Network/dnsZones/TXT/read",
        "Microsoft.Network/dnsZones/TXT/write",
        "Microsoft.Network/dnsZones/TXT/delete",
    ]
    assert len(definition["AssignableScopes"]) == 2


def test_without_a_token_the_script_stops_before_any_az_call(tmp_path: Path) -> None:
    script = _script(tmp_path, {"GITHUB_TOKEN": ""})
    assert "OWNER_ID=''" in script.read_text()
    proc = run_recorded(script, tmp_path, existing=False)
    assert proc.returncode == 2 and "set OWNER_ID and REPO_ID first" in proc.stderr
    assert not (tmp_path / "calls.jsonl").exists()
