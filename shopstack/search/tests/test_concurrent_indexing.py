"""Two processes reindexing the same product at once (two searches right after a catalog
change both find it stale). Found by the browser tests on PostgreSQL: the suggestions and
the results page asked together, and one of them answered 500 with a duplicate key."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from shopstack.search.backends.base import SearchFilters
from shopstack.search.indexing import documents_for, search_backend
from shopstack.search.models import SearchDocument, SearchFacet
from shopstack.search.query import parse_query
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db(transaction=True)
# Generous waits for what must happen (a busy machine is slow); the one short wait below
# is for what must not happen.
WAIT_SECONDS = 300.0


def test_a_second_writer_of_the_same_documents_waits_and_then_succeeds() -> None:
    product = make_product(
        name="Blue enamel mug", category=make_category(name="Mugs"), attributes={"Colour": "Blue"}
    )
    documents = documents_for(product_ids=[product.pk])
    first_has_written = threading.Event()
    release_first = threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                search_backend().index(documents)
                first_has_written.set()
                release_first.wait(WAIT_SECONDS)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            first_has_written.set()
            connection.close()

    def second() -> None:
        first_has_written.wait(WAIT_SECONDS)
        try:
            with transaction.atomic():
                search_backend().index(documents)
        except BaseException as error:
            errors.append(error)
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_has_written.wait(WAIT_SECONDS)
    # The second writer must not finish while the first one's transaction is open.
    assert not second_done.wait(0.5)
    release_first.set()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert SearchDocument.objects.filter(pk=product.pk).count() == 1
    facets = list(SearchFacet.objects.filter(document_id=product.pk).values_list("name", "value"))
    assert ("colour", "blue") in facets
    assert len(facets) == len(set(facets)), "a facet was written twice"
    result = search_backend().search(parse_query("enamel mug"), filters=SearchFilters())
    assert [hit.id for hit in result.hits] == [product.pk]
