"""Popular searches: suggested to everyone only when several visitors made them and they
found products, never when staff blocked them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.checks import Tags, run_checks
from django.test import override_settings
from django.utils import timezone

from shopstack.search.models import BlockedSearch, PopularSearch, SearchQuery
from shopstack.search.popular import BlockList, popular_searches_refresh, searches_block, visitor_key
from shopstack.search.reference import search_reference
from shopstack.search.services import search_products, search_suggest
from shopstack.search.tasks import popular_searches_rebuild
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db

ADDRESSES = ("192.0.2.1", "198.51.100.2", "203.0.113.3")


@pytest.fixture
def shop() -> None:
    candles = make_category(name="Candles")
    make_product(name="Red Heart Candle Holder", price="8.00", category=candles)
    make_product(name="Vanilla Scented Candle", price="4.50", category=candles)


@pytest.fixture
def admin_client(client):
    from shopstack.accounts.tests.conftest import add_totp, make_user

    staff = make_user("search-blocks@example.com", is_staff=True, is_superuser=True)
    add_totp(staff)  # staff without a second factor are sent to set one up
    client.force_login(staff)
    return client


def refresh() -> int:
    return popular_searches_refresh(blocked=search_reference().blocked)


def suggested(prefix: str) -> list[str]:
    return search_suggest(text=prefix).queries


def test_one_visitor_s_search_is_not_suggested_however_often_they_make_it(shop) -> None:
    for _ in range(20):
        search_products(text="candle casino spam", client_address="192.0.2.1")
    refresh()
    assert suggested("cand") == []


def test_new_sessions_from_one_address_are_one_visitor(shop, client) -> None:
    for _ in range(5):
        client.cookies.clear()  # a new session each time, as a spammer dropping cookies
        client.get("/search/", {"q": "candle spam"}, REMOTE_ADDR="192.0.2.7")
    assert SearchQuery.objects.filter(normalized="candle spam").count() == 5
    refresh()
    assert suggested("cand") == []


def test_a_search_several_visitors_made_that_found_products_is_suggested(shop, client) -> None:
    for address in ADDRESSES[:2]:
        client.get("/search/", {"q": "vanilla candle"}, REMOTE_ADDR=address)
    refresh()
    assert suggested("van") == []  # two visitors: not yet
    client.get("/api/v1/search", {"q": "vanilla candle"}, REMOTE_ADDR=ADDRESSES[2])
    refresh()
    assert suggested("van") == ["vanilla candle"]


def test_a_search_that_found_nothing_is_not_suggested(shop) -> None:
    for address in ADDRESSES:
        search_products(text="zzqx", client_address=address)
    assert SearchQuery.objects.filter(normalized="zzqx", result_count=0).count() == 3
    refresh()
    assert suggested("zz") == []


@pytest.mark.parametrize(
    ("addresses", "visitors"),
    [
        (("192.0.2.1", "192.0.2.2", "::ffff:192.0.2.1"), 2),  # an IPv4-mapped address is that address
        (("2001:db8:1:1::1", "2001:db8:1:2::1", "2001:db8:1:ff00::9"), 1),  # one /48
        (("2001:db8:1::1", "2001:db8:2::1", "2001:db8:3::1"), 3),
        (("", "unknown", "192.0.2.300"), 0),
    ],
)
def test_visitors_are_client_networks(addresses, visitors) -> None:
    keys = {visitor_key(address) for address in addresses} - {""}
    assert len(keys) == visitors
    assert all(len(key) == 16 and "192" not in key for key in keys)  # no address is kept


def test_old_searches_stop_counting(shop) -> None:
    for address in ADDRESSES:
        search_products(text="candles", client_address=address)
    SearchQuery.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert refresh() == 0
    assert popular_searches_refresh(blocked=BlockList(), now=timezone.now() - timedelta(days=2)) == 1


@override_settings(SEARCH_POPULAR_MIN_VISITORS=5)
def test_how_many_visitors_is_a_setting(shop) -> None:
    for address in ADDRESSES:
        search_products(text="candles", client_address=address)
    refresh()
    assert suggested("cand") == []


def make_popular(*texts: str) -> None:
    for text in texts:
        for address in ADDRESSES:
            search_products(text=text, client_address=address)
    refresh()


def test_a_block_hides_a_popular_search_from_the_next_keystroke(shop) -> None:
    make_popular("candle holder", "candles")
    assert suggested("cand") == ["candle holder", "candles"]
    BlockedSearch.objects.create(pattern="Candle  HOLDER")  # as the admin's form saves it
    assert suggested("cand") == ["candles"]  # before any rebuild
    assert list(PopularSearch.objects.values_list("normalized", flat=True)) == ["candle holder", "candles"]
    refresh()
    assert list(PopularSearch.objects.values_list("normalized", flat=True)) == ["candles"]
    BlockedSearch.objects.all().delete()
    refresh()
    assert suggested("cand") == ["candle holder", "candles"]


def test_a_pattern_blocks_every_search_it_matches(shop) -> None:
    make_popular("candle holder", "candles", "vanilla candle")
    BlockedSearch.objects.create(pattern="*holder*")
    BlockedSearch.objects.create(pattern="vanilla *")
    assert suggested("cand") == ["candles"]
    assert suggested("van") == []


@pytest.mark.parametrize(
    ("pattern", "blocked", "allowed"),
    [
        ("casino", ["casino"], ["casinos", "a casino"]),
        ("*casino*", ["casino", "best casino online", "casinos"], ["casin o"]),
        ("buy * online", ["buy pills online", "buy  x online"], ["buy online", "buy pills online now"]),
        ("*a*a*a*a*a*b", ["aaaaab"], ["a" * 200]),  # linear: no backtracking blow-up
        ("Crème", ["creme"], ["cream"]),
    ],
)
def test_block_patterns(pattern, blocked, allowed) -> None:
    matcher = BlockList.of([pattern])
    assert all(matcher(text) for text in blocked)
    assert not any(matcher(text) for text in allowed)


def test_the_admin_action_blocks_the_chosen_popular_searches(shop, admin_client) -> None:
    make_popular("candle holder", "candles")
    chosen = PopularSearch.objects.get(normalized="candle holder")
    response = admin_client.post(
        "/admin/search/popularsearch/", {"action": "block", "_selected_action": [chosen.pk]}
    )
    assert response.status_code == 302
    assert list(BlockedSearch.objects.values_list("pattern", flat=True)) == ["candle holder"]
    assert suggested("cand") == ["candles"]
    assert admin_client.get("/admin/search/blockedsearch/add/").status_code == 200


def test_blocking_twice_adds_nothing(shop) -> None:
    assert searches_block(texts=["Candles", "candles", " "]) == 1
    assert searches_block(texts=["candles"]) == 0


def test_the_periodic_task_rebuilds_them(shop) -> None:
    for address in ADDRESSES:
        search_products(text="candles", client_address=address)
    assert popular_searches_rebuild.call() == 1
    assert suggested("cand") == ["candles"]


def test_deploy_check_warns_when_one_visitor_is_enough(settings) -> None:
    def ids() -> set[str]:
        return {message.id for message in run_checks(include_deployment_checks=True, tags=[Tags.security])}

    assert "shopstack.W060" not in ids()
    settings.SEARCH_POPULAR_MIN_VISITORS = 1
    assert "shopstack.W060" in ids()
