"""Settings -> notifiers; send one run's event to every target; never raise.

A notification is a report about a run, not part of it: whatever happens
here (a dead endpoint, a refused message, a missing env: variable) comes
back as a failed :class:`Delivery`, which the command turns into a warning,
and never changes the run's exit code. :func:`announce` is the run's notify step
(``renewer renew``, ``report publish``, ``notify``). Targets are sent to in parallel so
one slow endpoint does not add its budget to the others'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from renewer.config.notify import Target as NotifySettings
from renewer.config.types.registry import NOTIFIER_TYPES
from renewer.core import dotted, escape, timefmt
from renewer.core.redact import redact
from renewer.core.report_json import ReportBody
from renewer.notify.contract import DeliveryError, Notifier, Rendered
from renewer.notify.event import Event, Links, build_event
from renewer.notify.http import RetryPolicy
from renewer.notify.links import from_environment
from renewer.publish import actions as github


@dataclass(frozen=True)
class Delivery:
    """What became of one target's message: sent, skipped (nothing matched) or failed."""

    label: str
    state: str  # "sent" | "skipped" | "failed" | "rendered"
    detail: str
    message: Rendered | None = None

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    @property
    def warning(self) -> str:
        """The one line a failed delivery becomes, in the log and in the summaries."""
        return f"notification to {self.label} failed: {self.detail}"


def notifier(settings: NotifySettings, policy: RetryPolicy | None = None) -> Notifier:
    """The target's notifier, from the factory its type names (imported on first use)."""
    factory = dotted.load(NOTIFIER_TYPES[settings.type].factory)
    made: Notifier = factory(settings, policy or RetryPolicy.from_env())
    return made


def _one(
    settings: NotifySettings, report: Mapping[str, Any], links: Links, send: bool, test: bool
) -> Delivery:
    target = notifier(settings)
    if test:  # a sample goes to every target, whatever its on: and scope
        event: Event | None = build_event(report, ("all",), None, links, test=True)
    else:
        event = build_event(report, settings.on, settings.certificates, links)
    if event is None:
        return Delivery(target.label, "skipped", f"nothing matched on: {', '.join(settings.on)}")
    try:
        rendered = target.render(event)
        safe = Rendered(rendered.media_type, redact(rendered.text).encode(), rendered.headers)
        if not send:
            return Delivery(target.label, "rendered", "dry run: not sent", safe)
        return Delivery(target.label, "sent", target.send(safe), safe)
    except DeliveryError as exc:
        return Delivery(target.label, "failed", redact(str(exc)))
    except Exception as exc:  # a notification never fails the run
        return Delivery(target.label, "failed", f"unexpected {exc.__class__.__name__}")


def deliver(
    targets: Sequence[NotifySettings],
    report: Mapping[str, Any],
    links: Links,
    send: bool = True,
    test: bool = False,
) -> list[Delivery]:
    """Every target's delivery, in config order."""
    if not targets:
        return []
    with ThreadPoolExecutor(min(len(targets), 8), thread_name_prefix="notify") as pool:
        futures = [pool.submit(_one, t, report, links, send, test) for t in targets]
        return [future.result() for future in futures]


def announce(
    targets: Sequence[NotifySettings],
    body: Mapping[str, Any],
    tracking_url: str | None = None,
    summary_path: str | None = None,
    dry_run: bool = False,
    test: bool = False,
) -> list[Delivery]:
    """Send (dry_run: only render) the run's notifications.

    A failed notification never fails the run: it is a line in the summaries
    here, and a warning where the caller renders the deliveries.
    """
    if not targets:
        return []
    run_links = from_environment(tracking_url=tracking_url)
    done = deliver(targets, body, run_links, send=not dry_run, test=test)
    # The detail may quote the endpoint's own answer: outside text, made inert like all.
    notes = [
        f"> **warning**: {escape.inert(d.warning, escape.Target.MARKDOWN)}"
        for d in done
        if d.failed and not dry_run
    ]
    if notes:
        text = "\n" + "\n".join(notes) + "\n"
        if summary_path:
            with Path(summary_path).open("a", encoding="utf-8") as handle:
                handle.write(text)
        github.append_step_summary(text)
    return done


def sample_report(now: datetime | None = None) -> ReportBody:
    """What ``renewer notify --test`` sends: one failed, at-risk certificate, one renewed."""
    moment = now or datetime.now(UTC)

    def stamp(delta: timedelta) -> str:
        return timefmt.stamp(moment + delta)

    return {
        "schema_version": 1,
        "generated_at": stamp(timedelta(0)),
        "dry_run": False,
        "executed": True,
        "summary": {
            "total": 2,
            "issue": 0,
            "renew": 2,
            "skip": 0,
            "succeeded": 1,
            "failed": 1,
            "skipped": 0,
            "planned": 0,
        },
        "certificates": [
            {
                "name": "renewer-test-failed",
                "action": "renew",
                "reason": "test notification",
                "result": "failed",
                "domains": ["test.invalid"],
                "serial": "01",
                "not_after": stamp(timedelta(days=9)),
                "error": "this is a test notification from renewer notify --test",
                "severity": "at-risk",
                "severity_words": f"at risk: expires in 9 days ({stamp(timedelta(days=9))[:10]})",
                "renew_at": None,
                "duration_seconds": 1.0,
            },
            {
                "name": "renewer-test-renewed",
                "action": "renew",
                "reason": "test notification",
                "result": "succeeded",
                "domains": ["test.invalid"],
                "serial": "02",
                "not_after": stamp(timedelta(days=90)),
                "error": None,
                "renew_at": None,
                "duration_seconds": 1.0,
            },
        ],
        "unmanaged": [],
    }
