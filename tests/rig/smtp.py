"""A real SMTP server (aiosmtpd) on 127.0.0.1 with STARTTLS and AUTH required.

The server offers STARTTLS with a certificate from tests/rig/tls.py and
refuses MAIL before STARTTLS and AUTH (``require_starttls``,
``auth_required``, ``auth_require_tls``), as a submission server on port
587 does (RFC 6409, RFC 3207). Every accepted message is kept as bytes with
its envelope; every AUTH attempt records whether it happened over TLS.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .ports import free_port
from .procs import Service
from .tls import TlsMaterial


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        message = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class SmtpServer(Service):
    tls: TlsMaterial
    username: str
    password: str
    mails: list[Mail] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, over TLS)
    port: int = 0
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> SmtpServer:
        server = self

        class Handler:
            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
                with server._lock:
                    server.mails.append(
                        Mail(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
                    )
                return "250 OK"

        def authenticator(
            smtp: Any, session: Any, envelope: Any, mechanism: str, auth: Any
        ) -> AuthResult:
            if not isinstance(auth, LoginPassword):
                return AuthResult(success=False, handled=False)
            user, word = auth.login.decode(), auth.password.decode()
            with server._lock:
                server.logins.append((user, session.ssl is not None))
            ok = user == server.username and word == server.password
            return AuthResult(success=ok, handled=False)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.tls.cert), str(self.tls.key))
        self.port = free_port()
        self._controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=authenticator,
            ready_timeout=10,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
