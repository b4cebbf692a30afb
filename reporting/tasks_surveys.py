"""The survey jobs (listed in CELERY_IMPORTS, since autodiscovery finds only tasks.py):

ask_case_surveys(case_id)    queued when a case closes (reporting/receivers.py); retried with a
                             backoff when it fails (the database or the outbox is down).
ask_missed_surveys()         beat, hourly (config/beat.py): the closed cases whose task was lost.
remind_unanswered_surveys()  beat, hourly: the surveys nobody could receive yet are sent once
                             someone can, then the one reminder to the unanswered."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, retry_jitter=True, max_retries=5)
def ask_case_surveys(case_id: int) -> int:
    from .surveys import surveys_ask

    return len(surveys_ask(complaint_id=case_id))


@shared_task(acks_late=True)
def ask_missed_surveys() -> int:
    from .surveys import surveys_ask_missed

    return surveys_ask_missed()


@shared_task(acks_late=True)
def remind_unanswered_surveys() -> int:
    from .surveys import surveys_invite_unsent, surveys_remind

    return surveys_invite_unsent() + surveys_remind()
