"""Which moves of a case a company hears of by webhook, declared once: the case action's code (as
declared by complaints/actions.py and hearings/actions.py) → the webhook event it sends.

Whom a delivery goes to: the active endpoints subscribed to the event, of the companies that see the
case (complaints.selectors.parts_seen_by_their_company: served, and for the lead company while the case
is in a state shown to companies — the rule the pages and the API read), except:
- `case.served` goes once per company part (source "part:<pk>:served"), whichever move served it: a
  company served later in a case of several gets its own, and the case's own move after the last
  one is served repeats nobody's;
- a part's own move (`part_agreement`, …) goes only to the company whose part it moved (its status is
  the one the move gives), not to the other companies of the case.

deadline.near is not a case action: oversight's reminders send it (api/receivers.py).

Adding one is a line here; the payload is built in api/webhooks/fanout.py."""

from dataclasses import dataclass

from api.models import WebhookEvent
from complaints import actions as case
from complaints.models import PartStatus
from hearings import actions as hearing

# When the payload's hearing can be read (api/webhooks/fanout.py), by where the hearings floor saves the
# hearing a move is about relative to the case's event:
# - BEFORE the event (a hearing moved, given another conciliator, booked for the remaining companies):
#   read in the move itself, under the case's lock — the hearing of the case saved last;
# - AFTER it (a hearing booked, called off, its outcome written — the case moves first): read right
#   after the move commits, before the delivery is queued — the first hearing of the case saved at or
#   after the event's time, so that a later move's hearing is never taken for it.
HEARING_SAVED_BEFORE = "before"
HEARING_SAVED_AFTER = "after"


@dataclass(frozen=True)
class CaseWebhook:
    event: WebhookEvent
    # A part's own move: only the parts now in this status (the one the move gives) hear of it.
    part_status: str | None = None
    # The payload carries the hearing the move was about: HEARING_SAVED_BEFORE/AFTER (see above), or
    # "" for none. acta.ready carries its acta's hearing (read in the move).
    hearing: str = ""


SERVED = CaseWebhook(WebhookEvent.CASE_SERVED)
BOOKED = CaseWebhook(WebhookEvent.HEARING_SCHEDULED, hearing=HEARING_SAVED_AFTER)
MOVED = CaseWebhook(WebhookEvent.HEARING_SCHEDULED, hearing=HEARING_SAVED_BEFORE)
OUTCOME = CaseWebhook(WebhookEvent.CASE_OUTCOME)
HEARING_OUTCOME = CaseWebhook(WebhookEvent.CASE_OUTCOME, hearing=HEARING_SAVED_AFTER)


def _part(status: str) -> CaseWebhook:
    return CaseWebhook(WebhookEvent.CASE_OUTCOME, part_status=status)


CASE_EVENT_WEBHOOKS: dict[str, CaseWebhook] = {
    # Served: the case's own move (one company, or the last of several), a part served on its own,
    # and a paper notice proven delivered (the company's part counts as served from then on).
    case.SERVE_COMPANY.code: SERVED,
    case.PART_SERVED.code: SERVED,
    case.PAPER_NOTICE_DELIVERED.code: SERVED,
    # A hearing set, moved, cancelled, or the same hearing with another conciliator.
    case.SCHEDULE_HEARING.code: BOOKED,
    hearing.RESCHEDULE_HEARING.code: MOVED,
    case.CANCEL_HEARING.code: BOOKED,
    hearing.PART_HEARING_SCHEDULED.code: MOVED,
    hearing.HEARING_REASSIGNED.code: MOVED,
    # What the hearing decided.
    case.RECORD_AGREEMENT.code: HEARING_OUTCOME,
    case.RECORD_NO_AGREEMENT.code: HEARING_OUTCOME,
    case.RECORD_COMPANY_ABSENT.code: HEARING_OUTCOME,
    case.RECORD_CONSUMER_ABSENT.code: HEARING_OUTCOME,
    case.ADJOURN.code: HEARING_OUTCOME,
    # How the case ended, or moved towards its end, without a hearing.
    case.ACCEPT_OFFER.code: OUTCOME,
    case.WITHDRAW.code: OUTCOME,
    case.DEEM_WITHDRAWN.code: OUTCOME,
    case.REFER.code: OUTCOME,
    case.ARCHIVE.code: OUTCOME,
    case.CONCLUDE.code: OUTCOME,
    case.CONFIRM_COMPLIANCE.code: OUTCOME,
    # One company's part, in a case of several.
    case.PART_AGREEMENT.code: _part(PartStatus.AGREEMENT),
    case.PART_NO_AGREEMENT.code: _part(PartStatus.NO_AGREEMENT),
    case.PART_ABSENT.code: _part(PartStatus.ABSENT),
    case.PART_COMPLIED.code: _part(PartStatus.COMPLIED),
    case.PART_REFERRED.code: _part(PartStatus.REFERRED),
    # The acta is ready to confirm.
    hearing.ACTA_GENERATED.code: CaseWebhook(WebhookEvent.ACTA_READY, hearing=HEARING_SAVED_BEFORE),
}


def webhook_for(action_code: str) -> CaseWebhook | None:
    """The webhook a case action sends, or None (most actions send none)."""
    return CASE_EVENT_WEBHOOKS.get(action_code)
