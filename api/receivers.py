"""What the API floor hears, to tell the companies' systems by webhook (api/webhooks/):

- every event the case's record gains (complaints.signals.case_event_recorded): the ones
  api/webhooks/events.py declares write their deliveries in the move's own transaction;
- a reminder of a wait on the company's side (oversight.signals.clock_reminded): deadline.near, in
  the reminder's transaction.

The deliveries are sent after commit (api/webhooks/tasks.py)."""

from datetime import datetime

from django.dispatch import receiver

from api.webhooks.fanout import fan_out_case_event, fan_out_clock_reminder
from complaints.models import CaseCompany, CaseEvent, Complaint
from complaints.signals import case_event_recorded
from oversight.models import Clock
from oversight.signals import clock_reminded


@receiver(case_event_recorded, sender=CaseEvent, dispatch_uid="api_webhooks_case_event")
def webhooks_follow_the_case(sender: type, case: Complaint, event: CaseEvent, **kwargs: object) -> None:
    part = kwargs.get("part")
    fan_out_case_event(case=case, event=event, part=part if isinstance(part, CaseCompany) else None)


@receiver(clock_reminded, sender=Clock, dispatch_uid="api_webhooks_clock_reminded")
def webhooks_hear_reminders(
    sender: type, clock: Clock, case: Complaint, stage: int, now: datetime, **kwargs: object
) -> None:
    fan_out_clock_reminder(clock=clock, case=case, stage=stage, now=now)
