"""``renewer init``: a starter certificates.yaml and the workflows that run renewer.

Why templates and not the project's own workflows: those run the action from their own
checkout (``uses: ./``); a user's repository calls the *published* action, pinned to the
commit of a release tag (``OWNER/renewer@<sha> # vX.Y.Z``), which is what zizmor and
Dependabot expect. The templates ship in the wheel (``renewer/scaffold/templates``).
Nothing is overwritten: an existing file stops the whole run before anything is written.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from renewer.config.names import check_repository
from renewer.core.errors import RenewerError

# Matched with fullmatch: "$" would let a trailing newline into the workflows' YAML.
TAG = re.compile(r"v[0-9]+\.[0-9]+\.[0-9]+")
SHA = re.compile(r"[0-9a-f]{40}")

# template name -> path in the user's repository
FILES = {
    "certificates.yaml": "certificates.yaml",
    "plan.yml": ".github/workflows/renewer-plan.yml",
    "renew.yml": ".github/workflows/renewer-renew.yml",
    "validate.yml": ".github/workflows/renewer-validate.yml",
}


class ScaffoldError(RenewerError, ValueError):
    """Bad parameters, an unresolvable tag, or a file that already exists."""


@dataclass(frozen=True)
class Pin:
    """The published action at one release: ``action@sha # tag``."""

    action: str
    tag: str
    sha: str

    def __post_init__(self) -> None:
        try:
            valid = check_repository(self.action) == self.action
        except ValueError:
            valid = False
        if not valid:
            raise ScaffoldError(f"--action {self.action!r}: expected OWNER/NAME")
        if not TAG.fullmatch(self.tag):
            raise ScaffoldError(f"--ref {self.tag!r}: expected a release tag vX.Y.Z")
        if not SHA.fullmatch(self.sha):
            raise ScaffoldError(f"--sha {self.sha!r}: expected the tag's 40-hex commit")

    @property
    def uses(self) -> str:
        return f"{self.action}@{self.sha} # {self.tag}"

    @property
    def schema_url(self) -> str:
        return (
            f"https://raw.githubusercontent.com/{self.action}/{self.sha}"
            "/renewer/schema/certificates.schema.json"
        )


def resolve_tag(remote: str, tag: str) -> str:
    """Return the commit ``tag`` points at on ``remote`` (``git ls-remote``, peeled)."""
    try:
        out = subprocess.run(
            ["git", "ls-remote", "--tags", remote, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise ScaffoldError(f"git ls-remote {remote} {tag} failed: {error}; pass --sha") from None
    refs: dict[str, str] = {}
    for line in out.splitlines():
        commit, _, ref = line.partition("\t")
        refs[ref.strip()] = commit.strip()
    found = refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")
    if not found:
        raise ScaffoldError(f"{remote} has no tag {tag}; pass --ref of a release, or --sha")
    return found


def render(pin: Pin) -> dict[str, str]:
    """Return {path in the repository: text} for every file ``init`` writes."""
    templates = resources.files("renewer.scaffold").joinpath("templates")
    return {
        target: templates.joinpath(name)
        .read_text(encoding="utf-8")
        .replace("@@ACTION@@", pin.uses)
        .replace("@@SCHEMA_URL@@", pin.schema_url)
        for name, target in FILES.items()
    }


def write(root: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` under ``root``; refuse (before writing any) if one exists."""
    existing = [path for path in files if (root / path).exists()]
    if existing:
        raise ScaffoldError(
            f"not overwriting {', '.join(existing)} in {root}: move them away or edit them"
        )
    written = []
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:  # "x": never replace
            handle.write(text)
        written.append(target)
    return written
