"""`manage.py check --deploy` flags payment settings a production shop must not leave
unsafe: in-process for each rule, and in a fresh `manage.py` for what operators run."""

import pytest

from config.tests.test_profiles import run_manage
from shopstack.payments.checks import check_payment_gateway, check_payment_return_urls

TEST_GATEWAY = "shopstack.payments.backends.testgateway.LocalTestGateway"
STRIPE = "shopstack.payments.backends.stripe.StripeGateway"
PROD = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-key-for-the-test",
    "ALLOWED_HOSTS": "shop.example.com",
    "SHOP_BASE_URL": "https://shop.example.com",
}
STRIPE_ENV = {
    "PAYMENT_GATEWAY_BACKEND": STRIPE,
    "PAYMENT_GATEWAY_API_KEY": "sk_live_shop",
    "PAYMENT_GATEWAY_WEBHOOK_SECRET": "whsec_shop",
}


def ids(messages) -> list[str]:
    return sorted(message.id for message in messages)


def use_gateway(settings, backend: str, *, api_key: str = "sk_live_shop", secret: str = "whsec_shop"):
    settings.PAYMENT_GATEWAY = {
        "BACKEND": backend,
        "OPTIONS": {**settings.PAYMENT_GATEWAY["OPTIONS"], "api_key": api_key, "webhook_secret": secret},
    }


def test_a_real_gateway_with_its_keys_passes(settings):
    use_gateway(settings, STRIPE)
    settings.TEST_GATEWAY_ENABLED = False
    assert check_payment_gateway() == []


def test_the_test_gateway_not_enabled_by_name_is_an_error(settings):
    use_gateway(settings, TEST_GATEWAY)
    settings.TEST_GATEWAY_ENABLED = False
    assert ids(check_payment_gateway()) == ["shopstack.E010"]


def test_the_test_gateway_enabled_by_name_is_still_a_warning(settings):
    use_gateway(settings, TEST_GATEWAY)
    settings.TEST_GATEWAY_ENABLED = True
    assert ids(check_payment_gateway()) == ["shopstack.W010"]


def test_the_test_gateway_mounted_beside_a_real_gateway_is_a_warning(settings):
    use_gateway(settings, STRIPE)
    settings.TEST_GATEWAY_ENABLED = True
    assert ids(check_payment_gateway()) == ["shopstack.W011"]


@pytest.mark.parametrize("which", ["api_key", "webhook_secret", "empty"])
def test_a_real_gateway_on_the_test_gateways_keys_is_an_error(settings, which):
    settings.TEST_GATEWAY_ENABLED = False
    stand_in = {"api_key": settings.TEST_GATEWAY["API_KEY"], "webhook_secret": "", "empty": ""}[which]
    if which == "api_key":
        use_gateway(settings, STRIPE, api_key=stand_in)
    else:
        use_gateway(settings, STRIPE, secret=stand_in if which == "webhook_secret" else "whsec_shop")
        if which == "empty":
            use_gateway(settings, STRIPE, api_key="")
    assert ids(check_payment_gateway()) == ["shopstack.E011"]


@pytest.mark.parametrize(
    ("schemes", "origins", "expected"),
    [
        (["myapp", "com.example.shop"], ["https://shop.example.com", "http://127.0.0.1:8000"], []),
        (["https"], ["https://shop.example.com"], ["shopstack.E012"]),
        (["javascript", "my app"], ["https://shop.example.com"], ["shopstack.E012", "shopstack.E012"]),
        ([], ["https://shop.example.com/checkout"], ["shopstack.E013"]),
        ([], ["shop.example.com"], ["shopstack.E013"]),
        ([], ["https://*.example.com"], ["shopstack.E013"]),
        ([], ["https://user@shop.example.com"], ["shopstack.E013"]),
        ([], ["http://shop.example.com"], ["shopstack.W012"]),
        ([], ["http://localhost.evil.com"], ["shopstack.W012"]),
    ],
)
def test_return_url_settings(settings, schemes, origins, expected):
    settings.PAYMENT_RETURN_SCHEMES = schemes
    settings.PAYMENT_RETURN_ORIGINS = origins
    assert ids(check_payment_return_urls()) == expected


def check_deploy(env: dict[str, str], tmp_path) -> str:
    result = run_manage("check", "--deploy", env={"SHOPSTACK_VAR_DIR": str(tmp_path), **env})
    return result.stdout + result.stderr


def test_check_deploy_reports_the_test_gateway_enabled_by_name_in_production(tmp_path):
    output = check_deploy(
        {**PROD, "PAYMENT_GATEWAY_BACKEND": TEST_GATEWAY, "TEST_GATEWAY_ENABLED": "1"}, tmp_path
    )
    assert "shopstack.W010" in output
    assert "4242 4242 4242 4242" in output


def test_check_deploy_reports_the_test_gateway_turned_off_under_it(tmp_path):
    # The demo profile's default backend, with its mount turned off: every payment fails.
    output = check_deploy({"TEST_GATEWAY_ENABLED": "0"}, tmp_path)
    assert "shopstack.E010" in output


def test_check_deploy_reports_a_real_gateway_without_its_keys(tmp_path):
    output = check_deploy({**PROD, "PAYMENT_GATEWAY_BACKEND": STRIPE}, tmp_path)
    assert "shopstack.E011" in output


def test_check_deploy_reports_unsafe_return_url_settings(tmp_path):
    env = {
        **PROD,
        **STRIPE_ENV,
        "PAYMENT_RETURN_SCHEMES": "https,myapp",
        "PAYMENT_RETURN_ORIGINS": "https://shop.example.com/path,http://shop.example.com",
    }
    output = check_deploy(env, tmp_path)
    assert "shopstack.E012" in output
    assert "shopstack.E013" in output
    assert "shopstack.W012" in output
