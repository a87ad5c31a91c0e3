"""What the setup docs and ``renewer azure setup`` grant: the least the threat model allows.

The plan identity's subject is presented by every same-repository pull request, so
nothing gives it a role that reads secret values; no identity gets an ``environment:``
federated credential (GitHub creates unprotected environments on first use, from any
branch); the release docs ask for a protected ``pypi`` environment and a tag rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from renewer.config.loader import load_config
from renewer.scaffold import azure_setup

REPO = Path(__file__).resolve().parents[3]
SETUP_DOCS = [REPO / "docs" / "azure-setup.md", REPO / "docs" / "github-actions.md"]


def _code(path: Path) -> str:
    """The shell code blocks of a Markdown file, continuation lines joined."""
    blocks = re.findall(r"```sh\n(.*?)```", path.read_text(), re.S)
    return "\n".join(blocks).replace("\\\n", " ")


def _script() -> str:
    inv = azure_setup.inventory(load_config(REPO / "certificates.yaml").certificates)
    return azure_setup.az_script(
        inv,
        "contoso/certificates",
        azure_setup.RepoIds(1, 2),
        subscription="00000000-0000-0000-0000-000000000000",
        resource_group="renewer",
        location="westeurope",
    )


def _plan_roles(text: str) -> set[str]:
    roles = set()
    for line in text.splitlines():
        if "role assignment create" in line and "PLAN_PRINCIPAL_ID" in line:
            found = re.search(r"--role (\"[^\"]+\"|'[^']+')", line)
            assert found, line
            roles.add(found.group(1).strip("'\""))
    return roles


def test_the_plan_identity_gets_key_vault_reader_only() -> None:
    assert _plan_roles(_script()) == {"Key Vault Reader"}
    assert _plan_roles("\n".join(_code(path) for path in SETUP_DOCS)) == {"Key Vault Reader"}


def test_no_environment_federated_credential_anywhere() -> None:
    texts = (_script(), *(_code(path) for path in SETUP_DOCS))
    subjects = [s for text in texts for s in re.findall(r"--subject (\S+)", text)]
    assert len(subjects) >= 6  # the script's four and the docs' two
    assert not [s for s in subjects if "environment:" in s], subjects


def test_the_docs_never_advise_a_secret_reading_role_for_plans() -> None:
    for path in SETUP_DOCS:
        for paragraph in path.read_text().split("\n\n"):
            if "plan identity" in paragraph.lower() and "Secrets User" in paragraph:
                assert "never" in paragraph.lower(), paragraph


def test_release_asks_for_a_protected_pypi_environment() -> None:
    readme = (REPO / "README.md").read_text()
    assert "Environment `pypi`" in readme and "Required reviewers" in readme
    assert "tag ruleset" in readme and "`v*.*.*`" in readme
    release = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    assert release["jobs"]["pypi"]["environment"]["name"] == "pypi"
