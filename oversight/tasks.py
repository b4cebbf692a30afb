"""Beat jobs of the clocks (config/beat.py): one per rule (its due reminders, then its due
escalations), the supervisors' daily digest, and the recomputation after a calendar change. Each is
batched and safe to run twice (oversight/services/clocks.py)."""

import logging
from datetime import date

from celery import shared_task

from .models import Kind
from .services import clocks, digest, recompute

logger = logging.getLogger("oversight")


def _run(kind: str) -> dict[str, int]:
    reminded, escalated = clocks.run_rule(kind)
    return {"reminded": reminded, "escalated": escalated}


@shared_task(acks_late=True)
def clock_admission_review() -> dict[str, int]:
    return _run(Kind.ADMISSION_REVIEW)


@shared_task(acks_late=True)
def clock_acta_confirmation() -> dict[str, int]:
    return _run(Kind.ACTA_CONFIRMATION)


@shared_task(acks_late=True)
def clock_homologation() -> dict[str, int]:
    return _run(Kind.HOMOLOGATION)


@shared_task(acks_late=True)
def clock_compliance_answer() -> dict[str, int]:
    return _run(Kind.COMPLIANCE_ANSWER)


@shared_task(acks_late=True)
def clock_outcome_record() -> dict[str, int]:
    return _run(Kind.OUTCOME_RECORD)


@shared_task(acks_late=True)
def clock_rehearing() -> dict[str, int]:
    return _run(Kind.REHEARING)


@shared_task(acks_late=True)
def clock_recording() -> dict[str, int]:
    return _run(Kind.RECORDING)


@shared_task(acks_late=True)
def clock_company_answer() -> dict[str, int]:
    return _run(Kind.COMPANY_ANSWER)


@shared_task(acks_late=True)
def clock_justification_decision() -> dict[str, int]:
    return _run(Kind.JUSTIFICATION_DECISION)


@shared_task(acks_late=True)
def clock_first_hearing() -> dict[str, int]:
    return _run(Kind.FIRST_HEARING)


@shared_task(acks_late=True)
def clock_offer_answer() -> dict[str, int]:
    return _run(Kind.OFFER_ANSWER)


@shared_task(acks_late=True)
def clock_adjourned_new_date() -> dict[str, int]:
    return _run(Kind.ADJOURNED_NEW_DATE)


@shared_task(acks_late=True)
def clock_legal_decision() -> dict[str, int]:
    return _run(Kind.LEGAL_DECISION)


@shared_task(acks_late=True)
def clock_legal_resolution() -> dict[str, int]:
    return _run(Kind.LEGAL_RESOLUTION)


@shared_task(acks_late=True)
def clock_appeal_result() -> dict[str, int]:
    return _run(Kind.APPEAL_RESULT)


@shared_task(acks_late=True)
def supervisor_digest() -> int:
    return digest.send_digest()


@shared_task(acks_late=True)
def recompute_deadlines(day_iso: str) -> int:
    """Called by the calendar page on commit after a día inhábil is declared or removed."""
    changes = recompute.recompute_deadlines(day=date.fromisoformat(day_iso))
    logger.info("Calendar change on %s moved %s deadlines.", day_iso, len(changes))
    return len(changes)
