"""What the API floor hears, to tell the companies' systems by webhook (api/webhooks/):

- every event the case's record gains (complaints.signals.case_event_recorded): the ones
  api/webhooks/events.py declares write their deliveries in the move's own transaction;
- a reminder of a wait on the company's side (oversight.signals.clock_reminded): deadline.near, in
  the reminder's transaction.

The deliveries are sent after commit (api/webhooks/tasks.py).

A webhook never undoes a person's move: the deliveries are written in a savepoint of their own
(api/webhooks/fanout.py `_write`), and an error of the fan-out is logged, not raised. Only a database
error outside that savepoint (the one read of the endpoints) goes up: the move's transaction is lost
by then anyway (PostgreSQL refuses every later statement), and its own error is the one to see."""

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import DatabaseError
from django.dispatch import receiver

from api.webhooks.events import webhook_for
from api.webhooks.fanout import fan_out_case_event, fan_out_clock_reminder
from complaints.models import CaseCompany, CaseEvent, Complaint
from complaints.signals import case_event_recorded
from oversight.models import Clock, WhoActs
from oversight.signals import clock_reminded

logger = logging.getLogger("api.webhooks")


def _without_failing_the_move(fan_out: Callable[[], object], what: str) -> None:
    try:
        fan_out()
    except DatabaseError:
        raise
    except Exception:
        logger.exception("The webhooks of %s were not written; the move goes on without them.", what)


@receiver(case_event_recorded, sender=CaseEvent, dispatch_uid="api_webhooks_case_event")
def webhooks_follow_the_case(sender: type, case: Complaint, event: CaseEvent, **kwargs: object) -> None:
    if webhook_for(event.action) is None:
        return  # most events send no webhook: nothing to read
    part = kwargs.get("part")
    _without_failing_the_move(
        lambda: fan_out_case_event(case=case, event=event, part=part if isinstance(part, CaseCompany) else None),
        f"case event {event.pk} ({event.action})",
    )


@receiver(clock_reminded, sender=Clock, dispatch_uid="api_webhooks_clock_reminded")
def webhooks_hear_reminders(
    sender: type, clock: Clock, case: Complaint, stage: int, now: datetime, **kwargs: object
) -> None:
    if clock.who_acts != WhoActs.COMPANY:
        return
    _without_failing_the_move(
        lambda: fan_out_clock_reminder(clock=clock, case=case, stage=stage, now=now),
        f"the reminder of clock {clock.pk}",
    )
