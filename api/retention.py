"""How long the API's audit log keeps a call: settings.API_CALL_LOG_DAYS (180 by default). Beat runs
`api_calls_prune` daily; the log's page (api/views/keys.py) says how far back it reaches.

A busy integration makes a call a second, thirty million rows a year: the log is for "what did our
systems do lately, and what was refused", not an archive."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ApiCall

logger = logging.getLogger(__name__)

DEFAULT_API_CALL_LOG_DAYS = 180
# At most this many batches a run (5 million rows with the default batch): what is left goes tomorrow.
MAX_BATCHES = 1000


def api_call_log_days() -> int:
    return int(getattr(settings, "API_CALL_LOG_DAYS", DEFAULT_API_CALL_LOG_DAYS))


def api_calls_prune(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete the calls older than API_CALL_LOG_DAYS, oldest first, in short transactions. Returns how
    many went.

    The rows are found in primary-key order: a call's id grows with its time (both are given as it
    is written), so the oldest rows are the first ids and each batch is a short walk of the primary
    key from where the last one stopped, with no index on the time alone and without holding up the
    calls being logged meanwhile."""
    cutoff = (now or timezone.now()) - timedelta(days=api_call_log_days())
    deleted, after = 0, 0
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            old = ApiCall.objects.filter(at__lt=cutoff, pk__gt=after).order_by("pk")
            ids = list(old.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            ApiCall.objects.filter(pk__in=ids).delete()
        deleted, after = deleted + len(ids), ids[-1]
        if len(ids) < batch_size:
            break
    if deleted:
        logger.info("API call log: %s calls older than %s deleted.", deleted, cutoff.isoformat())
    return deleted
