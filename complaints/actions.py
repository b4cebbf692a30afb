"""The case's vocabulary: every action a `CaseEvent` can record, declared once, where its app lives.

A declaration says what the action is called on the timeline (in the reader's language), whether it
closes the case, and which notification event it sends, if any. This module declares the actions of
the complaints floor: every django-fsm transition of `Complaint` (the code is the transition's name,
which existing CaseEvent rows hold) and the moves that leave the state as it is. A floor above
declares its own in its `actions.py`, imported from its AppConfig.ready (e.g. hearings/actions.py),
so a new action is one `register(...)` call:

    SOMETHING_DONE = register("something_done", _("Something was done"), notifies="case_update")

`record_event` refuses a code nobody declared (a programming error). Read it back with `get(code)`;
`all()` lists every declaration (the timeline, the workflow document and the tests read them).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class CaseEventLike(Protocol):
    action: str
    reason: str


class UnknownAction(LookupError):
    """A case action nobody declared: a programming error, never a person's mistake."""


@dataclass(frozen=True)
class CaseAction:
    code: str
    # What the timeline calls it; lazy, so each reader sees it in their own language.
    label: str | Promise = field(compare=False)
    # The case is over after it: the move stamps `closed_at`.
    closes_case: bool = False
    # The notification event the move sends to the parties (notifications/events.py), or None.
    notifies: str | None = None
    # Its reason is for the office and the consumer only: the company sees that it happened, not why
    # (e.g. the consumer's hipervulnerability categories, sensitive data). The case page and the
    # company API both ask `reason_for(event, company_side=...)`.
    reason_private: bool = False

    def __str__(self) -> str:
        return str(self.label)


_REGISTRY: dict[str, CaseAction] = {}


def register(
    code: str,
    label: str | Promise,
    *,
    closes_case: bool = False,
    notifies: str | None = None,
    reason_private: bool = False,
) -> CaseAction:
    """Declare an action. Declaring a code twice is refused: two apps would disagree on its meaning."""
    if code in _REGISTRY:
        raise ValueError(f"The case action {code!r} is already declared.")
    action = CaseAction(
        code=code, label=label, closes_case=closes_case, notifies=notifies, reason_private=reason_private
    )
    _REGISTRY[code] = action
    return action


def get(code: str) -> CaseAction:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise UnknownAction(
            f"Undeclared case action {code!r}: declare it with complaints.actions.register()."
        ) from None


def reason_for(event: "CaseEventLike", *, company_side: bool) -> str:
    """The event's reason as a reader sees it: empty for the company when the action keeps it private."""
    if company_side and get(event.action).reason_private:
        return ""
    return event.reason


def is_declared(code: str) -> bool:
    return code in _REGISTRY


def all() -> Iterator[CaseAction]:  # the name reads as actions.all(); shadows the builtin here only
    return iter(list(_REGISTRY.values()))


# --- The complaints floor's moves: the transitions of Complaint ------------------------------------

SUBMIT = register("submit", _("Complaint submitted"), notifies="complaint_received")
RESUBMIT = register("resubmit", _("Corrected complaint resubmitted"), notifies="complaint_received")
OBSERVE = register("observe", _("Correction requested"), notifies="complaint_observed")
REJECT = register("reject", _("Complaint rejected"), closes_case=True, notifies="complaint_rejected")
ADMIT = register("admit", _("Complaint admitted"), notifies="complaint_admitted")
SERVE_COMPANY = register("serve_company", _("Company served with the formal notice"), notifies="company_served")
ACCEPT_OFFER = register("accept_offer", _("Offer accepted by the consumer"), notifies="offer_answered")
WITHDRAW = register(
    "withdraw", _("Complaint withdrawn by the consumer"), closes_case=True, notifies="complaint_withdrawn"
)
ARCHIVE = register("archive", _("Case archived"), closes_case=True, notifies="complaint_archived")
REFER = register("refer", _("Referred to the legal directorate"), closes_case=True, notifies="complaint_referred")
# Transitions the hearings floor drives (through complaints.services.complaint_transition).
SCHEDULE_HEARING = register("schedule_hearing", _("Hearing scheduled"), notifies="hearing_scheduled")
CANCEL_HEARING = register("cancel_hearing", _("Hearing cancelled"), notifies="hearing_cancelled")
ADJOURN = register("adjourn", _("Hearing adjourned (cuarto intermedio)"), notifies="outcome_recorded")
RECORD_AGREEMENT = register("record_agreement", _("Agreement reached at the hearing"), notifies="outcome_recorded")
RECORD_NO_AGREEMENT = register("record_no_agreement", _("No agreement at the hearing"), notifies="outcome_recorded")
RECORD_COMPANY_ABSENT = register(
    "record_company_absent", _("Company absent from the hearing"), notifies="outcome_recorded"
)
RECORD_CONSUMER_ABSENT = register(
    "record_consumer_absent", _("Consumer absent from the hearing"), notifies="outcome_recorded"
)
APPROVE_AGREEMENT = register("approve_agreement", _("Agreement approved (homologado)"), notifies="case_update")
CONFIRM_COMPLIANCE = register(
    "confirm_compliance", _("Compliance with the agreement confirmed"), closes_case=True, notifies="case_update"
)
REPORT_BREACH = register("report_breach", _("Breach of the agreement reported"), notifies="agreement_breached")
REACTIVATE = register("reactivate", _("Case reactivated"), notifies="case_update")
DEEM_WITHDRAWN = register(
    "deem_withdrawn", _("Complaint deemed withdrawn"), closes_case=True, notifies="complaint_withdrawn"
)

