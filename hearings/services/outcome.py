"""The end of a hearing and what follows it: the outcome, the acta and its confirmations, the
office's approval (homologación), absences and their justification, and the agreement's follow-up.

Each move: one atomic block; the case row locked first, then the hearing row (the order every
hearings service keeps, so two moves on one hearing never deadlock); the case moved only through
`complaints.services.complaint_transition`; non-state happenings logged with `record_event`;
notifications written to the outbox in the same transaction (delivered after commit).

Deadlines are swept from beat (`act_on_expired_justifications`, `ask_consumers_about_compliance`):
a justification still awaiting the office's decision stops the clock — it was filed in time, so
the consequence waits for the decision, never for the calendar.
"""

import hashlib
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.models import Complaint, Offer, OfferStatus
from complaints.services import (
    CaseError,
    Move,
    case_url,
    complaint_transition,
    lock_case,
    notify_case_parties,
    record_event,
)
from complaints.states import OFFICE_ROLES, State, represents
from complaints.uploads import sniff_content_type
from parties.business_days import deadline_after
from parties.models import User

from ..errors import HearingError
from ..models import (
    AbsenceJustification,
    Acta,
    ActaConfirmation,
    Agreement,
    Attendance,
    ComplianceProof,
    Hearing,
)
from ..notify import notify_hearing
from ..selectors import attended, party_of
from .shared import lock_hearing, on_record

Outcome = Hearing.Outcome
Party = Attendance.Party

# The case's move for each outcome (an adjournment goes through hearings.services.scheduling).
OUTCOME_TRANSITIONS: dict[str, str] = {
    Outcome.AGREEMENT: "record_agreement",
    Outcome.NO_AGREEMENT: "record_no_agreement",
    Outcome.COMPANY_ABSENT: "record_company_absent",
    Outcome.CONSUMER_ABSENT: "record_consumer_absent",
}
# Who was absent, for the outcomes that record an absence (the outcome code is also the case state).
ABSENT_PARTY: dict[str, str] = {Outcome.COMPANY_ABSENT: Party.COMPANY, Outcome.CONSUMER_ABSENT: Party.CONSUMER}
PROOF_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
BATCH = 500


# --- Small helpers -----------------------------------------------------------------------------------


def is_office(user: User | None) -> bool:
    return user is not None and user.role in OFFICE_ROLES


def tolerance_minutes() -> int:
    minutes: int = settings.HEARINGS["TOLERANCE_MINUTES"]  # type: ignore[assignment]
    return minutes


def tolerance_ends_at(hearing: Hearing) -> datetime:
    """Until then the parties may still arrive: no absence can be recorded before it."""
    return hearing.starts_at + timedelta(minutes=tolerance_minutes())


def _when(moment: datetime | date) -> str:
    """A moment as the reader's language writes it, in the office's time."""
    if isinstance(moment, datetime):
        return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    return formats.date_format(moment, "SHORT_DATE_FORMAT")


def _record_text(message: str, **values: object) -> str:
    """A sentence for the case's record (event reasons), in the office's language: the record must not
    depend on the language of whoever clicked. `message` is marked with gettext_noop."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % values if values else _(message)


def _translated_later(message: str, **values: object) -> str:
    """`message` (marked with gettext_noop) translated and filled in only when it is rendered, so the
    outbox writes it in each recipient's own language (it renders under translation.override)."""

    def render() -> str:
        return _(message) % {key: _when(value) if isinstance(value, date) else value for key, value in values.items()}

    return lazy(render, str)()


def _notify_referred(move: Move) -> None:
    notify_case_parties(
        move.case, "complaint_referred", key=f"case-event:{move.event.pk}", context={"reason": move.event.reason}
    )


