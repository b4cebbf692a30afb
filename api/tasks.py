"""Beat jobs of the companies' API (config/beat.py). The webhooks' own jobs are in api/webhooks/tasks.py."""

from celery import shared_task

from .idempotency import idempotency_records_prune
from .retention import api_calls_prune


@shared_task(acks_late=True, ignore_result=True)
def prune_idempotency_records() -> int:
    """Delete the Idempotency-Key records older than API_IDEMPOTENCY_HOURS (api/idempotency.py)."""
    return idempotency_records_prune()


@shared_task(acks_late=True, ignore_result=True)
def prune_api_calls() -> int:
    """Delete the API calls older than API_CALL_LOG_DAYS (api/retention.py)."""
    return api_calls_prune()
