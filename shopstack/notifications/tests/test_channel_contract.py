"""The contract every notification channel passes: parametrised over each backend, with the
email channel both on Django's locmem mailer and on a real SMTP server."""

from __future__ import annotations

import pytest
from django.core import mail

from shopstack.notifications.backends import load_channel
from shopstack.notifications.backends.base import Channel, DeliveryResult, OutgoingMessage
from shopstack.notifications.backends.email import EmailChannel
from shopstack.notifications.backends.memory import MemoryChannel
from shopstack.testing.smtp import body_of, free_port

BACKENDS = "shopstack.notifications.backends"
MESSAGE = OutgoingMessage(
    recipient="ann@example.com",
    subject="Order SS-1 confirmed",
    bodies={"text": "Thanks for order SS-1.", "html": "<p>Thanks for order <b>SS-1</b>.</p>"},
    reference="notification-1",
)


class Harness:
    """One channel under test and a way to read what it delivered."""

    def __init__(self, channel: Channel, delivered, break_it) -> None:
        self.channel = channel
        self.delivered = delivered
        self.break_it = break_it


@pytest.fixture(params=["email-locmem", "email-smtp", "memory"])
def harness(request, settings):
    if request.param == "email-locmem":
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        mail.outbox = []

        def break_locmem():
            settings.MAILERS = {"default": _dead_smtp()}

        return Harness(EmailChannel(), lambda: [(m.to[0], m.subject) for m in mail.outbox], break_locmem)
    if request.param == "email-smtp":
        server = request.getfixturevalue("smtp_server")

        def received():
            return [(m["To"], m["Subject"]) for m in server.messages]

        return Harness(EmailChannel(), received, lambda: server.refuse_next(10))
    MemoryChannel.outbox.clear()
    channel = MemoryChannel(body_kinds=("text", "html"))

    def break_memory():
        channel.fail_with = "provider down"

    return Harness(channel, lambda: [(m.recipient, m.subject) for m in MemoryChannel.outbox], break_memory)


def _dead_smtp() -> dict:
    # Nothing listens on a port just freed: connection refused.
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 30},
    }


def test_send_delivers_one_message_and_says_so(harness):
    result = harness.channel.send(MESSAGE)
    assert result.ok is True
    assert result.provider_id
    assert result.error == ""
    assert harness.delivered() == [("ann@example.com", "Order SS-1 confirmed")]


def test_each_send_gets_its_own_provider_id(harness):
    first, second = harness.channel.send(MESSAGE), harness.channel.send(MESSAGE)
    assert first.provider_id != second.provider_id
    assert len(harness.delivered()) == 2


def test_a_provider_failure_is_reported_retryable_not_raised(harness):
    harness.break_it()
    result = harness.channel.send(MESSAGE)
    assert isinstance(result, DeliveryResult)
    assert result.ok is False
    assert result.retryable is True
    assert result.error
    assert harness.delivered() == []


@pytest.mark.parametrize(
    "message",
    [
        OutgoingMessage(recipient="", subject="s", bodies={"text": "t"}),
        OutgoingMessage(recipient="ann@example.com", subject="s", bodies={}),
        OutgoingMessage(recipient="ann@example.com", subject="s", bodies={"sms": "only sms"}),
    ],
    ids=["no-recipient", "no-body", "no-body-of-its-kind"],
)
def test_a_message_it_cannot_send_is_refused_for_good(harness, message):
    result = harness.channel.send(message)
    assert result.ok is False
    assert result.retryable is False
    assert harness.delivered() == []


def test_email_has_both_parts_and_the_reference(smtp_server):
    assert EmailChannel().send(MESSAGE).ok
    [received] = smtp_server.messages
    assert "Thanks for order SS-1." in body_of(received, "plain")
    assert "<b>SS-1</b>" in body_of(received, "html")
    assert received["X-Shopstack-Ref"] == "notification-1"
    assert received["Message-ID"]


def test_email_to_a_refused_recipient_is_permanent(smtp_server, monkeypatch):
    import smtplib

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"ann@example.com": (550, b"No such user")})

    monkeypatch.setattr("django.core.mail.backends.smtp.EmailBackend.send_messages", refuse)
    result = EmailChannel().send(MESSAGE)
    assert (result.ok, result.retryable) == (False, False)
    assert "550" in result.error


def test_channels_are_chosen_by_settings(settings):
    settings.NOTIFICATION_CHANNELS = {
        "email": {
            "BACKEND": "shopstack.notifications.backends.email.EmailChannel",
            "OPTIONS": {"mailer": "x"},
        },
        "sms": {
            "BACKEND": "shopstack.notifications.backends.memory.MemoryChannel",
            "OPTIONS": {"body_kinds": ["sms"]},
        },
    }
    email_channel, sms = load_channel("email"), load_channel("sms")
    assert isinstance(email_channel, EmailChannel)
    assert email_channel.mailer == "x"
    assert isinstance(sms, MemoryChannel)
    assert sms.body_kinds == ("sms",)


def test_the_base_class_says_what_to_implement():
    with pytest.raises(NotImplementedError, match="send"):
        Channel().send(MESSAGE)