def _checked_upload(upload: UploadedFile) -> str:
    """The file's type judged from its content (the evidence sniffer): PDF, JPEG or PNG, within the
    evidence size limit. Refused with a message that says what is wrong."""
    name = upload.name or ""
    if not upload.size:
        raise HearingError(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise HearingError(
            _("The file “%(name)s” is %(size)s; the limit is %(limit)s per file.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)}
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type not in PROOF_TYPES:
        raise HearingError(
            _("The file “%(name)s” is not a PDF, JPEG or PNG file (whatever its name says).") % {"name": name}
        )
    return content_type


def _stored_name(content_type: str) -> str:
    # Our name, not the person's: the original is kept only as a label.
    return f"{secrets.token_hex(12)}{PROOF_TYPES[content_type]}"


# --- The outcome ------------------------------------------------------------------------------------


def outcome_record(
    *,
    hearing: Hearing,
    by: User,
    outcome: str,
    notes: str = "",
    terms: str = "",
    amount: Decimal | None = None,
    obligations: str = "",
    compliance_due: date | None = None,
    adjourn_to: datetime | None = None,
) -> Hearing:
    """The conciliator (or the office) records how the hearing ended and the case moves with it.

    agreement → Agreement + `record_agreement`; no_agreement → `record_no_agreement`; an absence →
    its transition and the absent party's deadline to justify it; adjourned → the scheduling
    service's `hearing_adjourn` (which may schedule the continuation). Then the acta is generated
    in the background and every party is told."""
    notes, terms, obligations = notes.strip(), terms.strip(), obligations.strip()
    _check_outcome_details(
        outcome, notes=notes, terms=terms, amount=amount, compliance_due=compliance_due, adjourn_to=adjourn_to
    )
    now = timezone.now()
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        locked.complaint = case
        _check_can_record(locked, by, outcome, now)
        if outcome == Outcome.ADJOURNED:
            # The scheduling service adjourns, schedules the continuation and tells the parties.
            from .scheduling import hearing_adjourn

            hearing_adjourn(hearing=locked, by=by, reason=notes, starts_at=adjourn_to)
            locked = lock_hearing(hearing.pk)
        else:
            changes: dict[str, object] = {}
            if outcome in ABSENT_PARTY:
                changes["justification_due_at"] = deadline_after(now, settings.DEADLINES["ABSENCE_JUSTIFICATION"])
            move = complaint_transition(
                complaint=locked.complaint,
                transition=OUTCOME_TRANSITIONS[outcome],
                by=by,
                reason=_outcome_reason(outcome, notes=notes, terms=terms),
                **changes,
            )
            if outcome == Outcome.AGREEMENT:
                assert compliance_due is not None  # checked above
                Agreement.objects.create(
                    complaint=move.case,
                    hearing=locked,
                    terms=terms,
                    amount=amount,
                    obligations=obligations,
                    compliance_due=compliance_due,
                )
            locked.status = Hearing.Status.HELD
            locked.outcome, locked.outcome_notes = outcome, notes
            locked.outcome_recorded_at, locked.outcome_recorded_by = now, by
            locked.save(
                update_fields=[
                    "status",
                    "outcome",
                    "outcome_notes",
                    "outcome_recorded_at",
                    "outcome_recorded_by",
                    "updated_at",
                ]
            )
            next_steps = _next_steps(
                outcome, compliance_due=compliance_due, justification_due=changes.get("justification_due_at")
            )
            notify_hearing(
                locked,
                "outcome_recorded",
                key=f"hearing:{locked.pk}:outcome",
                context={"outcome_label": Outcome(outcome).label, "next_steps": next_steps},
                conciliator=by.pk != locked.conciliator_id,
            )
        # robust: a broker that is down must not turn a recorded outcome into an error page; the
        # beat job generate_missing_actas picks the hearing up.
        hearing_id = locked.pk
        transaction.on_commit(lambda: _queue_acta(hearing_id), robust=True)
    return locked


def _queue_acta(hearing_id: int) -> None:
    from ..tasks import generate_acta

    generate_acta.delay(hearing_id)


def hearings_missing_their_acta(*, older_than: timedelta = timedelta(minutes=5), limit: int = 200) -> list[int]:
    """Hearings whose outcome was recorded a while ago and whose acta is still not generated (a
    task that never ran, or failed): the beat job queues them again."""
    cutoff = timezone.now() - older_than
    return list(
        Hearing.objects.filter(outcome_recorded_at__lt=cutoff)
        .exclude(outcome="")
        .exclude(acta__sha256__gt="")
        .order_by("outcome_recorded_at")
        .values_list("pk", flat=True)[:limit]
    )


def _check_outcome_details(
    outcome: str,
    *,
    notes: str,
    terms: str,
    amount: Decimal | None,
    compliance_due: date | None,
    adjourn_to: datetime | None,
) -> None:
    if outcome not in Outcome.values:
        raise HearingError(_("Choose the outcome of the hearing."))
    if outcome == Outcome.AGREEMENT:
        if not terms:
            raise HearingError(_("Write the terms the parties agreed."))
        if compliance_due is None:
            raise HearingError(_("Give the date by which the company must comply with the agreement."))
        if compliance_due <= timezone.localdate():
            raise HearingError(_("The compliance deadline must be after today."))
        if amount is not None and amount < 0:
            raise HearingError(_("The amount cannot be negative."))
    if outcome == Outcome.ADJOURNED:
        if not notes:
            raise HearingError(_("Say why the hearing is adjourned."))
        if adjourn_to is not None and adjourn_to <= timezone.now():
            raise HearingError(_("The hearing can only continue on a date in the future."))


def _check_can_record(hearing: Hearing, by: User, outcome: str, now: datetime) -> None:
    if by.pk != hearing.conciliator_id and not is_office(by):
        raise HearingError(_("Only the conciliator of this hearing or the office can record its outcome."))
    if hearing.status == Hearing.Status.CANCELLED:
        raise HearingError(_("This hearing was cancelled: it has no outcome to record."))
    if hearing.status != Hearing.Status.SCHEDULED:
        raise HearingError(
            _("The outcome of this hearing was already recorded: %(outcome)s.")
            % {"outcome": hearing.get_outcome_display()}
        )
    if now < hearing.starts_at:
        raise HearingError(
            _("The hearing has not started yet: its outcome can be recorded from %(start)s.")
            % {"start": _when(hearing.starts_at)}
        )
    if outcome in ABSENT_PARTY:
        ends = tolerance_ends_at(hearing)
        if now < ends:
            raise HearingError(
                _(
                    "The %(minutes)s-minute tolerance runs until %(time)s: "
                    "an absence can be recorded only once it has run out."
                )
                % {
                    "minutes": tolerance_minutes(),
                    "time": timezone.localtime(ends).strftime("%H:%M"),
                }
            )
        if attended(hearing, ABSENT_PARTY[outcome]):
            raise HearingError(
                _(
                    "The attendance record shows that %(party)s joined the hearing. "
                    "If that is wrong, correct the attendance first."
                )
                % {"party": Party(ABSENT_PARTY[outcome]).label.lower()}
            )


def _outcome_reason(outcome: str, *, notes: str, terms: str) -> str:
    """What the conciliator typed (the transition itself names the outcome)."""
    return "\n".join(part for part in (terms, notes) if part)


def _next_steps(outcome: str, *, compliance_due: date | None, justification_due: object) -> str:
    if outcome == Outcome.AGREEMENT:
        return _translated_later(
            gettext_noop(
                "Read the acta and confirm it from your account. The office then approves the agreement "
                "(homologación); the company must comply by %(due)s."
            ),
            due=compliance_due,
        )
    if outcome == Outcome.NO_AGREEMENT:
        return _translated_later(
            gettext_noop("The office will refer the case to the legal department, which may open sanction proceedings.")
        )
    if outcome == Outcome.COMPANY_ABSENT:
        return _translated_later(
            gettext_noop(
                "The company may justify its absence from its account until %(due)s. If it does not, or the "
                "justification is not accepted, the case is referred to sanction proceedings with a fine."
            ),
            due=justification_due,
        )
    return _translated_later(
        gettext_noop(
            "The consumer may justify the absence from their account until %(due)s. "
            "Otherwise the complaint is deemed withdrawn."
        ),
        due=justification_due,
    )


# --- The acta ---------------------------------------------------------------------------------------


def acta_generate(*, hearing_id: int) -> Acta | None:
    """Render the acta to PDF, store it with its SHA-256 and ask the parties to confirm it.

    Idempotent: an acta already generated is kept as it is (parties may have confirmed that exact
    document). The PDF is rendered before any lock is taken; if two workers race, one stores it."""
    from ..acta import render_acta

    hearing = (
        Hearing.objects.select_related("complaint", "complaint__company", "conciliator").filter(pk=hearing_id).first()
    )
    if hearing is None or not hearing.outcome:
        return None
    existing = Acta.objects.filter(hearing=hearing).first()
    if existing is not None and existing.is_ready:
        return existing
    now = timezone.now()
    pdf = render_acta(hearing, generated_at=now)
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing_id)
        acta, _created = Acta.objects.get_or_create(hearing=locked)
        acta = Acta.objects.select_for_update().get(pk=acta.pk)
        if acta.is_ready:
            return acta
        number = locked.complaint.number or locked.complaint_id
        acta.file.save(f"acta-{number}-{locked.pk}.pdf", ContentFile(pdf), save=False)
        acta.sha256, acta.generated_at = digest, now
        try:
            acta.save(update_fields=["file", "sha256", "generated_at"])
        except Exception:
            acta.file.delete(save=False)
            raise
        record_event(case=case, action="acta_generated", by=None, reason=f"SHA-256 {digest}")
        notify_hearing(
            locked,
            "acta_ready",
            key=f"acta:{acta.pk}:ready",
            context={"confirm_url": settings.SITE_URL + reverse("acta_confirm", args=[locked.pk])},
        )
    return acta


def acta_confirm(*, hearing: Hearing, by: User, sha256: str | None = None) -> ActaConfirmation:
    """A party (the consumer, a representative of the company, the conciliator) confirms the acta
    they read: the confirmation keeps that document's SHA-256 and the time."""
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        party = party_of(locked, by)
        if party is None:
            raise HearingError(_("Only the parties to the hearing and its conciliator can confirm its acta."))
        acta = Acta.objects.filter(hearing=locked).first()
        if acta is None or not acta.is_ready:
            raise HearingError(_("The acta is not ready yet. You will be told when it is."))
        if sha256 is not None and sha256 != acta.sha256:
            raise HearingError(_("The acta changed after you opened it. Read it again before confirming it."))
        previous = acta.confirmations.filter(user=by).first()
        if previous is not None:
            raise HearingError(
                _("You already confirmed this acta on %(date)s.") % {"date": _when(previous.confirmed_at)}
            )
        confirmation = ActaConfirmation.objects.create(
            acta=acta, user=by, party=party, sha256=acta.sha256, confirmed_at=timezone.now()
        )
        record_event(
            case=case,
            action="acta_confirmed",
            by=by,
            reason=f"{party} · SHA-256 {acta.sha256}",
        )
    return confirmation


def acta_missing_confirmations(acta: Acta | None) -> list[str]:
    """The sides (consumer, company) that have not confirmed this exact acta yet."""
    if acta is None or not acta.is_ready:
        return [Party.CONSUMER, Party.COMPANY]
    confirmed = {c.party for c in acta.confirmations.all() if c.sha256 == acta.sha256}
    return [party for party in (Party.CONSUMER, Party.COMPANY) if party not in confirmed]


# --- Approval (homologación) ------------------------------------------------------------------------


def agreement_approve(*, complaint: Complaint, by: User) -> Agreement:
    """The office approves the agreement. One reached at a hearing needs the acta confirmed by both
    parties; one reached by accepting an offer gets its Agreement from that offer, so that the
    follow-up is the same for both."""
    if not is_office(by):
        raise HearingError(_("Only the office can approve an agreement."))
    with transaction.atomic():
        case = lock_case(complaint.pk)
        if case.status != State.AGREEMENT:
            raise HearingError(
                _("Only an agreement awaiting approval can be approved; this case is “%(state)s”.")
                % {"state": case.get_status_display()}
            )
        agreement = Agreement.objects.filter(complaint=case).first()
        acta = None
        if agreement is None:
            agreement = _agreement_from_offer(case)
        elif agreement.hearing_id is not None:
            acta = Acta.objects.filter(hearing_id=agreement.hearing_id).prefetch_related("confirmations").first()
            _ensure_confirmed(acta)
        complaint_transition(
            complaint=case,
            transition="approve_agreement",
            by=by,
            reason=_record_text(gettext_noop("Compliance due by %(date)s."), date=on_record(agreement.compliance_due)),
        )
        if acta is not None:
            acta.approved_at, acta.approved_by = timezone.now(), by
            acta.save(update_fields=["approved_at", "approved_by"])
        notify_case_parties(
            case,
            "case_update",
            key=f"agreement:{agreement.pk}:approved",
            context={"update": "agreement_approved", "compliance_due": agreement.compliance_due},
        )
    return agreement


def _agreement_from_offer(case: Complaint) -> Agreement:
    offer = Offer.objects.filter(complaint=case, status=OfferStatus.ACCEPTED).order_by("-answered_at", "-pk").first()
    if offer is None:
        raise HearingError(_("This case has no accepted offer or hearing agreement to approve."))
    return Agreement.objects.create(
        complaint=case, hearing=None, terms=offer.terms, amount=offer.amount, compliance_due=offer.fulfil_by
    )


def _ensure_confirmed(acta: Acta | None) -> None:
    if acta is None or not acta.is_ready:
        raise HearingError(
            _(
                "The acta of the hearing is not ready yet: "
                "both parties must confirm it before the agreement is approved."
            )
        )
    missing = acta_missing_confirmations(acta)
    if missing:
        raise HearingError(
            _("Both parties must confirm the acta before the agreement is approved. Still to confirm: %(missing)s.")
            % {"missing": ", ".join(str(Party(party).label).lower() for party in missing)}
        )


# --- Absences ---------------------------------------------------------------------------------------


def absence_justify(*, hearing: Hearing, by: User, text: str, file: UploadedFile | None = None) -> AbsenceJustification:
    """The absent side explains why, before the deadline; the office then decides."""
    text = text.strip()
    if not text:
        raise HearingError(_("Explain why you could not attend the hearing."))
    content_type = _checked_upload(file) if file is not None else None
    with transaction.atomic():
        case = lock_case(hearing.complaint_id)
        locked = lock_hearing(hearing.pk)
        absent = ABSENT_PARTY.get(locked.outcome)
        if absent is None:
            raise HearingError(_("Nobody was recorded absent from this hearing."))
        if party_of(locked, by) != absent:
            raise HearingError(_("Only the party recorded absent can justify the absence."))
        earlier = locked.justifications.filter(party=absent).exclude(decision=AbsenceJustification.Decision.REJECTED)
        if earlier.filter(decision=AbsenceJustification.Decision.ACCEPTED).exists():
            raise HearingError(_("The justification of this absence was already accepted."))
        if earlier.exists():
            raise HearingError(_("Your justification is awaiting the office's decision."))
        if case.status != locked.outcome:
            raise HearingError(
                _("This case has moved on (“%(state)s”): the absence can no longer be justified.")
                % {"state": case.get_status_display()}
            )
        if case.justification_due_at is None or timezone.now() > case.justification_due_at:
            raise HearingError(
                _("The deadline to justify the absence passed on %(date)s.")
                % {"date": _when(case.justification_due_at or locked.starts_at)}
            )
        justification = AbsenceJustification(hearing=locked, party=absent, text=text, submitted_by=by)
        if file is not None and content_type is not None:
            justification.file.save(_stored_name(content_type), file, save=False)
        try:
            justification.save()
        except Exception:
            if justification.file:
                justification.file.delete(save=False)
            raise
        record_event(case=case, action="absence_justified", by=by, reason=text)
    return justification


def absence_decide(
    *, justification: AbsenceJustification, by: User, accept: bool, reason: str = ""
) -> AbsenceJustification:
    """The office accepts (company: a new hearing can be scheduled; consumer: the case is reactivated)
    or rejects (the consequence at once: company → referred; consumer → deemed withdrawn)."""
    if not is_office(by):
        raise HearingError(_("Only the office decides on a justification."))
    reason = reason.strip()
    if not accept and not reason:
        raise HearingError(_("Say why the justification is not accepted."))
    case_id = Hearing.objects.filter(pk=justification.hearing_id).values_list("complaint_id", flat=True).get()
    with transaction.atomic():
        case = lock_case(case_id)
        hearing = lock_hearing(justification.hearing_id)
        locked = AbsenceJustification.objects.select_for_update().get(pk=justification.pk)
        if locked.decision != AbsenceJustification.Decision.PENDING:
            raise HearingError(_("This justification was already decided."))
        if case.status != hearing.outcome:
            raise HearingError(
                _("This case has moved on (“%(state)s”): the justification can no longer be decided.")
                % {"state": case.get_status_display()}
            )
        locked.decision = AbsenceJustification.Decision.ACCEPTED if accept else AbsenceJustification.Decision.REJECTED
        locked.decision_reason, locked.decided_by, locked.decided_at = reason, by, timezone.now()
        locked.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
        company = locked.party == Party.COMPANY
        if accept and company:
            # The case stays "company absent" until the office schedules the new hearing (that move
            # is schedule_hearing); without a deadline the beat job leaves it alone.
            record_event(case=case, action="absence_accepted", by=by, reason=reason)
            case.justification_due_at = None
            case.save(update_fields=["justification_due_at", "updated_at"])
            notify_case_parties(
                case, "case_update", key=f"justification:{locked.pk}:decided", context={"update": "absence_accepted"}
            )
        elif accept:
            complaint_transition(
                complaint=case, transition="reactivate", by=by, reason=reason, justification_due_at=None
            )
            notify_case_parties(
                case, "case_update", key=f"justification:{locked.pk}:decided", context={"update": "absence_reactivated"}
            )
        else:
            why = _record_text(
                gettext_noop("The justification of the absence was not accepted: %(reason)s"), reason=reason
            )
            move = complaint_transition(
                complaint=case,
                transition="refer" if company else "deem_withdrawn",
                by=by,
                reason=why,
                justification_due_at=None,
            )
            _notify_consequence(move, company=company)
    return locked


def _notify_consequence(move: Move, *, company: bool) -> None:
    if company:
        _notify_referred(move)
    else:
        notify_case_parties(
            move.case, "complaint_withdrawn", key=f"case-event:{move.event.pk}", context={"reason": move.event.reason}
        )


def act_on_expired_justifications(now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat: an absence not justified in time has its consequence — the company's case is referred
    (with a fine, by the legal department), the consumer's complaint is deemed withdrawn. A case
    with a justification awaiting the office's decision is left for that decision."""
    now = now or timezone.now()
    pending = AbsenceJustification.objects.filter(
        hearing__complaint=OuterRef("pk"), decision=AbsenceJustification.Decision.PENDING
    )
    due = (
        Complaint.objects.filter(status__in=[State.COMPANY_ABSENT, State.CONSUMER_ABSENT], justification_due_at__lt=now)
        .exclude(Exists(pending))
        .order_by("justification_due_at")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in list(due[:limit]):
        try:
            with transaction.atomic():
                case = lock_case(pk)
                # Re-read under the lock: a justification may have arrived at the last minute.
                if case.justification_due_at is None or case.justification_due_at >= now:
                    continue
                if AbsenceJustification.objects.filter(
                    hearing__complaint=case, decision=AbsenceJustification.Decision.PENDING
                ).exists():
                    continue
                company = case.status == State.COMPANY_ABSENT
                reason = _record_text(
                    gettext_noop("The company did not justify its absence from the hearing in time.")
                    if company
                    else gettext_noop("The consumer did not justify their absence from the hearing in time.")
                )
                move = complaint_transition(
                    complaint=case,
                    transition="refer" if company else "deem_withdrawn",
                    by=None,
                    reason=reason,
                    justification_due_at=None,
                )
                _notify_consequence(move, company=company)
            done += 1
        except CaseError:
            continue  # it moved meanwhile: nothing to do
    return done


# --- Agreement follow-up ----------------------------------------------------------------------------


def ask_consumers_about_compliance(now: datetime | None = None, limit: int = BATCH) -> int:
    """Beat: once an approved agreement's deadline has come, ask the consumer whether it was honoured.
    Each agreement is asked once (compliance_asked_at; the outbox key makes a re-run send nothing)."""
    now = now or timezone.now()
    due = (
        Agreement.objects.filter(
            compliance_asked_at__isnull=True,
            compliance_due__lte=timezone.localdate(now),
            complaint__status=State.AGREEMENT_APPROVED,
        )
        .order_by("compliance_due", "pk")
        .values_list("pk", "complaint_id")
    )
    done = 0
    for pk, case_id in list(due[:limit]):
        with transaction.atomic():
            case = lock_case(case_id)
            agreement = Agreement.objects.select_for_update().get(pk=pk)
            if agreement.compliance_asked_at is not None or case.status != State.AGREEMENT_APPROVED:
                continue
            agreement.compliance_asked_at = now
            agreement.save(update_fields=["compliance_asked_at"])
            record_event(case=case, action="compliance_asked", by=None, reason=on_record(agreement.compliance_due))
            notify_case_parties(
                case,
                "compliance_due",
                key=f"agreement:{agreement.pk}:compliance-due",
                company=False,
                context={
                    "compliance_due": agreement.compliance_due,
                    "terms": agreement.terms,
                    "case_url": case_url(case, "compliance_answer"),
                },
            )
        done += 1
    return done


def _ensure_follow_up(case: Complaint, by: User) -> None:
    if by.pk != case.consumer_id and not is_office(by):
        raise HearingError(_("Only the consumer or the office can say whether the agreement was honoured."))
    if case.status != State.AGREEMENT_APPROVED:
        raise HearingError(
            _("Compliance is followed once the office approves the agreement; this case is “%(state)s”.")
            % {"state": case.get_status_display()}
        )


def compliance_confirm(*, complaint: Complaint, by: User) -> Complaint:
    """The agreement was honoured: the case is closed as complied."""
    with transaction.atomic():
        case = lock_case(complaint.pk)
        _ensure_follow_up(case, by)
        move = complaint_transition(
            complaint=case,
            transition="confirm_compliance",
            by=by,
            reason=_record_text(gettext_noop("The company complied with the agreement.")),
        )
        notify_case_parties(
            move.case, "case_update", key=f"case-event:{move.event.pk}", context={"update": "compliance_confirmed"}
        )
    return move.case


def compliance_report_breach(*, complaint: Complaint, by: User, details: str) -> Complaint:
    """The agreement was not honoured: breached, then referred by the system at once (breaching an
    agreement is itself an infraction, Ley 24.240 art. 46)."""
    details = details.strip()
    if not details:
        raise HearingError(_("Say what the company did not do."))
    with transaction.atomic():
        case = lock_case(complaint.pk)
        _ensure_follow_up(case, by)
        breach = complaint_transition(complaint=case, transition="report_breach", by=by, reason=details)
        notify_case_parties(
            breach.case,
            "agreement_breached",
            key=f"case-event:{breach.event.pk}",
            consumer=False,
            context={"details": details, "reported_at": breach.event.created_at},
        )
        referral = complaint_transition(
            complaint=breach.case,
            transition="refer",
            by=None,
            reason=_record_text(gettext_noop("The agreement was breached (Ley 24.240, art. 46).")),
        )
        _notify_referred(referral)
    return referral.case


def compliance_proof_upload(*, complaint: Complaint, by: User, upload: UploadedFile, note: str = "") -> ComplianceProof:
    """A representative of the company files proof that it paid or delivered."""
    content_type = _checked_upload(upload)
    with transaction.atomic():
        case = lock_case(complaint.pk)
        if not represents(by, case):
            raise HearingError(_("Only a representative of the company can upload proof of compliance."))
        agreement = Agreement.objects.filter(complaint=case).first()
        if agreement is None or case.status not in (State.AGREEMENT, State.AGREEMENT_APPROVED):
            raise HearingError(_("Proof of compliance can be uploaded while an agreement is being followed."))
        proof = ComplianceProof(
            agreement=agreement,
            original_name=upload.name or "",
            content_type=content_type,
            size=upload.size or 0,
            note=note.strip(),
            uploaded_by=by,
        )
        proof.file.save(_stored_name(content_type), upload, save=False)
        try:
            proof.save()
        except Exception:
            proof.file.delete(save=False)
            raise
        record_event(case=case, action="compliance_proof_uploaded", by=by, reason=proof.note or proof.original_name)
    return proof


# --- Referral by the office -------------------------------------------------------------------------


def case_refer(*, complaint: Complaint, by: User, reason: str = "") -> Complaint:
    """The office refers the case to the legal department (e.g. after a hearing without agreement)."""
    if not is_office(by):
        raise HearingError(_("Only the office can refer a case to the legal department."))
    with transaction.atomic():
        case = lock_case(complaint.pk)
        if case.status == State.COMPANY_ABSENT:
            # The company's right to justify its absence comes first (DOMAIN.md).
            pending = AbsenceJustification.objects.filter(
                hearing__complaint=case, party=Party.COMPANY, decision=AbsenceJustification.Decision.PENDING
            ).exists()
            if pending:
                raise HearingError(_("The company justified its absence: decide on the justification first."))
            if case.justification_due_at is not None and timezone.now() <= case.justification_due_at:
                raise HearingError(
                    _("The company may still justify its absence until %(date)s; refer the case after that.")
                    % {"date": _when(case.justification_due_at)}
                )
        move = complaint_transition(complaint=case, transition="refer", by=by, reason=reason.strip())
        _notify_referred(move)
    return move.case
