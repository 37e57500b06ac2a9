"""Outgoing e-mail (password-reset links) through the SMTP server the environment names.

Configuration, all optional; without a host, a sender and the public address of the app, the
app sends no mail and says so (SNI then resets passwords with ``python -m storage
restablecer-clave``):

* ``BRUJULA_SMTP_HOST``, ``BRUJULA_SMTP_PORT`` (587 with STARTTLS, 465 with SSL, else 25)
* ``BRUJULA_SMTP_USUARIO``, ``BRUJULA_SMTP_CLAVE``: login, when the server asks for one
* ``BRUJULA_SMTP_REMITENTE``: the From address, e.g. ``Brújula Circular <no-responder@sni.org.pe>``
* ``BRUJULA_SMTP_TLS``: ``starttls`` (default), ``ssl`` or ``no`` (a local relay)
* ``BRUJULA_URL_PUBLICA``: the address users open, e.g. ``https://brujula.sni.org.pe``, for links
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlencode, urlsplit

TLS_MODES = ("starttls", "ssl", "no")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "no": 25}
TIMEOUT_SECONDS = 20


class MailError(Exception):
    """The message could not be handed to the SMTP server (logged, never shown as is)."""


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    user: str
    password: str
    sender: str
    tls: str
    public_url: str

    def link(self, path: str, **params: str) -> str:
        """An absolute link into the app, e.g. ``link("restablecer", codigo=token)``."""
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.public_url.rstrip('/')}/{path.lstrip('/')}{query}"


def config(environ: Mapping[str, str] | None = None) -> MailConfig | None:
    """The SMTP settings from the environment, or None when mail is not set up (or set up
    wrongly: a bad port, TLS mode or public address counts as not set up)."""
    env = os.environ if environ is None else environ

    def value(name: str) -> str:
        return (env.get(f"BRUJULA_{name}") or "").strip()

    host, sender, public_url = value("SMTP_HOST"), value("SMTP_REMITENTE"), value("URL_PUBLICA")
    tls = (value("SMTP_TLS") or "starttls").lower()
    if not host or not sender or not public_url or tls not in TLS_MODES:
        return None
    if urlsplit(public_url).scheme not in ("http", "https") or not urlsplit(public_url).netloc:
        return None
    try:
        port = int(value("SMTP_PORT") or DEFAULT_PORTS[tls])
    except ValueError:
        return None
    if not 0 < port < 65536:
        return None
    return MailConfig(
        host, port, value("SMTP_USUARIO"), env.get("BRUJULA_SMTP_CLAVE") or "", sender, tls,
        public_url,
    )  # fmt: skip


def is_configured() -> bool:
    return config() is not None


def send(settings: MailConfig, to: str, subject: str, body: str) -> None:
    """Hand one plain-text message to the SMTP server; MailError when that fails."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.public_url).hostname or None)
    message.set_content(body)
    try:
        if settings.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        with client:
            if settings.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, settings.password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP {settings.host}:{settings.port}: {exc}") from exc
