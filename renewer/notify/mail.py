"""E-mail: one multipart/alternative message per run (plain text and HTML) over SMTP.

The connection is upgraded with STARTTLS (certificate and host name
checked, against ``ca_bundle`` when given) before AUTH, so credentials never
cross the network in clear; the loader refuses credentials without
STARTTLS. A 4xx reply or a dropped connection is tried again within the
same budget as the webhooks; a 5xx reply (bad recipient, auth refused) is not.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid

from renewer.config.types.notifiers import NotifySettings
from renewer.config.types.notify_email import EmailSettings, SmtpSettings
from renewer.core import retry
from renewer.core.errors import RenewerError
from renewer.core.escape import Target, inert, one_line
from renewer.core.redact import redact
from renewer.core.retry import Deadline
from renewer.notify import http
from renewer.notify.contract import DeliveryError, Rendered
from renewer.notify.event import Event


def plain_text(event: Event) -> str:
    lines = [event.title, "", event.headline]
    if event.dry_run:
        lines.append("Dry run: nothing was changed.")
    if event.certificates:
        lines.append("")
        lines += [
            f"- {one_line(cert.name)}: {one_line(cert.detail)}" for cert in event.certificates
        ]
    for title, url in (("Run", event.links.run_url), ("Tracking issue", event.links.tracking_url)):
        if url:
            lines += ["", f"{title}: {url}"] if title == "Run" else [f"{title}: {url}"]
    return "\n".join(lines) + "\n"


def html_text(event: Event) -> str:
    def e(text: str) -> str:
        return inert(text, Target.HTML)

    rows = "".join(
        f"<tr><td><code>{e(c.name)}</code></td><td>{e(c.detail)}</td><td>{e(c.expires)}</td></tr>"
        for c in event.certificates
    )
    table = (
        "<table border='1' cellpadding='4' cellspacing='0'>"
        f"<tr><th>Certificate</th><th>What happened</th><th>Expires</th></tr>{rows}</table>"
        if rows
        else ""
    )
    links = " · ".join(
        f"<a href='{e(url)}'>{e(title)}</a>"
        for title, url in (
            ("Open the run", event.links.run_url),
            ("Tracking issue", event.links.tracking_url),
        )
        if url
    )
    dry = "<p><em>Dry run: nothing was changed.</em></p>" if event.dry_run else ""
    return (
        f"<html><body><h2>{e(event.title)}</h2><p>{e(event.headline)}</p>{dry}{table}"
        f"{f'<p>{links}</p>' if links else ''}</body></html>\n"
    )


def message(event: Event, sender: str, to: tuple[str, ...]) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = event.title
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
    mail.set_content(plain_text(event))
    mail.add_alternative(html_text(event), subtype="html")
    return mail


def _deliver(
    smtp: SmtpSettings, data: bytes, sender: str, to: tuple[str, ...], timeout: float
) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
        client.ehlo()
        if smtp.starttls:
            context = ssl.create_default_context(
                cafile=str(smtp.ca_bundle) if smtp.ca_bundle else None
            )
            client.starttls(context=context)
            client.ehlo()
        if smtp.username is not None and smtp.password is not None:
            client.login(smtp.username.resolve(), smtp.password.resolve())
        client.sendmail(sender, list(to), data)


def _describe(exc: Exception) -> tuple[str, bool]:
    """(words, transient): SMTP replies by code; never the credentials."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipients refused", False
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        words = f"SMTP {exc.smtp_code} {redact(' '.join(reply.split())[:120])}"
        return words, 400 <= exc.smtp_code < 500
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return f"STARTTLS failed ({exc.__class__.__name__})", False
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "the server does not offer STARTTLS or AUTH", False
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time", True
    return f"cannot connect ({exc.__class__.__name__})", True


@dataclass(frozen=True)
class EmailNotifier:
    settings: NotifySettings[EmailSettings]
    policy: http.RetryPolicy

    @property
    def label(self) -> str:
        return self.settings.label

    def render(self, event: Event) -> Rendered:
        mail = message(event, self.settings.target.sender, self.settings.target.to)
        return Rendered("message/rfc822", mail.as_bytes(policy=SMTP_POLICY))  # CRLF lines

    def send(self, message: Rendered) -> str:
        email = self.settings.target
        smtp, sender, recipients = email.smtp, email.sender, email.to
        deadline = Deadline.after(self.policy.budget)
        tries = 0

        def attempt() -> str:
            nonlocal tries
            tries += 1
            try:
                timeout = max(0.001, min(self.settings.timeout, deadline.remaining()))
                _deliver(smtp, message.body, sender, recipients, timeout)
            except RenewerError as exc:  # an env: reference gone since validation
                raise DeliveryError(str(exc)) from None
            except (smtplib.SMTPException, OSError) as exc:
                problem, transient = _describe(exc)
                if not transient:
                    raise DeliveryError(problem) from None
                raise http.TryAgain(problem) from None
            return f"sent to {len(recipients)} recipient(s) after {tries} attempt(s)"

        try:
            return retry.attempt_until(
                attempt, policy=http.attempts_policy(self.policy), deadline=deadline
            )
        except http.TryAgain as last:
            raise DeliveryError(f"{last}; gave up") from None
