"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port, with Django's
MAILERS["default"] pointed at it through the SMTP backend (the same settings an
`EMAIL_URL=smtp://...` deployment gets from `mailer_from_url`).

    def test_x(smtp_server):
        ...send...
        [message] = smtp_server.messages        # email.message.EmailMessage objects
        smtp_server.refuse_next(2)              # the next two messages get "451 try later"
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from config.settings.env import mailer_from_url


@dataclass
class _Recorder:
    """The aiosmtpd handler: keeps what it accepts, refuses on demand."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refusals_left: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals_left > 0:
                self.refusals_left -= 1
                self.refused += 1
                return "451 4.3.0 Mailbox temporarily unavailable, try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK: queued"


class SmtpServer:
    """A running aiosmtpd server and what it received."""

    def __init__(self, recorder: _Recorder, controller: Controller, port: int) -> None:
        self._recorder = recorder
        self.controller = controller
        self.host = "127.0.0.1"
        self.port = port

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._recorder.lock:
            return list(self._recorder.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        with self._recorder.lock:
            return list(self._recorder.envelopes)

    @property
    def refused(self) -> int:
        return self._recorder.refused

    def refuse_next(self, count: int) -> None:
        """Answer the next `count` messages with a temporary failure (451)."""
        with self._recorder.lock:
            self._recorder.refusals_left = count

    def clear(self) -> None:
        with self._recorder.lock:
            self._recorder.messages.clear()
            self._recorder.envelopes.clear()

    def wait_for(self, count: int, timeout: float = 120.0) -> list[EmailMessage]:
        """The messages once at least `count` have arrived (for sends from other threads)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def body_of(message: EmailMessage, subtype: str) -> str:
    """The text/<subtype> part of a received message ("" if it has none)."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    return part.get_content()


def start_smtp_server() -> SmtpServer:
    recorder = _Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpServer(recorder, controller, port)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server for this test, with the default mailer sending to it."""
    server = start_smtp_server()
    mailer = mailer_from_url(server.url)
    mailer["OPTIONS"]["timeout"] = 30  # a local server: only a busy machine is ever slow
    settings.MAILERS = {"default": mailer}
    try:
        yield server
    finally:
        server.controller.stop()
