"""The legal directorate's queue fills itself, and its proceedings follow what happens around them.

- When a case move refers a company's part (the case-wide `refer`, or one company's `part_referred`),
  or a hearing ends without agreement for the whole case (`record_no_agreement`: the case waits in
  "no agreement", each part in NO_AGREEMENT), a proceeding opens for each such part, in the same
  transaction, under the case's lock. Idempotent: one proceeding per part (unique).
- When a charge's or a resolution's formal notice is served (notifications' `formal_notice_served`,
  after its commit), its window starts (legal/services/deadlines.py; the beat does it too).
- When privacy anonymises a closed case (`case_anonymised`), the proceedings' free texts go and the
  defence document leaves the storage after the commit (its SHA-256 stays as the record)."""

from functools import partial

from django.db import transaction
from django.dispatch import receiver

from complaints import actions
from complaints.models import CaseCompany, CaseEvent, Complaint, PartStatus
from complaints.signals import case_event_recorded
from complaints.states import State
from hearings.models import Agreement, PartOutcome
from notifications.models import FormalNotice
from notifications.signals import formal_notice_served

from .models import Proceeding, ReferralReason

REFERRING_ACTIONS = frozenset({actions.REFER.code, actions.PART_REFERRED.code})
CASE_ANONYMISED = "case_anonymised"  # privacy/actions.py declares it (a floor beside this one)
# The case-wide referral, by the state it left.
REASON_BY_CASE_STATE = {
    State.NO_AGREEMENT: ReferralReason.NO_AGREEMENT,
    State.COMPANY_ABSENT: ReferralReason.COMPANY_ABSENT,
    State.BREACHED: ReferralReason.BREACH,
}
# One company's referral, by the part's own move that preceded it (codes, never translated words).
REASON_BY_PART_ACTION = {
    actions.PART_NO_AGREEMENT.code: ReferralReason.NO_AGREEMENT,
    actions.PART_ABSENT.code: ReferralReason.COMPANY_ABSENT,
    actions.PART_AGREEMENT.code: ReferralReason.BREACH,
    actions.PART_RESUMED.code: ReferralReason.OTHER,
}
REASON_BY_OUTCOME = {
    "no_agreement": ReferralReason.NO_AGREEMENT,
    "company_absent": ReferralReason.COMPANY_ABSENT,
    "agreement": ReferralReason.BREACH,
}


def part_referral_reason(part: CaseCompany, event: CaseEvent) -> str:
    """Why this company's part was referred on its own, from data that does not depend on any
    language: an agreement of its own (only a breach refers a company that agreed), else the last move
    of its part before the referral (part_no_agreement, part_absent… — a part's events begin with its
    name), else its last hearing outcome."""
    if Agreement.objects.filter(part_id=part.pk).exists():
        return ReferralReason.BREACH
    earlier = (
        CaseEvent.objects.filter(complaint_id=part.complaint_id, action__in=REASON_BY_PART_ACTION, pk__lt=event.pk)
        .order_by("-pk")
        .values_list("action", "reason")
    )
    prefix = f"{part.display_name} ("
    for action, reason in earlier:
        if reason.startswith(prefix):
            return REASON_BY_PART_ACTION[action]
    outcomes = PartOutcome.objects.filter(part_id=part.pk).order_by("-recorded_at", "-pk")
    return REASON_BY_OUTCOME.get(outcomes.values_list("outcome", flat=True).first() or "", ReferralReason.OTHER)


def _open(case: Complaint, event: CaseEvent, parts: list[CaseCompany], reason_of) -> None:
    Proceeding.objects.bulk_create(
        [
            Proceeding(
                complaint_id=case.pk,
                part=part,
                company_name=part.display_name[:200],
                company_cuit=part.company.cuit if part.company is not None else part.cuit,
                referral_reason=reason_of(part),
                referral_note=event.reason,
                received_at=event.created_at,
            )
            for part in parts
        ],
        ignore_conflicts=True,
    )


@receiver(case_event_recorded, sender=CaseEvent, dispatch_uid="legal.open_proceedings")
def open_proceedings(sender, case: Complaint, event: CaseEvent, **kwargs) -> None:
    if event.action == actions.RECORD_NO_AGREEMENT.code:
        # A hearing without agreement for the whole case: the directorate hears of it at once (its
        # `receive` move refers the case if nobody has by then).
        waiting = list(
            CaseCompany.objects.filter(
                complaint_id=case.pk, status=PartStatus.NO_AGREEMENT, proceeding__isnull=True
            ).select_related("company")
        )
        _open(case, event, waiting, lambda part: ReferralReason.NO_AGREEMENT)
        return
    if event.action == CASE_ANONYMISED:
        _forget_personal_data(case)
        return
    if event.action not in REFERRING_ACTIONS:
        return
    if event.action == actions.REFER.code and event.actor_id is not None and event.reason:
        # The office's own words on referring a case whose proceeding opened at the hearing's end.
        Proceeding.objects.filter(
            complaint_id=case.pk, status="received", acknowledged_at__isnull=True, part__status=PartStatus.REFERRED
        ).update(referral_note=event.reason)
    parts = list(
        CaseCompany.objects.filter(
            complaint_id=case.pk, status=PartStatus.REFERRED, proceeding__isnull=True
        ).select_related("company")
    )
    if event.action == actions.REFER.code:
        reason = REASON_BY_CASE_STATE.get(event.from_state, ReferralReason.OTHER)  # type: ignore[call-overload]
        _open(case, event, parts, lambda part: reason)
    else:
        _open(case, event, parts, lambda part: part_referral_reason(part, event))


@receiver(formal_notice_served, sender=FormalNotice, dispatch_uid="legal.start_windows")
def start_windows(sender, notice: FormalNotice, **kwargs) -> None:
    """After the notice's commit: start the window it opens (the beat catches any this misses)."""
    if (
        not Proceeding.objects.filter(charge_notice_id=notice.pk).exists()
        and not Proceeding.objects.filter(resolution_notice_id=notice.pk).exists()
    ):
        return
    from .services import start_served_windows

    start_served_windows(notice_id=notice.pk)


PERSONAL_TEXTS = (
    "referral_note",
    "charge_text",
    "defence_text",
    "archive_reason",
    "resolution_text",
    "appeal_text",
    "appeal_result",
)


def _forget_personal_data(case: Complaint) -> None:
    """The case's personal data went (privacy/services/anonymisation.py); the proceedings' words
    (the facts, the defence, the grounds: often names, addresses, accounts) go too. The act numbers,
    the fines, the dates and the defence's SHA-256 stay: the sanction remains on record."""
    proceedings = Proceeding.objects.filter(complaint_id=case.pk)
    names = [name for name in proceedings.exclude(defence_file="").values_list("defence_file", flat=True) if name]
    proceedings.update(**dict.fromkeys(PERSONAL_TEXTS, ""), defence_file="")
    if names:
        transaction.on_commit(partial(_delete_files, names), robust=True)


def _delete_files(names: list[str]) -> None:
    storage = Proceeding._meta.get_field("defence_file").storage
    for name in names:
        storage.delete(name)
