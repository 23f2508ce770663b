"""Process-local reference copies: reloaded when their family's stamp changes, and only then."""

from __future__ import annotations

import pytest
from django.db import transaction

from shopstack.core.reference import ReferenceCache, reference_changed, reference_stamp

pytestmark = pytest.mark.django_db


class CountingLoader:
    def __init__(self) -> None:
        self.loads = 0

    def __call__(self) -> int:
        self.loads += 1
        return self.loads


def test_a_copy_is_kept_until_the_stamp_changes() -> None:
    load = CountingLoader()
    cache = ReferenceCache("test-family", load)
    assert [cache.get(), cache.get(), cache.get()] == [1, 1, 1]
    reference_changed("test-family")
    assert cache.get() == 2
    assert cache.get() == 2
    reference_changed("another-family")
    assert cache.get() == 2


def test_another_process_sees_the_change_after_commit_not_before() -> None:
    # Two caches of one family stand for two processes: the stamp row is all they share.
    load_a, load_b = CountingLoader(), CountingLoader()
    process_a, process_b = ReferenceCache("shared", load_a), ReferenceCache("shared", load_b)
    process_a.get(), process_b.get()
    before = reference_stamp("shared")
    reference_changed("shared")
    assert reference_stamp("shared") != before
    assert (process_a.get(), process_b.get()) == (2, 2)


def _change_and_load_then_roll_back(cache: ReferenceCache[int], name: str) -> int:
    """Change the family and load the copy inside a transaction that is rolled back."""
    seen = 0
    try:
        with transaction.atomic():
            reference_changed(name)
            seen = cache.get()
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    return seen


def test_a_rolled_back_change_never_lets_an_old_copy_pass_for_current() -> None:
    load = CountingLoader()
    cache = ReferenceCache("rolled", load)
    assert _change_and_load_then_roll_back(cache, "rolled") == 1  # under the uncommitted token
    # The token went back: the copy loaded under the rolled-back one is not trusted.
    assert cache.get() == 2
    assert _change_and_load_then_roll_back(cache, "rolled") == 3
    reference_changed("rolled")  # a new random token, never the rolled-back one again
    assert cache.get() == 4


def test_a_copy_older_than_max_age_is_loaded_again() -> None:
    load = CountingLoader()
    now = [1000.0]
    cache = ReferenceCache("aged", load, max_age=60, clock=lambda: now[0])
    assert cache.get() == 1
    now[0] += 59.9
    assert cache.get() == 1
    now[0] += 0.1
    assert cache.get() == 2
