"""The duplicate flag, computed after a submission commits (complaints/services/duplicates.py):
the task takes the case's id, reloads and locks it. Listed in CELERY_IMPORTS (config/settings.py)."""

from celery import shared_task

from complaints.services.duplicates import duplicate_flag


@shared_task(acks_late=True)
def flag_duplicate(case_id: int) -> int | None:
    match = duplicate_flag(case_id=case_id)
    return match.pk if match else None
