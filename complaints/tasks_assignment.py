"""Acknowledging a large selection of a company's cases in the background (the company desk's bulk
action): chunk by chunk, each chunk its own transaction (complaints/services/assignment.py
`parts_acknowledge_bulk`), so a failure loses at most the chunk in hand. A retry runs the whole
selection again: the chunks already done are skipped (a part acknowledged once is never acknowledged
again, and records no second event). A chunk refused as a whole (the person lost their
representation meanwhile, a case is no longer the company's) is logged and the others go on; at the
end the person is told in their inbox how many of the cases could not be acknowledged, as the page
that queued the work can no longer tell them. Listed in CELERY_IMPORTS (config/settings.py)."""

import hashlib
import logging

from celery import shared_task
from django.db import OperationalError

from complaints.errors import CaseError
from complaints.models import CaseCompany
from complaints.services.assignment import ACKNOWLEDGE_CHUNK, parts_acknowledge_bulk, tell_not_acknowledged
from parties.models import Company, User

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def acknowledge_parts(self, company_id: int, part_ids: list[int], by_id: int) -> int:
    """Returns how many parts this run acknowledged (0 for the chunks a previous run already did)."""
    company = Company.objects.filter(pk=company_id).first()
    by = User.objects.filter(pk=by_id, is_active=True).first()
    if company is None or by is None:
        logger.warning("Bulk acknowledgement dropped: company %s or user %s is gone.", company_id, by_id)
        return 0
    ids = sorted({int(pk) for pk in part_ids})
    done = 0
    refused: list[int] = []
    for start in range(0, len(ids), ACKNOWLEDGE_CHUNK):
        chunk = ids[start : start + ACKNOWLEDGE_CHUNK]
        try:
            done += parts_acknowledge_bulk(company=company, part_ids=chunk, by=by)
        except CaseError as refusal:
            # Refused as a whole: the other chunks are still worth doing; nothing of this one was written.
            logger.warning(
                "Bulk acknowledgement of %s parts of company %s by user %s refused: %s",
                len(chunk),
                company_id,
                by_id,
                refusal,
            )
            refused += chunk
    if refused:
        # Of the refused chunks, those someone else acknowledged meanwhile are done all the same.
        acknowledged = CaseCompany.objects.filter(
            pk__in=refused, company_id=company.pk, notified_at__isnull=False, acknowledged_at__isnull=False
        ).count()
        if missing := len(refused) - acknowledged:
            # One notice per request: Celery keeps the task's id across its retries.
            run = self.request.id or hashlib.sha256(f"{company_id}:{by_id}:{ids}".encode()).hexdigest()[:32]
            tell_not_acknowledged(by, company=company, count=missing, total=len(ids), key=run)
    return done
