"""The API call log keeps each call API_CALL_LOG_DAYS (180 by default): beat deletes older ones with
`api_calls_prune`, in batches, oldest first, and leaves every younger call — of every company — alone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiCall, ApiKey
from api.retention import api_calls_prune
from tests.api.conftest import make_key

pytestmark = pytest.mark.django_db


def calls(key: ApiKey, *, days_ago: float, count: int = 1) -> list[int]:
    rows = ApiCall.objects.bulk_create(
        ApiCall(company_id=key.company_id, key=key, method="GET", path="/api/v1/cases", status=200)
        for _ in range(count)
    )
    ids = [row.pk for row in rows]
    ApiCall.objects.filter(pk__in=ids).update(at=timezone.now() - timedelta(days=days_ago))
    return ids


def test_calls_older_than_the_log_keeps_them_are_deleted(company, representative, rival):
    mine = make_key(company, representative).key
    old = calls(mine, days_ago=181, count=3) + calls(rival.key.key, days_ago=400)
    kept = calls(mine, days_ago=179) + calls(rival.key.key, days_ago=1)

    deleted = api_calls_prune()

    assert deleted == 4
    assert sorted(ApiCall.objects.values_list("pk", flat=True)) == sorted(kept)
    assert not ApiCall.objects.filter(pk__in=old).exists()


def test_the_days_kept_are_a_setting(company, representative, settings):
    settings.API_CALL_LOG_DAYS = 30
    key = make_key(company, representative).key
    kept = calls(key, days_ago=29)
    calls(key, days_ago=31, count=2)

    assert api_calls_prune() == 2
    assert list(ApiCall.objects.values_list("pk", flat=True)) == kept


def test_many_old_calls_go_in_batches_and_a_second_run_finds_nothing(company, representative):
    key = make_key(company, representative).key
    calls(key, days_ago=200, count=23)
    kept = calls(key, days_ago=10, count=2)
    # Older still, but written after the others: found whatever the order of the ids.
    calls(key, days_ago=500, count=4)

    assert api_calls_prune(batch_size=5) == 27
    assert api_calls_prune(batch_size=5) == 0
    assert sorted(ApiCall.objects.values_list("pk", flat=True)) == sorted(kept)


def test_the_cutoff_is_counted_from_the_time_given(company, representative):
    key = make_key(company, representative).key
    calls(key, days_ago=100)

    assert api_calls_prune(now=timezone.now()) == 0
    assert api_calls_prune(now=timezone.now() + timedelta(days=90)) == 1
