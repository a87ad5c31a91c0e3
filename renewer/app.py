"""The use cases, end to end: what a command does, without how it is shown.

A renewal runs one way: plan (read the stores and the CA's renewal windows,
then the pure planner) -> execute -> nudge the consumers -> verify the
endpoints -> outputs (JSON report, Markdown summary, the job summary) ->
notify -> exit status. Click commands (renewer.cli) parse options, call one
function here and render what it returns or tells their :class:`RunListener`;
tests call these directly. Each use case that opens a Services closes it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from renewer.config.loader import Config
from renewer.core.models import ActionKind, CertificateSpec, Outcome, Plan, Result
from renewer.execute.executor import (
    DEFAULT_CERT_DEADLINE,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_NEW_ORDERS,
    Executor,
)
from renewer.execute.remember import remember_windows
from renewer.execute.services import Services
from renewer.execute.state import State, read_state
from renewer.plan import budget, planner, shard
from renewer.publish import actions as github
from renewer.report import render as report_render
from renewer.report.model import RunReport
from renewer.stores.contract import StoreError

if TYPE_CHECKING:  # the dns-persist-01, TLS probe and notifier stacks: imported when used
    from renewer.consumers.run import NudgeResult
    from renewer.execute.persist import SetupResult
    from renewer.notify.dispatch import Delivery
    from renewer.verify.model import VerifyReport

__all__ = ["State", "read_state"]  # planning's input, re-exported for callers of make_plan

log = logging.getLogger(__name__)


def make_plan(
    specs: Collection[CertificateSpec],
    services: Services,
    only: Collection[str] = (),
    force: bool = False,
    now: datetime | None = None,
    refresh: bool = False,
    limits: budget.Limits | None = None,
) -> tuple[Plan, State]:
    """Read the state and plan; certificates whose store is unreadable are left out.

    The CA's rate limits (``limits``: the defaults unless given) defer what
    would pass them (renewer.plan.budget).
    """
    selected = planner.select(specs, only)
    state = read_state(selected, services, refresh)
    acting = [s for s in selected if s.name not in state.unreadable]
    moment = now or datetime.now(UTC)
    plan = planner.plan(
        acting,
        state.stored,
        moment,
        state.renewal_info,
        force=force,
        managed=[s.name for s in specs],
        no_windows=state.no_windows,
        refused=state.refused,
    )
    plan = budget.apply(plan, state.stored, state.renewal_info, moment, limits or budget.Limits())
    return plan, state


def make_shard_plan(
    specs: Collection[CertificateSpec],
    services: Services,
    only: Collection[str],
    force: bool,
    part: shard.Shard,
    refresh: bool = False,
    limits: budget.Limits | None = None,
) -> tuple[Plan, State]:
    """``make_plan`` for this shard's part of the ``--only`` selection.

    Unknown ``--only`` names are still an error in every shard. A shard that
    owns no certificate reads no store and returns an empty plan.
    """
    selected = planner.select(specs, only)
    names = shard.split((s.name for s in selected), part)
    if not names:
        return Plan(generated_at=datetime.now(UTC), actions=()), State({}, {})
    limits = dataclasses.replace(limits or budget.Limits(), shard=part)
    return make_plan(specs, services, names, force, refresh=refresh, limits=limits)


def unreadable_results(state: State) -> tuple[Result, ...]:
    """Failed results for certificates whose store could not be listed."""
    return tuple(
        Result(
            name=name,
            action=ActionKind.SKIP,
            reason="store unreadable",
            outcome=Outcome.FAILED,
            error=error,
        )
        for name, error in state.unreadable.items()
    )


def renew(
    plan: Plan,
    state: State,
    executor: Executor,
    dry_run: bool = False,
) -> RunReport:
    """Execute the plan; unreadable stores count as failures in the report.

    Windows asked of the CA for certificates this run leaves alone are written
    back to their stores first, so the next runs need not ask again.
    """
    if not dry_run:
        asked = {name: state.renewal_info[name] for name in state.asked}
        remember_windows(plan, asked, executor.services)
    results = executor.execute(plan, dry_run=dry_run) + unreadable_results(state)
    return RunReport(plan=plan, results=results, dry_run=dry_run)


def plan_for(
    specs: Collection[CertificateSpec],
    services: Services,
    only: Collection[str] = (),
    force: bool = False,
    part: shard.Shard | None = None,
    refresh: bool = False,
    limits: budget.Limits | None = None,
) -> tuple[Plan, State]:
    """The plan of this run (or of its shard); unknown ``only`` names raise UnknownCertificate."""
    if part is not None:
        return make_shard_plan(specs, services, only, force, part, refresh, limits)
    return make_plan(specs, services, only, force, refresh=refresh, limits=limits)


@dataclass(frozen=True)
class Preview:
    """What ``renewer plan`` shows: the plan as a report, and what it needs from people."""

    report: RunReport
    unreadable: bool  # a store could not be listed: the plan is incomplete
    warnings: tuple[str, ...]  # dns-persist-01 standing records that will not do
    notes: tuple[str, ...]  # records a person must create (acme-dns CNAMEs)
    caa: tuple[str, ...] = ()  # CAA records that would refuse a due certificate


def preview(
    cfg: Config,
    only: Collection[str] = (),
    force: bool = False,
    refresh: bool = False,
    part: shard.Shard | None = None,
    limits: budget.Limits | None = None,
) -> Preview:
    """Plan without acting, with the DNS records (dns-persist-01, CAA) the actions rely on."""
    from renewer.config.types.dns_acmedns import AcmeDnsSettings
    from renewer.dns.providers import acmedns
    from renewer.execute import caa
    from renewer.execute import persist as standing
    from renewer.report import persist as persist_report

    with Services() as services:
        plan, state = plan_for(list(cfg.certificates), services, only, force, part, refresh, limits)
        specs = [a.spec for a in plan.actions]
        records = standing.gather(specs, services)
        refusals = caa.advise(
            [a.spec for a in plan.due()],
            services.caa,
            lambda spec: services.stores.get(spec.store),
            lambda spec, store: services.account(spec.acme, store),
        )
    notes = [
        f"{spec.name}: acme-dns needs {record}"
        for spec in specs
        if isinstance(spec.dns.provider, AcmeDnsSettings)
        for record in acmedns.delegations(spec.dns.provider.fulldomain, spec.domains)
    ]
    return Preview(
        RunReport(plan=plan, results=unreadable_results(state), persist=records),
        bool(state.unreadable),
        tuple(persist_report.warnings(records)),
        tuple(notes),
        tuple(refusals),
    )


def revoke(specs: Collection[CertificateSpec], name: str, reason: int) -> str:
    """Revoke the current version of ``name`` with its CA; returns the serial."""
    (spec,) = planner.select(specs, [name])
    with Services() as services:
        store = services.stores.get(spec.store)
        current = store.current(spec.name)
        pem = store.certificate_pem(spec.name)
        if current is None or pem is None:
            raise StoreError(f"{store.describe()}: no certificate named {spec.name} to revoke")
        services.account(spec.issuer_of(current) or spec.acme, store).revoke(pem, reason)
        store.mark_revoked(spec.name)
    return current.serial


def persist(
    specs: Collection[CertificateSpec], only: Collection[str], dry_run: bool, prune: bool
) -> SetupResult | None:
    """Write dns-persist-01 standing records; None when no chosen certificate uses them.

    Without ``only``: every certificate with challenge dns-persist-01 or auto.
    """
    from renewer.execute import persist as standing

    chosen = planner.select(specs, only)
    if not only:
        chosen = tuple(s for s in chosen if standing.uses_persist(s))
    if not chosen:
        return None
    with Services() as services:
        return standing.setup(chosen, services, dry_run=dry_run, prune=prune)


class RunListener:
    """What a renewal tells its caller as it goes; the CLI renders it, tests record it.

    Every hook does nothing here, so a caller overrides only what it shows.
    """

    def planned(self, plan: Plan) -> None:
        """The plan is made; execution starts next (the CLI installs its Ctrl-C handler)."""

    def result(self, result: Result) -> None:
        """One certificate is done (or failed, or was left alone)."""

    def executed(self, report: RunReport) -> None:
        """Every action of the plan has its result."""

    def nudged(self, nudged: Sequence[NudgeResult]) -> None:
        """The consumers of the renewed certificates were asked to pick them up."""

    def verified(self, report: VerifyReport) -> None:
        """The endpoints of the handled certificates were probed."""

    def write_failed(self, option: str, target: str, reason: str, text: str) -> None:
        """An output could not be written after the work: its text comes along."""

    def delivered(self, deliveries: Sequence[Delivery]) -> None:
        """The notify: targets were sent their message."""


@dataclass(frozen=True)
class RenewOptions:
    """``renewer renew``'s choices; the defaults are the CLI's."""

    only: Collection[str] = ()
    force: bool = False
    refresh: bool = False
    dry_run: bool = False
    part: shard.Shard | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    max_new_orders: int = DEFAULT_MAX_NEW_ORDERS  # per CA account, shared by the shards
    per_domain_limit: int = budget.DEFAULT_PER_DOMAIN
    cert_deadline: float = DEFAULT_CERT_DEADLINE
    new_account: bool = False  # register anew even where the store has a lost account's
    verify: bool = True
    nudge: bool = True  # False: consumers are listed as not nudged ("off")
    notify: bool | None = None  # None: notify unless this run is a shard
    report_path: str | None = None
    summary_path: str | None = None
    state_dir: Path | None = None


@dataclass(frozen=True)
class RenewRun:
    """A finished renewal: its report, what verify found, and whether it failed (exit 1)."""

    report: RunReport
    verified: VerifyReport | None
    body: Mapping[str, Any]
    deliveries: tuple[Delivery, ...]
    failed: bool


def run_renewal(
    cfg: Config,
    options: RenewOptions,
    listener: RunListener | None = None,
    cancel: threading.Event | None = None,
) -> RenewRun:
    """The whole run: plan, execute, verify, outputs, notify; ``failed`` is the exit status.

    Failed when a certificate failed, the run was cancelled, an endpoint serves a
    stale certificate past grace, or an output was not written; a failed notification
    is a warning. Notifications follow the outputs, never from a shard (``report
    publish`` sends the merged report's) nor from a dry run.
    """
    tell = listener or RunListener()
    cancel = cancel or threading.Event()
    limits = budget.Limits(options.max_new_orders, options.per_domain_limit, options.part)
    with Services(state_dir=options.state_dir, new_account=options.new_account) as services:
        plan, state = plan_for(
            list(cfg.certificates),
            services,
            options.only,
            options.force,
            options.part,
            options.refresh,
            limits,
        )
        tell.planned(plan)
        executor = Executor(
            services,
            options.concurrency,
            cancel,
            on_result=tell.result,
            max_new_orders=budget.share(options.max_new_orders, options.part),  # this shard's
            cert_deadline=options.cert_deadline,
        )
        the_report = renew(plan, state, executor, dry_run=options.dry_run)
        for result in unreadable_results(state):
            tell.result(result)
        tell.executed(the_report)
        nudged: tuple[NudgeResult, ...] = ()
        if not options.dry_run and not cancel.is_set():  # consumers: after the work
            from renewer.execute.nudge import nudge

            nudged = nudge(plan, the_report.results, services, options.cert_deadline, options.nudge)
            if nudged:
                tell.nudged(nudged)
        probed = [a.spec for a in plan.actions if a.spec.endpoints]
        checked = None
        if probed and options.verify and not options.dry_run and not cancel.is_set():
            from renewer.verify.run import verify

            checked = verify(probed, services.stores)
            tell.verified(checked)
    body: dict[str, Any] = dict(report_render.as_body(the_report))
    markdown = report_render.render_markdown(the_report)
    if nudged:
        from renewer.consumers import render as nudge_render

        body["nudges"] = nudge_render.as_body(nudged)
        markdown += "\n" + nudge_render.markdown_from_body(body["nudges"])
    if checked is not None and checked.findings:
        from renewer.verify import render as verify_render

        body["verify"] = verify_render.as_body(checked)
        markdown += "\n" + verify_render.markdown_from_body(body["verify"], heading="####")
    written = _write_outputs(body, markdown, options, tell)
    deliveries: list[Delivery] = []
    wanted = options.part is None if options.notify is None else options.notify
    if wanted and not options.dry_run and cfg.notify:
        from renewer.notify.dispatch import announce

        deliveries = announce(cfg.notify, body, summary_path=options.summary_path)
        tell.delivered(deliveries)
    stale = bool(checked and checked.stale)
    failed = bool(report_render.failing(the_report)) or cancel.is_set() or stale or not written
    return RenewRun(the_report, checked, body, tuple(deliveries), failed)


def _write_outputs(
    body: Mapping[str, Any], markdown: str, options: RenewOptions, tell: RunListener
) -> bool:
    """Write the report, the summary and the job summary; False if one failed (checked
    before the work, so a failure now is told to the listener with its text)."""
    ok = True
    outputs = [
        ("--report", options.report_path, json.dumps(body, indent=2) + "\n"),
        ("--summary", options.summary_path, markdown),
    ]
    for option, path, text in outputs:
        if path is None:
            continue
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            tell.write_failed(option, path, exc.strerror or exc.__class__.__name__, text)
            ok = False
    try:
        github.append_step_summary(markdown)
    except OSError as exc:
        target = os.environ.get("GITHUB_STEP_SUMMARY") or ""
        reason = exc.strerror or exc.__class__.__name__
        tell.write_failed("$GITHUB_STEP_SUMMARY", target, reason, markdown)
        ok = False
    return ok
