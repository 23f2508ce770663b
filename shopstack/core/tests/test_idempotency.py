import threading

import pytest
from django.db import connection, transaction

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.idempotency import idempotent_call
from shopstack.core.models import IdempotencyRecord, OutboxEvent


@pytest.mark.django_db
def test_a_repeat_returns_the_first_answer_without_a_second_effect():
    effects = []

    def perform():
        effects.append(1)
        return {"order": len(effects)}

    first = idempotent_call(scope="test", key="k-1", request={"cart": 1}, perform=perform)
    again = idempotent_call(scope="test", key="k-1", request={"cart": 1}, perform=perform)
    assert first == ({"order": 1}, True)
    assert again == ({"order": 1}, False)
    assert effects == [1]


@pytest.mark.django_db
def test_the_same_key_for_a_different_request_is_refused():
    idempotent_call(scope="test", key="k-2", request={"cart": 1}, perform=lambda: {"ok": True})
    with pytest.raises(Conflict) as refused:
        idempotent_call(scope="test", key="k-2", request={"cart": 2}, perform=lambda: {"ok": False})
    assert refused.value.code == "idempotency_key_reused"
    assert IdempotencyRecord.objects.get(key="k-2").result == {"ok": True}


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 129, "bad\nkey"])
def test_a_missing_or_malformed_key_is_refused(key):
    with pytest.raises(ValidationFailed) as refused:
        idempotent_call(scope="test", key=key, request={}, perform=dict)
    assert "idempotency_key" in refused.value.fields
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_a_failed_attempt_leaves_the_key_free_for_a_retry():
    def boom():
        OutboxEvent.objects.create(name="Half", aggregate_type="t", aggregate_id="1")
        raise RuntimeError("crash in the middle")

    with pytest.raises(RuntimeError):
        idempotent_call(scope="test", key="k-3", request={}, perform=boom)
    assert not IdempotencyRecord.objects.exists()
    assert not OutboxEvent.objects.exists()
    assert idempotent_call(scope="test", key="k-3", request={}, perform=lambda: {"n": 1}) == ({"n": 1}, True)


@pytest.mark.django_db(transaction=True)
def test_racing_first_attempts_perform_once():
    performed = []
    results = []
    errors = []
    start = threading.Barrier(8)

    def attempt():
        try:
            start.wait()

            def perform():
                performed.append(1)
                OutboxEvent.objects.create(name="Once", aggregate_type="t", aggregate_id="1")
                return {"done": True}

            results.append(idempotent_call(scope="race", key="same", request={"a": 1}, perform=perform))
        except Exception as error:  # the assertion below shows what went wrong
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(performed) == 1
    assert sorted(first for _, first in results) == [False] * 7 + [True]
    assert OutboxEvent.objects.filter(name="Once").count() == 1


@pytest.mark.django_db
def test_an_outer_transaction_rolls_the_record_back_with_everything_else():
    def change_then_fail():
        with transaction.atomic():
            idempotent_call(scope="test", key="k-4", request={}, perform=lambda: {"n": 1})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not IdempotencyRecord.objects.exists()
