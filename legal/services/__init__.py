"""Every move of a sanction proceeding, one function each (moves.py), and what the beat does with its
windows (deadlines.py). Each move: atomic, the case row locked first
(`complaints.services.lock_case`), then the proceeding's; the rule in legal/policy.py asked under
the lock; the django-fsm transition; a save with update_fields; an event on the case's chain
(`record_event`, with a code declared in legal/actions.py); the notices written to the outbox in
the same transaction (legal/notify.py), and the charge and the resolution served as formal notices."""

from complaints.services import lock_case

from ..models import Proceeding


def lock_proceeding(pk: int) -> Proceeding:
    """The case's row lock first (every case move takes it first), then the proceeding's."""
    case_id = Proceeding.objects.filter(pk=pk).values_list("complaint_id", flat=True).get()
    case = lock_case(case_id)
    proceeding = Proceeding.objects.select_for_update(of=("self",)).select_related("part", "part__company").get(pk=pk)
    proceeding.complaint = case
    proceeding.part.complaint = case
    return proceeding


from .deadlines import (  # noqa: E402
    close_expired_appeal_windows,
    close_expired_defence_windows,
    recompute_legal_deadlines,
    remind_companies_of_legal_deadlines,
    start_served_windows,
)
from .moves import (  # noqa: E402  (they build on lock_proceeding)
    proceeding_archive,
    proceeding_charge,
    proceeding_decide_appeal,
    proceeding_file_appeal,
    proceeding_file_defence,
    proceeding_finalize,
    proceeding_receive,
    proceeding_resolve,
)

__all__ = [
    "close_expired_appeal_windows",
    "close_expired_defence_windows",
    "lock_proceeding",
    "proceeding_archive",
    "proceeding_charge",
    "proceeding_decide_appeal",
    "proceeding_file_appeal",
    "proceeding_file_defence",
    "proceeding_finalize",
    "proceeding_receive",
    "proceeding_resolve",
    "recompute_legal_deadlines",
    "remind_companies_of_legal_deadlines",
    "start_served_windows",
]
