"""Which moves of a case a company hears of by webhook, declared once: the case action's code (as
declared by complaints/actions.py and hearings/actions.py) → the webhook event it sends.

Whom a delivery goes to: the active endpoints subscribed to the event, of the companies served in the
case (CaseCompany.notified_at set: the companies the API shows the case to), except:
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


@dataclass(frozen=True)
class CaseWebhook:
    event: WebhookEvent
    # A part's own move: only the parts now in this status (the one the move gives) hear of it.
    part_status: str | None = None
    # The payload carries the hearing the move was about (the case's hearing changed last).
    with_hearing: bool = False


SERVED = CaseWebhook(WebhookEvent.CASE_SERVED)
SCHEDULED = CaseWebhook(WebhookEvent.HEARING_SCHEDULED, with_hearing=True)
OUTCOME = CaseWebhook(WebhookEvent.CASE_OUTCOME)
HEARING_OUTCOME = CaseWebhook(WebhookEvent.CASE_OUTCOME, with_hearing=True)


def _part(status: str) -> CaseWebhook:
    return CaseWebhook(WebhookEvent.CASE_OUTCOME, part_status=status, with_hearing=False)


CASE_EVENT_WEBHOOKS: dict[str, CaseWebhook] = {
    # Served: the case's own move (one company, or the last of several), a part served on its own,
    # and a paper notice proven delivered (the company's part counts as served from then on).
    case.SERVE_COMPANY.code: SERVED,
    case.PART_SERVED.code: SERVED,
    case.PAPER_NOTICE_DELIVERED.code: SERVED,
    # A hearing set, moved, cancelled, or the same hearing with another conciliator.
    case.SCHEDULE_HEARING.code: SCHEDULED,
    hearing.RESCHEDULE_HEARING.code: SCHEDULED,
    case.CANCEL_HEARING.code: SCHEDULED,
    hearing.PART_HEARING_SCHEDULED.code: SCHEDULED,
    hearing.HEARING_REASSIGNED.code: SCHEDULED,
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
    hearing.ACTA_GENERATED.code: CaseWebhook(WebhookEvent.ACTA_READY, with_hearing=True),
}


def webhook_for(action_code: str) -> CaseWebhook | None:
    """The webhook a case action sends, or None (most actions send none)."""
    return CASE_EVENT_WEBHOOKS.get(action_code)
