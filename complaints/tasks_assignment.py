"""Acknowledging a large selection of a company's cases in the background (the company desk's bulk
action): chunk by chunk, each chunk its own transaction (complaints/services/assignment.py
`parts_acknowledge_bulk`), so a failure loses at most the chunk in hand. A retry runs the whole
selection again: the chunks already done are skipped (a part acknowledged once is never acknowledged
again, and records no second event). Listed in CELERY_IMPORTS (config/settings.py)."""

import logging

from celery import shared_task
from django.db import OperationalError

from complaints.errors import CaseError
from complaints.services.assignment import ACKNOWLEDGE_CHUNK, parts_acknowledge_bulk
from parties.models import Company, User

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def acknowledge_parts(company_id: int, part_ids: list[int], by_id: int) -> int:
    """Returns how many parts this run acknowledged (0 for the chunks a previous run already did)."""
    company = Company.objects.filter(pk=company_id).first()
    by = User.objects.filter(pk=by_id, is_active=True).first()
    if company is None or by is None:
        logger.warning("Bulk acknowledgement dropped: company %s or user %s is gone.", company_id, by_id)
        return 0
    ids = sorted({int(pk) for pk in part_ids})
    done = 0
    for start in range(0, len(ids), ACKNOWLEDGE_CHUNK):
        chunk = ids[start : start + ACKNOWLEDGE_CHUNK]
        try:
            done += parts_acknowledge_bulk(company=company, part_ids=chunk, by=by)
        except CaseError as refusal:
            # Refused as a whole (the person lost their representation, a part is not the company's):
            # the other chunks are still worth doing; nothing of this one was written.
            logger.warning(
                "Bulk acknowledgement of %s parts of company %s by user %s refused: %s",
                len(chunk),
                company_id,
                by_id,
                refusal,
            )
    return done
