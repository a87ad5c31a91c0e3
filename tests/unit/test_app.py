"""The run pipeline in renewer.app: plan -> execute -> verify -> outputs -> notify -> status.

Every run here is capped at zero new orders, so nothing reaches a CA or a DNS
server: each due certificate is deferred, which is enough to see the stages
run in order, the outputs written, and the one who opened Services close them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from renewer import app
from renewer.config.loader import Config, load_config
from renewer.core.models import Action, ActionKind, Outcome, Plan, Result
from renewer.execute.executor import Executor
from renewer.execute.services import Services
from renewer.plan.planner import UnknownCertificate
from renewer.report.model import RunReport

CONFIG = """\
acme:
  directory: https://127.0.0.1:9/dir
store: {type: directory, path: certs}
dns: {type: challtestsrv, url: "http://127.0.0.1:9"}
certificates:
  - name: one
    domains: [one.example.test]
  - name: two
    domains: [two.example.test]
"""


def config(tmp_path: Path) -> Config:
    path = tmp_path / "certificates.yaml"
    path.write_text(CONFIG)
    return load_config(path)


class Recorder(app.RunListener):
    def __init__(self) -> None:
        self.events: list[str] = []
        self.results: list[Result] = []
        self.failed_writes: list[tuple[str, str]] = []

    def planned(self, plan: Plan) -> None:
        self.events.append("planned")

    def result(self, result: Result) -> None:
        self.events.append("result")
        self.results.append(result)

    def executed(self, report: RunReport) -> None:
        self.events.append("executed")

    def write_failed(self, option: str, target: str, reason: str, text: str) -> None:
        self.events.append("write_failed")
        self.failed_writes.append((option, text))


class CountingServices(Services):
    opened: ClassVar[list[CountingServices]] = []

    def __init__(self, state_dir: Path | None = None, new_account: bool = False) -> None:
        super().__init__(state_dir=state_dir, new_account=new_account)
        self.closed = 0
        CountingServices.opened.append(self)

    def close(self) -> None:
        self.closed += 1
        super().close()


def test_a_run_plans_executes_and_writes_its_outputs(tmp_path: Path) -> None:
    listener = Recorder()
    options = app.RenewOptions(
        max_new_orders=0,
        report_path=str(tmp_path / "report.json"),
        summary_path=str(tmp_path / "summary.md"),
    )
    done = app.run_renewal(config(tmp_path), options, listener)
    assert listener.events == ["planned", "result", "result", "executed"]
    assert {r.outcome for r in done.report.results} == {Outcome.DEFERRED}
    assert not done.failed  # a first issuance deferred by the cap waits for the next run
    body = json.loads((tmp_path / "report.json").read_text())
    assert [c["result"] for c in body["certificates"]] == ["deferred", "deferred"]
    assert "deferred" in (tmp_path / "summary.md").read_text()


def test_an_output_that_cannot_be_written_after_the_work_fails_the_run(tmp_path: Path) -> None:
    target = tmp_path / "gone" / "report.json"  # checked by the CLI before; lost since
    listener = Recorder()
    options = app.RenewOptions(max_new_orders=0, report_path=str(target))
    done = app.run_renewal(config(tmp_path), options, listener)
    assert done.failed
    ((option, text),) = listener.failed_writes
    assert option == "--report"
    assert json.loads(text)["certificates"][0]["result"] == "deferred"  # the record survives


def test_the_run_closes_the_services_it_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    CountingServices.opened.clear()
    monkeypatch.setattr(app, "Services", CountingServices)
    app.run_renewal(config(tmp_path), app.RenewOptions(max_new_orders=0))
    with pytest.raises(UnknownCertificate):
        app.run_renewal(config(tmp_path), app.RenewOptions(only=("nope",)))
    assert [s.closed for s in CountingServices.opened] == [1, 1]


def test_the_executor_borrows_services_and_leaves_them_open(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    (spec, _) = cfg.certificates
    plan = Plan(datetime.now(UTC), (Action(spec.name, ActionKind.ISSUE, "new", spec),))
    with CountingServices() as services:
        (result,) = Executor(services, max_new_orders=0).execute(plan)
        assert result.outcome is Outcome.DEFERRED
        assert services.closed == 0  # still usable: verify reads its stores next
        assert services.journal(services.stores.get(spec.store)) is not None
    assert services.closed == 1


def test_unknown_names_stop_the_run_before_anything_is_read(tmp_path: Path) -> None:
    listener = Recorder()
    with pytest.raises(UnknownCertificate):
        app.run_renewal(config(tmp_path), app.RenewOptions(only=("nope",)), listener)
    assert listener.events == []


def test_preview_plans_without_acting(tmp_path: Path) -> None:
    shown = app.preview(config(tmp_path))
    assert [a.name for a in shown.report.plan.actions] == ["one", "two"]
    assert not shown.unreadable and not shown.warnings and not shown.notes
    assert not (tmp_path / "certs" / "one").exists()
