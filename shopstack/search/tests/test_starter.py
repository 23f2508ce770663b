"""The starter synonyms a new shop's search knows (search/starter.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from shopstack.search.models import SearchDocument, SearchState, Synonym
from shopstack.search.services import search_products
from shopstack.search.starter import SEEDED_KEY, STARTER_GROUPS, add_starter_synonyms
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def _titles(text: str) -> list[str]:
    outcome = search_products(text=text, log=False)
    return [SearchDocument.objects.get(pk=hit.id).title for hit in outcome.result.hits]


def test_a_migrated_database_has_the_starter_groups() -> None:
    assert set(Synonym.objects.values_list("words", flat=True)) >= set(STARTER_GROUPS)
    assert SearchState.objects.filter(key=SEEDED_KEY).exists()


def test_a_gift_search_for_gran_finds_grandmothers_not_grand_pianos() -> None:
    gifts = make_category(name="Gifts")
    make_product(name="Best Grandmother Ever Mug", category=gifts)
    make_product(name="Grand Piano Music Box", category=gifts)
    outcome = search_products(text="gift for gran", log=False)
    assert outcome.query.corrections == {}
    assert _titles("gift for gran")[0] == "Best Grandmother Ever Mug"
    assert _titles("xmas") == []  # nothing Christmas here: the synonym adds words, not products


def test_a_group_staff_deleted_stays_deleted_when_migrate_runs_again() -> None:
    Synonym.objects.filter(words="mug, cup").delete()
    call_command("migrate", verbosity=0)
    assert add_starter_synonyms() == 0
    assert not Synonym.objects.filter(words="mug, cup").exists()
    assert Synonym.objects.filter(words="xmas, christmas").exists()


def test_an_emptied_database_gets_them_again_and_staff_groups_are_kept() -> None:
    Synonym.objects.all().delete()
    SearchState.objects.filter(key=SEEDED_KEY).delete()
    Synonym.objects.create(words="xmas, christmas", is_active=False)  # staff switched it off
    assert add_starter_synonyms() == len(STARTER_GROUPS) - 1
    assert not Synonym.objects.get(words="xmas, christmas").is_active
    assert add_starter_synonyms() == 0
