"""The contract every payment gateway backend passes, each over real HTTP: the built-in
test gateway on the live server, and StripeGateway against the fake Stripe server."""

import time
import uuid
from decimal import Decimal

import pytest

from shopstack.payments.backends.base import GatewayError, GatewayStatus, GatewayTimeout, InvalidSignature
from shopstack.testing.payments import PAYMENT_DB, Browser, query_of

pytestmark = PAYMENT_DB


def key() -> str:
    return f"contract_{uuid.uuid4().hex}"


def authorize(gateway, outcome, *, amount="25.00", idempotency_key=None):
    return gateway.backend.authorize(
        amount=Decimal(amount),
        currency="GBP",
        token=gateway.token(outcome),
        idempotency_key=idempotency_key or key(),
        return_url=f"{gateway.shop_url}/checkout/back",
    )


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("success", GatewayStatus.AUTHORIZED),
        ("decline", GatewayStatus.DECLINED),
        ("insufficient_funds", GatewayStatus.INSUFFICIENT_FUNDS),
        ("action_required", GatewayStatus.ACTION_REQUIRED),
    ],
)
def test_each_test_card_gives_its_outcome(gateway, outcome, status):
    result = authorize(gateway, outcome)
    assert result.status == status
    assert result.reference
    assert bool(result.action_url) == (status == GatewayStatus.ACTION_REQUIRED)


def test_declines_carry_a_reason(gateway):
    assert authorize(gateway, "decline").decline_code == "card_declined"
    assert authorize(gateway, "insufficient_funds").decline_code == "insufficient_funds"


def test_hosted_form_redirects_back_with_a_token_and_never_the_number(gateway):
    url = gateway.backend.hosted_form_url(session_ref="cart 42", return_url=f"{gateway.shop_url}/back?x=1")
    status, location, _ = Browser().submit(url, {"card_number": "4242 4242 4242 4242"})
    assert status == 302
    back = query_of(location)
    assert location.startswith(f"{gateway.shop_url}/back?")
    assert back["x"] == "1"
    assert back["session"] == "cart 42"
    assert back["token"].startswith(gateway.token_prefix)
    if gateway.form_reports_last4:
        assert back["last4"] == "4242"
    assert "4242424242424242" not in location


def test_a_token_from_the_hosted_form_can_be_authorized(gateway):
    token = gateway.card_token("4242 4242 4242 4242")
    result = gateway.backend.authorize(
        amount=Decimal("12.00"), currency="GBP", token=token, idempotency_key=key(), return_url=""
    )
    assert result.status == GatewayStatus.AUTHORIZED
    declined = gateway.backend.authorize(
        amount=Decimal("12.00"),
        currency="GBP",
        token=gateway.card_token("4000 0000 0000 0002"),
        idempotency_key=key(),
        return_url="",
    )
    assert declined.status == GatewayStatus.DECLINED


def test_hosted_form_refuses_an_invalid_number_and_a_tampered_return_url(gateway):
    url = gateway.backend.hosted_form_url(session_ref="s", return_url=f"{gateway.shop_url}/back")
    status, location, body = Browser().submit(url, {"card_number": "4242424242424241"})
    assert status == 400
    assert not location
    assert "not valid" in body
    if "%2Fback" in url:  # the return address travels in the link: it must be signed
        tampered = url.replace("%2Fback", "%2Fevil")
        assert Browser().get(tampered)[0] == 400
    else:  # the gateway keeps the return address itself: nothing in the link to tamper with
        assert "back" not in url


def test_the_same_idempotency_key_gives_the_first_answer(gateway):
    same, token = key(), gateway.token("success")
    first, again = (
        gateway.backend.authorize(
            amount=Decimal("25.00"), currency="GBP", token=token, idempotency_key=same, return_url=""
        )
        for _ in range(2)
    )
    assert again.reference == first.reference
    assert again.status == GatewayStatus.AUTHORIZED
    assert gateway.backend.find(idempotency_key=same).reference == first.reference


def test_the_same_key_for_a_different_request_is_refused(gateway):
    same = key()
    authorize(gateway, "success", idempotency_key=same)
    with pytest.raises(GatewayError) as refused:
        authorize(gateway, "success", idempotency_key=same, amount="26.00")
    assert refused.value.code == "idempotency_key_reused"
    assert not refused.value.outcome_unknown


def test_a_timeout_is_reported_and_find_shows_the_charge_that_was_made(gateway):
    slow = key()
    with pytest.raises(GatewayTimeout) as timed_out:
        authorize(gateway, "timeout", idempotency_key=slow)
    assert gateway.held.count == 1  # the client gave up; it did not wait for the gateway
    assert timed_out.value.outcome_unknown
    found = gateway.backend.find(idempotency_key=slow)
    assert found is not None
    assert found.status == GatewayStatus.AUTHORIZED


