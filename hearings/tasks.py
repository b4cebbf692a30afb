"""Beat jobs of the hearings floor. Each sweeps the database; nothing waits in the broker."""

from celery import shared_task


@shared_task(acks_late=True)
def send_hearing_reminders() -> int:
    from .reminders import send_due_reminders

    return send_due_reminders()


@shared_task(acks_late=True)
def act_on_absence_deadlines() -> int:
    from .services.absences import act_on_expired_justifications, act_on_expired_part_absences

    return act_on_expired_justifications() + act_on_expired_part_absences()


@shared_task(acks_late=True)
def ask_about_compliance() -> int:
    from .services.follow_up import ask_consumers_about_compliance

    return ask_consumers_about_compliance()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, retry_jitter=True, max_retries=5)
def generate_acta(hearing_id: int) -> None:
    from .services.acta import acta_generate

    acta_generate(hearing_id=hearing_id)


@shared_task(acks_late=True)
def generate_missing_actas() -> int:
    """Beat: an acta whose task never ran (broker down) or gave up is generated here."""
    from .services.acta import acta_generate, hearings_missing_their_acta

    pending = hearings_missing_their_acta()
    for hearing_id in pending:
        acta_generate(hearing_id=hearing_id)
    return len(pending)
