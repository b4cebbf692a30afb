"""What the reporting floor hears from the case's record (complaints.signals.case_event_recorded):

- a move into a closing state asks the parties for a survey: after the move commits, a task is queued
  (reporting/tasks_surveys.py `ask_case_surveys`, retried on failure) that makes the surveys and
  writes the invitations, so the closing request never waits on them. A broker that is down at commit
  is logged, never raised into a move that has already committed; the hourly sweeper
  (`ask_missed_surveys`) asks the cases whose task was lost;
- the case's personal data removed (privacy's "case_anonymised" event, recorded inside the
  anonymisation's transaction): the surveys' comments go in that same transaction."""

from django.db import transaction
from django.dispatch import receiver

from complaints.models import CaseEvent, Complaint
from complaints.signals import case_event_recorded
from complaints.states import CLOSED_STATES
from privacy.actions import CASE_ANONYMISED

from .surveys import survey_comments_blank
from .tasks_surveys import ask_case_surveys


def ask_for_surveys(case_id: int) -> None:
    """Queue the task that asks (tests/browser/test_reporting.py replaces this to ask nobody)."""
    ask_case_surveys.delay(case_id)


@receiver(case_event_recorded, sender=CaseEvent, dispatch_uid="reporting_surveys")
def surveys_follow_the_case(sender: type, case: Complaint, event: CaseEvent, **kwargs: object) -> None:
    if event.action == CASE_ANONYMISED.code:
        survey_comments_blank(complaint_id=case.pk)
    elif event.to_state in CLOSED_STATES:
        case_id = case.pk
        # robust: a broker that is down is logged (django.db.backends) and the sweeper asks later.
        transaction.on_commit(lambda: ask_for_surveys(case_id), robust=True)
