"""Vouchers: every reason for refusal, redemption counting, release, and races on both tiers."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from shopstack.core.errors import Conflict, DomainError, ValidationFailed
from shopstack.pricing.models import Voucher, VoucherCustomerUsage, VoucherRedemption
from shopstack.pricing.services import (
    voucher_check,
    voucher_customer_key,
    voucher_redeem,
    voucher_release,
)
from shopstack.testing.pricing import make_voucher

D = Decimal
NOW = timezone.now()
# Threads need committed data, so these tests flush what they wrote. Flushing only pricing's
# tables (with CASCADE) is quicker, and unlike a whole-database flush it is not stopped by
# tables that migrations create outside the ORM (search's PostgreSQL text index).
RACE_DB = pytest.mark.django_db(transaction=True, available_apps=["shopstack.pricing"])


def refusal(**kwargs):
    kwargs.setdefault("subtotal", D("50.00"))
    kwargs.setdefault("customer_key", "user:1")
    with pytest.raises(ValidationFailed) as caught:
        voucher_check(**kwargs)
    assert list(caught.value.fields) == ["voucher"]
    assert len(caught.value.fields["voucher"]) == 1
    return caught.value.code, caught.value.fields["voucher"][0]


@pytest.mark.django_db
def test_codes_match_whatever_the_case_and_are_stored_upper_case():
    voucher = make_voucher(code="  summer10 ")
    assert voucher.code == "SUMMER10"
    assert voucher_check(code="Summer10", subtotal=D("1"), customer_key=None) == voucher


@pytest.mark.django_db
def test_each_reason_has_its_own_code_and_message():
    make_voucher(code="OFF", is_active=False)
    make_voucher(code="SOON", starts_at=NOW + timedelta(days=1))
    make_voucher(code="GONE", ends_at=NOW - timedelta(seconds=1))
    make_voucher(code="FULL", usage_limit=2, used_count=2)
    once = make_voucher(code="ONCE", per_customer_limit=1)
    VoucherCustomerUsage.objects.create(voucher=once, customer_key="user:1", count=1)
    make_voucher(code="BIG", min_spend="60.00")
    reasons = {
        "": "voucher_missing",
        "NOPE": "voucher_unknown",
        "OFF": "voucher_inactive",
        "SOON": "voucher_not_started",
        "GONE": "voucher_expired",
        "FULL": "voucher_used_up",
        "ONCE": "voucher_customer_limit",
        "BIG": "voucher_min_spend",
    }
    messages = {}
    for code, expected in reasons.items():
        got, message = refusal(code=code, now=NOW)
        assert got == expected
        messages[got] = message
    assert len(set(messages.values())) == len(reasons)  # one distinct message per reason
    assert messages["voucher_min_spend"] == "Spend at least £60.00 on items to use this voucher."
    assert messages["voucher_customer_limit"].endswith("it can be used once per customer.")
    # Another customer, or no customer yet, may still use ONCE.
    assert voucher_check(code="ONCE", subtotal=D("1"), customer_key="user:2", now=NOW) == once
    assert voucher_check(code="ONCE", subtotal=D("1"), customer_key=None, now=NOW) == once


@pytest.mark.django_db
def test_the_window_includes_its_start_and_excludes_its_end():
    voucher = make_voucher(code="WINDOW", starts_at=NOW, ends_at=NOW + timedelta(hours=1))
    assert voucher_check(code="WINDOW", subtotal=D("1"), customer_key=None, now=NOW) == voucher
    assert refusal(code="WINDOW", now=NOW + timedelta(hours=1))[0] == "voucher_expired"


@pytest.mark.django_db
def test_the_admin_form_rules_for_a_voucher():
    with pytest.raises(ValidationError) as caught:
        make_voucher(kind=Voucher.Kind.PERCENTAGE, value="150")
    assert "value" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_voucher(starts_at=NOW, ends_at=NOW)
    assert "ends_at" in caught.value.message_dict
    make_voucher(code="TWICE")
    with pytest.raises(ValidationError) as caught:
        make_voucher(code="twice")
    assert "code" in caught.value.message_dict
    assert Voucher.objects.count() == 1


def test_customer_keys():
    assert voucher_customer_key(user_id=12) == "user:12"
    assert voucher_customer_key(email=" A@B.Example ") == "email:a@b.example"
    with pytest.raises(ValidationFailed) as caught:
        voucher_customer_key()
    assert list(caught.value.fields) == ["customer"]


@pytest.mark.django_db
def test_redeem_counts_once_per_order_and_is_idempotent():
    voucher = make_voucher(code="ONE", usage_limit=1)
    first = voucher_redeem(code="one", order_ref="SO-1", customer_key="user:1", subtotal=D("20"))
    again = voucher_redeem(code="ONE", order_ref="SO-1", customer_key="user:1", subtotal=D("20"))
    assert again.pk == first.pk
    voucher.refresh_from_db()
    assert voucher.used_count == 1
    assert VoucherCustomerUsage.objects.get(voucher=voucher, customer_key="user:1").count == 1
    with pytest.raises(ValidationFailed) as caught:
        voucher_redeem(code="ONE", order_ref="SO-2", customer_key="user:2", subtotal=D("20"))
    assert caught.value.code == "voucher_used_up"
    assert VoucherRedemption.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_redeem_changes_nothing():
    voucher = make_voucher(code="MIN", min_spend="30", usage_limit=5)
    with pytest.raises(ValidationFailed) as caught:
        voucher_redeem(code="MIN", order_ref="SO-1", customer_key="user:1", subtotal=D("29.99"))
    assert caught.value.fields == {"voucher": ["Spend at least £30.00 on items to use this voucher."]}
    voucher.refresh_from_db()
    assert voucher.used_count == 0
    assert not VoucherRedemption.objects.exists()
    assert not VoucherCustomerUsage.objects.filter(count__gt=0).exists()
    with pytest.raises(ValidationFailed) as caught:
        voucher_redeem(code="MIN", order_ref="", customer_key="user:1", subtotal=D("50"))
    assert list(caught.value.fields) == ["order_ref"]
    with pytest.raises(ValidationFailed) as caught:
        voucher_redeem(code="MIN", order_ref="SO-1", customer_key=" ", subtotal=D("50"))
    assert list(caught.value.fields) == ["customer"]
    assert not VoucherRedemption.objects.exists()


@pytest.mark.django_db
def test_release_gives_the_use_back_and_is_idempotent():
    voucher = make_voucher(code="BACK", usage_limit=1, per_customer_limit=1)
    redemption = voucher_redeem(code="BACK", order_ref="SO-1", customer_key="email:A@b.c", subtotal=D("9"))
    assert redemption.customer_key == "email:a@b.c"
    assert voucher_release(order_ref="SO-1") == 1
    assert voucher_release(order_ref="SO-1") == 0
    voucher.refresh_from_db()
    redemption.refresh_from_db()
    assert voucher.used_count == 0
    assert redemption.released_at is not None
    assert VoucherCustomerUsage.objects.get(voucher=voucher).count == 0
    # The use is free again: for another order, and for the same order taken back into use.
    other = voucher_redeem(code="BACK", order_ref="SO-2", customer_key="email:a@b.c", subtotal=D("9"))
    assert other.released_at is None
    assert voucher_release(order_ref="SO-2") == 1
    revived = voucher_redeem(code="BACK", order_ref="SO-1", customer_key="email:a@b.c", subtotal=D("9"))
    assert revived.pk == redemption.pk
    assert revived.released_at is None
    voucher.refresh_from_db()
    assert voucher.used_count == 1
    assert VoucherRedemption.objects.filter(released_at__isnull=True).count() == 1


def race(count, attempt):
    """Run `attempt(i)` in `count` threads released together; returns (results, errors)."""
    start = threading.Barrier(count)
    results, errors = [], []

    def run(i):
        try:
            start.wait()
            results.append(attempt(i))
        except DomainError as error:
            errors.append(error)
        except Exception as error:  # anything else fails the test below, with its cause shown
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def assert_refused_for(errors, codes):
    for error in errors:
        assert isinstance(error, ValidationFailed | Conflict), repr(error)
        assert error.code in codes
        assert list(error.fields) == ["voucher"]


@RACE_DB
def test_twenty_racers_for_a_single_use_voucher_one_wins():
    voucher = make_voucher(code="RACE1", usage_limit=1)
    results, errors = race(
        20,
        lambda i: voucher_redeem(
            code="RACE1", order_ref=f"SO-{i}", customer_key=f"user:{i}", subtotal=D("10")
        ),
    )
    assert len(results) == 1
    assert len(errors) == 19
    assert_refused_for(errors, {"voucher_used_up"})
    voucher.refresh_from_db()
    assert voucher.used_count == 1
    assert VoucherRedemption.objects.count() == 1


@RACE_DB
def test_thirty_racers_for_five_uses_exactly_five_win():
    voucher = make_voucher(code="RACE5", usage_limit=5)
    results, errors = race(
        30,
        lambda i: voucher_redeem(
            code="RACE5", order_ref=f"SO-{i}", customer_key=f"user:{i}", subtotal=D("10")
        ),
    )
    assert len(results) == 5
    assert_refused_for(errors, {"voucher_used_up"})
    voucher.refresh_from_db()
    assert voucher.used_count == 5
    assert VoucherRedemption.objects.count() == 5


@RACE_DB
def test_one_customer_racing_two_orders_gets_one_use():
    voucher = make_voucher(code="MINE", per_customer_limit=1)
    results, errors = race(
        10,
        lambda i: voucher_redeem(code="MINE", order_ref=f"SO-{i}", customer_key="user:7", subtotal=D("10")),
    )
    assert len(results) == 1
    assert_refused_for(errors, {"voucher_customer_limit"})
    voucher.refresh_from_db()
    assert voucher.used_count == 1
    assert VoucherCustomerUsage.objects.get(voucher=voucher, customer_key="user:7").count == 1


@RACE_DB
def test_racing_repeats_for_one_order_count_once():
    voucher = make_voucher(code="SAME", usage_limit=3)
    results, errors = race(
        10, lambda i: voucher_redeem(code="SAME", order_ref="SO-1", customer_key="user:1", subtotal=D("10"))
    )
    assert errors == []
    assert {redemption.pk for redemption in results} == {VoucherRedemption.objects.get().pk}
    voucher.refresh_from_db()
    assert voucher.used_count == 1
