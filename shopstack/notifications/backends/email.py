"""Email through Django's mailers (settings.MAILERS): a folder, the console or locmem on the
embedded tier, any SMTP server (or provider backend) beyond it."""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers, make_msgid

from shopstack.notifications.backends.base import Channel, DeliveryResult, OutgoingMessage

# Answers that will never succeed for this message as it is: retrying only repeats them.
_PERMANENT = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)


class EmailChannel(Channel):
    """Sends the "text" body as the plain part and "html" as its alternative.

    OPTIONS: `mailer`, the MAILERS alias to send with ("default"); `msgid_domain` for the
    Message-ID header (the host's name if left out)."""

    body_kinds = ("text", "html")

    def __init__(self, *, mailer: str = "default", **options: Any) -> None:
        super().__init__(**options)
        self.mailer = mailer

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        problem = self.check_message(message)
        if problem:
            return DeliveryResult.failed(problem, retryable=False)
        # One Message-ID per send attempt, returned as the provider id; the reference rides
        # along in a header so a retried message can be matched to its first attempt.
        message_id = make_msgid(domain=self.options.get("msgid_domain") or None)
        headers = {**message.headers, "Message-ID": message_id}
        if message.reference:
            headers["X-Shopstack-Ref"] = message.reference
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body("text"),
            from_email=message.sender or settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers=headers,
        )
        if message.body("html"):
            email.attach_alternative(message.body("html"), "text/html")
        try:
            connection = mailers[self.mailer]
            sent = connection.send_messages([email])
        except _PERMANENT as error:
            return DeliveryResult.failed(f"{type(error).__name__}: {error}", retryable=False)
        except (OSError, smtplib.SMTPException) as error:
            # Connection refused or dropped, timeouts, 4xx answers: the server may take it later.
            return DeliveryResult.failed(f"{type(error).__name__}: {error}")
        if not sent:
            return DeliveryResult.failed("The mailer accepted no message.")
        return DeliveryResult.sent(provider_id=message_id)
