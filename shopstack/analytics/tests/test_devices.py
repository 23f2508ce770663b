"""Device classes from User-Agents, crawlers from the maintained list, and the behaviour
rule for clients that keep no cookies (its clock passed in)."""

from __future__ import annotations

import pytest

from shopstack.analytics.devices import BOT, SAMPLE, WINDOW_SECONDS, CookielessRate, client_kind
from shopstack.analytics.schema import Device
from shopstack.analytics.tests.conftest import DESKTOP, GOOGLEBOT, PHONE, TABLET


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (DESKTOP, Device.DESKTOP),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15",
         Device.DESKTOP),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0", Device.DESKTOP),
        (PHONE, Device.PHONE),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36",
         Device.PHONE),
        (TABLET, Device.TABLET),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
         Device.TABLET),
        ("Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)",
         Device.OTHER),
    ],
)  # fmt: skip
def test_browsers_are_classed_by_device(agent, device):
    kind = client_kind(agent)

    assert kind.device == device
    assert kind.is_bot is False


@pytest.mark.parametrize(
    "agent",
    [
        GOOGLEBOT,
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "",
        "   ",
    ],
)
def test_crawlers_scripts_and_clients_without_a_user_agent_are_bots(agent):
    assert client_kind(agent) == BOT


def test_a_huge_user_agent_is_cut_before_parsing():
    assert client_kind(DESKTOP + " x" * 50_000).device == Device.DESKTOP


def test_the_rate_rule_flags_a_client_over_the_rate_and_spares_one_under_it(settings):
    settings.ANALYTICS_BOT_PAGES_PER_MINUTE = 30
    rate = CookielessRate()
    start = 1_000 * WINDOW_SECONDS  # the start of a window

    slow = [rate.is_bot("reader", now=start + second) for second in range(0, 60, 3)]  # 20 pages
    fast = [rate.is_bot("crawler", now=start + second / 10) for second in range(60)]  # 60 in 6 s

    assert not any(slow)
    assert fast.index(True) == 4 * SAMPLE - 1  # the 40th page: the 4th sample is over 30/minute
    assert all(fast[4 * SAMPLE - 1 :])


def test_a_flagged_client_stays_a_bot_for_a_while_and_counts_start_again_each_window(settings):
    settings.ANALYTICS_BOT_PAGES_PER_MINUTE = 10
    rate = CookielessRate()
    start = 2_000 * WINDOW_SECONDS
    flagged = [rate.is_bot("crawler", now=start + n / 100) for n in range(3 * SAMPLE)]
    assert flagged[-1] is True

    assert rate.is_bot("crawler", now=start + 30 * 60) is True  # still within its hour
    # Another client's pages spread over windows never add up.
    spread = [rate.is_bot("person", now=start + window * WINDOW_SECONDS) for window in range(50)]
    assert not any(spread)


def test_the_rate_rule_counts_across_processes_in_the_shared_counters(settings):
    settings.ANALYTICS_BOT_PAGES_PER_MINUTE = 40  # 4 samples of 10 pages a minute
    start = 3_000 * WINDOW_SECONDS
    # Two web processes, each seeing half of one crawler's 60 pages.
    first, second = CookielessRate(), CookielessRate()
    verdicts = []
    for n in range(30):
        verdicts.append(first.is_bot("crawler", now=start + n / 10))
        verdicts.append(second.is_bot("crawler", now=start + n / 10))

    assert any(verdicts)
    # The 30 pages one of them saw, alone, stay under the rate.
    lone = CookielessRate()
    assert not any(lone.is_bot("someone", now=start + n / 10) for n in range(30))