# --- Moves that leave the state as it is ------------------------------------------------------------

COMPANY_ANSWERED = register("company_answered", _("Written answer from the company"), notifies="company_answered")
OFFER_MADE = register("offer_made", _("Offer from the company"), notifies="offer_made")
OFFER_REJECTED = register("offer_rejected", _("Offer rejected by the consumer"), notifies="offer_answered")
OFFER_COUNTERED = register("offer_countered", _("Offer rejected with a counter-offer"), notifies="offer_answered")

# --- Who takes part: several companies, paper service, competence, representatives ----------------

REFER_OUT = register(
    "refer_out", _("Referred to the competent authority"), closes_case=True, notifies="complaint_referred_out"
)
CONCLUDE = register("conclude", _("Case concluded: every company's part has ended"), closes_case=True)
# One company's part moving on its own (a case of several companies): the reason names the company.
PART_SERVED = register("part_served", _("A company was served with the formal notice"))
PART_AGREEMENT = register("part_agreement", _("Agreement with a company"))
PART_NO_AGREEMENT = register("part_no_agreement", _("No agreement with a company"))
PART_ABSENT = register("part_absent", _("A company was absent from the hearing"))
PART_COMPLIED = register("part_complied", _("A company complied with its agreement"))
PART_REFERRED = register("part_referred", _("A company's part referred to the legal directorate"))
PART_RESUMED = register("part_resumed", _("A company's part resumed (absence excused)"))
PAPER_NOTICE_PRINTED = register("paper_notice_printed", _("Paper notice printed for a company"))
PAPER_NOTICE_DISPATCHED = register("paper_notice_dispatched", _("Paper notice dispatched"))
PAPER_NOTICE_DELIVERED = register("paper_notice_delivered", _("Paper notice delivered"))
PAPER_NOTICE_FAILED = register("paper_notice_failed", _("Paper notice not delivered"))
CONSUMER_REP_NAMED = register("consumer_rep_named", _("Consumer's representative named"))
CONSUMER_REP_VALIDATED = register("consumer_rep_validated", _("Power of the consumer's representative validated"))
CONSUMER_REP_REJECTED = register("consumer_rep_rejected", _("Power of the consumer's representative rejected"))
CONSUMER_REP_REVOKED = register("consumer_rep_revoked", _("Consumer's representative revoked"))
VULNERABLE_FLAGGED = register("vulnerable_flagged", _("Consumer flagged as hipervulnerable"), reason_private=True)
VULNERABLE_UNFLAGGED = register("vulnerable_unflagged", _("Hipervulnerable flag removed"), reason_private=True)

# --- Duplicates at admission (complaints/services/duplicates.py). The duplicate itself is closed by
# the `reject` transition (reason "duplicate"), which tells the consumer; these record the other side.
DUPLICATE_JOINED = register("duplicate_joined", _("A duplicate complaint was joined into this case"))
DUPLICATE_REJECTED = register("duplicate_rejected", _("A complaint was rejected as a duplicate of this case"))
# Its reason starts with the other case's number (complaints/duplicates.py reads it back).
DUPLICATE_DISMISSED = register("duplicate_dismissed", _("Not a duplicate: the office cleared the flag"))

# --- The admission queue's allocation (complaints/services/allocation.py): the office's own work ------

# --- The company's own handling (complaints/services/assignment.py) --------------------------------

COMPANY_ACKNOWLEDGED = register("company_acknowledged", _("The company acknowledged receiving the case"))

ADMISSION_ASSIGNED = register("admission_assigned", _("Complaint assigned to an admission officer"))
