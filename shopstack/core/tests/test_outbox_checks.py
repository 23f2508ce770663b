"""Deploy checks refuse outbox and retention settings that would lose or repeat work."""

from __future__ import annotations

from shopstack.core.outbox_checks import check_retention_settings


def ids() -> list[str]:
    return [message.id for message in check_retention_settings()]


def test_the_defaults_pass():
    assert ids() == []


def test_idempotency_keys_kept_under_a_day_are_refused(settings):
    settings.IDEMPOTENCY_KEYS_KEEP_DAYS = 0
    assert ids() == ["shopstack.E050"]


def test_an_outbox_that_gives_up_before_trying_is_refused(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 0
    assert ids() == ["shopstack.E051"]


def test_negative_or_unreadable_keeping_times_are_refused(settings):
    settings.OUTBOX_KEEP_DAYS = -1
    settings.SEARCH_LOG_KEEP_DAYS = "a year"
    assert ids() == ["shopstack.E052", "shopstack.E052"]
