"""A real SMTP server (aiosmtpd) run in-process for the password-reset tests: it keeps every
message it receives so a test can read the mail and follow its link."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

PUBLIC_URL = "https://brujula.example.pe"


class Inbox:
    """An aiosmtpd handler that keeps every message (with its envelope recipients)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.received = threading.Event()
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)  # type: ignore[arg-type]
        self.received.set()
        return "250 Message accepted for delivery"

    def environment(self) -> dict[str, str]:
        """The BRUJULA_* variables that point the app at this server."""
        return {
            "BRUJULA_SMTP_HOST": "127.0.0.1",
            "BRUJULA_SMTP_PORT": str(self.port),
            "BRUJULA_SMTP_TLS": "no",
            "BRUJULA_SMTP_REMITENTE": "Brújula Circular <no-responder@sni.org.pe>",
            "BRUJULA_URL_PUBLICA": PUBLIC_URL + "/",
        }


@contextmanager
def running_inbox() -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd 1.4 cannot start on port 0
        probe.bind(("127.0.0.1", 0))
        inbox.port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def reset_token(message: EmailMessage) -> str:
    """The ``codigo`` of the one reset link in ``message`` (checked to point at the app)."""
    [link] = re.findall(r"https://\S+", message.get_content())
    parts = urlsplit(link)
    assert (f"{parts.scheme}://{parts.netloc}", parts.path) == (PUBLIC_URL, "/restablecer")
    return parse_qs(parts.query)["codigo"][0]
