"""Every event a case's record gains keeps its clocks in step, twice:

- at once, inside the move (the case is locked by the move that recorded it), so that a page read in
  the same request already shows the clock; in a savepoint, and a failure is only logged: a broken
  rule must never stop a move (a consumer filing, a conciliator recording an outcome);
- once more after the move commits (one `on_commit` per case per transaction), in its own short
  transaction under the case's lock: an event is often recorded before the move finished writing its
  rows (a hearing is booked after the transition's event, a hearing is marked held after the
  outcome's), so this second pass is what makes the clocks reflect the move's final rows. A move that
  writes nothing the clocks read after its event says so (`final`, a submission) and is spared it."""

import logging
from typing import Any

from django.db import connection, transaction
from django.dispatch import receiver

from complaints import actions
from complaints.models import CaseEvent, Complaint
from complaints.services import lock_case
from complaints.signals import case_event_recorded

from .services.clocks import sync_case_clocks

logger = logging.getLogger("oversight")

# Events that change no wait (oversight/rules.py reads none of them): recording one costs no clock
# sync. A company's acknowledgement comes by the thousand from the company desk's bulk action, and a
# sync reads and writes some two dozen rows per case.
CHANGES_NO_WAIT = frozenset({actions.COMPANY_ACKNOWLEDGED.code})


class _ResyncAfterCommit:
    """The on_commit callback of one case; recognisable in the connection's queue so that a move that
    records several events runs it once, after its last event."""

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id
        self.superseded = False

    def __call__(self) -> None:
        if not self.superseded:
            resync_case(self.case_id)


def resync_case(case_id: int) -> None:
    """Bring one case's clocks in step in a transaction of its own, locked like a move. Logged, never
    raised: the move it follows has committed already."""
    try:
        with transaction.atomic():
            sync_case_clocks(lock_case(case_id))
    except Complaint.DoesNotExist:
        return
    except Exception:
        logger.exception("Could not bring the clocks of case %s in step after its move.", case_id)


def _queue_resync(case_id: int) -> None:
    """One resync per case per transaction, queued behind the case's latest event: a callback queued
    by an earlier event of the same transaction is superseded by a new one at the end of the queue.
    The new one keeps only the savepoints both were registered under (Django drops a callback when a
    savepoint in its set is rolled back), so it survives whenever either registration would have."""
    savepoints = set(connection.savepoint_ids)
    # Django's queue: (savepoint ids, callback, robust) per callback; a rolled-back savepoint's
    # callbacks are already gone from it, so what is found here is live.
    queue: list[Any] = connection.run_on_commit
    for sids, func, _robust in queue:
        if isinstance(func, _ResyncAfterCommit) and func.case_id == case_id and not func.superseded:
            func.superseded = True
            savepoints &= sids
    queue.append((savepoints, _ResyncAfterCommit(case_id), True))


@receiver(case_event_recorded, sender=CaseEvent, dispatch_uid="oversight_sync_clocks")
def keep_clocks_in_step(sender: type, case: Complaint, event: CaseEvent, **kwargs: object) -> None:
    """`current`: the move passes its locked row with its changes (complaints.services._apply), read
    as it is; otherwise the row is read again. `final`: the move writes nothing the clocks read after
    this event (a submission), so the pass after commit would find what this one found: skipped."""
    if event.action in CHANGES_NO_WAIT:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the move's own writes intact
            # The row as it is now: a move may pass on a copy of the case it loaded before its
            # transition (the lock is ours already).
            sync_case_clocks(case if kwargs.get("current") else Complaint.objects.get(pk=case.pk))
    except Exception:
        logger.exception("Could not bring the clocks of case %s in step during its move.", case.pk)
    if connection.in_atomic_block and not kwargs.get("final"):
        _queue_resync(case.pk)