def test_find_returns_none_when_nothing_was_charged(gateway):
    assert gateway.backend.find(idempotency_key=key()) is None


def test_partial_capture_then_refunds_down_to_zero(gateway):
    charge = authorize(gateway, "success", amount="30.00")
    captured = gateway.backend.capture(
        reference=charge.reference, amount=Decimal("20.00"), idempotency_key=key()
    )
    assert captured.status == GatewayStatus.CAPTURED
    assert captured.captured_amount == Decimal("20.00")
    part = gateway.backend.refund(reference=charge.reference, amount=Decimal("5.00"), idempotency_key=key())
    assert part.status == GatewayStatus.PARTIALLY_REFUNDED
    assert part.refunded_amount == Decimal("5.00")
    with pytest.raises(GatewayError) as too_much:
        gateway.backend.refund(reference=charge.reference, amount=Decimal("15.01"), idempotency_key=key())
    assert too_much.value.http_status == 400
    rest = gateway.backend.refund(reference=charge.reference, amount=Decimal("15.00"), idempotency_key=key())
    assert rest.status == GatewayStatus.REFUNDED


def test_a_repeated_refund_key_refunds_once(gateway):
    charge = authorize(gateway, "success", amount="10.00")
    gateway.backend.capture(reference=charge.reference, amount=Decimal("10.00"), idempotency_key=key())
    same = key()
    first = gateway.backend.refund(reference=charge.reference, amount=Decimal("4.00"), idempotency_key=same)
    again = gateway.backend.refund(reference=charge.reference, amount=Decimal("4.00"), idempotency_key=same)
    assert first.refund_reference
    assert first.refund_reference == again.refund_reference
    assert again.refunded_amount == Decimal("4.00")


def test_capture_cannot_exceed_the_authorization(gateway):
    charge = authorize(gateway, "success", amount="10.00")
    with pytest.raises(GatewayError) as refused:
        gateway.backend.capture(reference=charge.reference, amount=Decimal("10.01"), idempotency_key=key())
    assert refused.value.http_status == 400


def test_void_releases_an_authorization_which_then_cannot_be_captured(gateway):
    charge = authorize(gateway, "success")
    assert (
        gateway.backend.void(reference=charge.reference, idempotency_key=key()).status == GatewayStatus.VOIDED
    )
    with pytest.raises(GatewayError) as refused:
        gateway.backend.capture(reference=charge.reference, amount=Decimal("1.00"), idempotency_key=key())
    assert refused.value.http_status in {400, 409}
    assert refused.value.code == "not_capturable"
    assert not refused.value.outcome_unknown


def test_a_declined_charge_cannot_be_captured(gateway):
    charge = authorize(gateway, "decline")
    with pytest.raises(GatewayError):
        gateway.backend.capture(reference=charge.reference, amount=Decimal("1.00"), idempotency_key=key())


def test_a_wrong_api_key_is_refused(gateway):
    gateway.backend.api_key = "sk_test_wrong"
    with pytest.raises(GatewayError) as refused:
        gateway.backend.find(idempotency_key=key())
    assert refused.value.http_status == 401


def test_an_unreachable_gateway_is_an_error_with_no_outcome(gateway):
    gateway.backend.base_url = "http://127.0.0.1:9/"
    with pytest.raises(GatewayError) as refused:
        gateway.backend.find(idempotency_key=key())
    assert not isinstance(refused.value, GatewayTimeout)
    assert refused.value.code == "unreachable"


def test_a_signed_webhook_is_verified_and_read(gateway):
    body = gateway.event_body(event_id="evt_1", authorized=True, reference="ch_1")
    event = gateway.backend.verify_webhook(body=body, headers=gateway.signed(body))
    assert (event.id, event.type, event.reference) == ("evt_1", "payment.authorized", "ch_1")
    failed = gateway.event_body(event_id="evt_2", authorized=False, reference="ch_2")
    assert (
        gateway.backend.verify_webhook(body=failed, headers=gateway.signed(failed)).type == "payment.failed"
    )


@pytest.mark.parametrize(
    "forgery",
    ["wrong_secret", "changed_body", "too_old", "no_header"],
)
def test_forged_or_stale_webhooks_are_refused(gateway, forgery):
    body = gateway.event_body(event_id="evt_1", authorized=True, reference="ch_1")
    headers = {
        "wrong_secret": gateway.signed(body, secret="whsec_guess"),
        "changed_body": gateway.signed(body.replace(b"ch_1", b"ch_2")),
        "too_old": gateway.signed(body, timestamp=int(time.time()) - 3600),
        "no_header": {},
    }[forgery]
    with pytest.raises(InvalidSignature):
        gateway.backend.verify_webhook(body=body, headers=headers)
