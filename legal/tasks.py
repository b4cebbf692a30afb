"""The legal directorate's windows, swept from beat (config/beat.py): nothing waits in the broker.
One job, in order: start the windows whose notice is now served, close the windows that passed,
remind the companies whose window closes soon."""

from celery import shared_task

from .services import (
    close_expired_appeal_windows,
    close_expired_defence_windows,
    remind_companies_of_legal_deadlines,
    start_served_windows,
)


@shared_task(acks_late=True)
def close_legal_windows() -> dict[str, int]:
    return {
        "started": start_served_windows(),
        "defences": close_expired_defence_windows(),
        "appeals": close_expired_appeal_windows(),
        "reminders": remind_companies_of_legal_deadlines(),
    }
