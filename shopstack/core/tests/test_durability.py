import pytest
from django.db import connection, transaction

from shopstack.core.durability import losable_on_crash
from shopstack.core.models import ReferenceStamp

pytestmark = pytest.mark.django_db(transaction=True)


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="synchronous_commit exists only on PostgreSQL; CI runs this test on the PostgreSQL tier",
)
def test_the_block_commits_without_waiting_for_the_disk_and_only_the_block():
    with losable_on_crash():
        assert _synchronous_commit() == "off"
        ReferenceStamp.objects.create(name="durability-probe", token="a")
    assert _synchronous_commit() == "on"  # SET LOCAL ended with the transaction
    assert ReferenceStamp.objects.filter(name="durability-probe").exists()


def test_an_error_rolls_the_block_back():
    def write_then_fail() -> None:
        with losable_on_crash():
            ReferenceStamp.objects.create(name="durability-probe", token="b")
            assert connection.in_atomic_block
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not ReferenceStamp.objects.filter(name="durability-probe").exists()


def test_inside_a_transaction_the_enclosing_one_decides():
    with transaction.atomic():
        with losable_on_crash():
            ReferenceStamp.objects.create(name="durability-probe", token="c")
            if connection.vendor == "postgresql":
                assert _synchronous_commit() == "on"
        transaction.set_rollback(True)
    assert not ReferenceStamp.objects.filter(name="durability-probe").exists()
