"""Every wait that has a clock, declared once: what it is, who acts, its deadline (a setting), which
waits are open for a case right now (read from the case's current rows), who is reminded, and what
happens when the deadline passes.

A rule's `open_for(case)` returns one `Wait` per open wait; oversight/services/clocks.py opens the
clocks not yet open and closes those no longer open on every case event, and the beat jobs
(oversight/tasks.py) remind and escalate. A new rule is one `Rule(...)` in RULES plus its kind in
oversight.models.Kind and, when it has one, its setting in settings.DEADLINES.

Defaults (DOMAIN.md, Ley 757 of the City of Buenos Aires, and where the law is silent a service
target the office can change): admission review 5 business days (2 for a hipervulnerable consumer,
the existing settings); acta confirmation 5; homologation 5; the compliance answer 10 after the
agreement's compliance date; the hearing's outcome 1 (the conciliator records it the same day or the
next); a new hearing after an excused absence 5 (the existing setting); a recording 2 (DOMAIN.md);
the company's answer and offer 5 from service, the same as the notice before the first hearing (a
service target: at its end the clock closes with nothing on the record, Ley 757 sets no such
deadline); the office's decision on a filed absence justification 2; booking the first hearing 5
from service (with the 5-day review and up to 2 days to serve, that leaves room for the notice and the
hearing inside DOMAIN.md's 30 calendar days from filing); the consumer's answer to an offer 5 (a
reminder, then the clock closes quietly: the offer stays open until the hearing); the continuation of
an adjourned hearing without a date 5.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from complaints.models import CaseCompany, CompanyAnswer, Complaint, Offer, OfferStatus, PartStatus
from complaints.services.vulnerable import admission_review_days
from complaints.states import State
from hearings import policy as hearing_policy
from hearings.models import AbsenceJustification, Acta, Agreement, Hearing, Recording, RecordingConsent
from hearings.scheduling import rehearing_due
from parties.business_days import deadline_after, is_business_day

from .models import Kind, WhoActs


@dataclass(frozen=True)
class Wait:
    """One open wait: what it is about, since when, who is assigned, and (when the case's own row
    holds it) its due date."""

    subject_id: int
    started_at: datetime
    assignee_id: int | None = None
    due_at: datetime | None = None
    # Consumer and/or company: which parties a reminder goes to (for waits on the parties).
    sides: tuple[str, ...] = ()
    # A binding acta (agreement) or only a record of facts: decides the consequence.
    binding: bool = True


@dataclass(frozen=True)
class Rule:
    kind: str
    who_acts: str
    # The deadline in business days; a callable so settings changed in tests are read each time.
    days: Callable[[Complaint], int]
    open_for: Callable[[Complaint], list[Wait]]
    # What the person reminded must do, for the reminder's sentence (lazy: the recipient's language).
    what: Promise
    # When the deadline passes: "escalate" (a case event; the office decides, the digest and the
    # list show it) or "close" (the consequence is recorded and the wait ends).
    on_deadline: str = "escalate"
    # Also remind before an earlier moment (the compliance date before the answer's deadline).
    remind_before_start: bool = False
    notes: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        return str(Kind(self.kind).label)


def reminder_window() -> int:
    return int(settings.CLOCK_REMINDER_DAYS_BEFORE)


def business_days_before(moment: datetime, days: int) -> datetime:
    """08:00 (office time) of the business day `days` business days before `moment`'s day (its own
    day when `days` is 0): when a reminder goes."""
    day = timezone.localtime(moment).date()
    while days > 0:
        day -= timedelta(days=1)
        if is_business_day(day):
            days -= 1
    return timezone.make_aware(datetime.combine(day, time(8)))


def reminder_moments(rule: Rule, *, started_at: datetime, due_at: datetime) -> list[datetime]:
    """Every reminder of a wait, in order: before its start when the rule asks for it (the compliance
    date), and before its due date (never before the wait began)."""
    window = reminder_window()
    moments = []
    if rule.remind_before_start:
        moments.append(business_days_before(started_at, window))
    moments.append(max(business_days_before(due_at, window), started_at))
    return moments


def due_for(rule: Rule, case: Complaint, wait: Wait) -> datetime:
    return wait.due_at or deadline_after(wait.started_at, rule.days(case))


def _deadline(key: str) -> Callable[[Complaint], int]:
    return lambda case: int(settings.DEADLINES[key])


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0)))


# --- Which waits are open: each reads the case's current rows, and only in the states it concerns ----


def _admission_review(case: Complaint) -> list[Wait]:
    if case.status != State.SUBMITTED or case.submitted_at is None:
        return []
    return [Wait(0, case.submitted_at, case.assigned_officer_id, due_at=case.review_due_at)]


# Before these no acta exists (the hearing has not ended); after them nobody confirms any more.
_NO_ACTA_STATES = frozenset(
    {State.DRAFT, State.SUBMITTED, State.OBSERVED, State.REJECTED, State.ADMITTED, State.REFERRED_OUT}
)


def _acta_confirmation(case: Complaint) -> list[Wait]:
    """An acta issued and a party who has not confirmed it.

    An AGREEMENT binds a party only with their express consent (Código Civil y Comercial arts. 971
    and 1641 ff.: a transacción is a contract; silence is not consent, art. 263): an unconfirmed
    agreement acta is therefore NOT deemed confirmed. The party is reminded, then the office decides
    (escalation: it calls the party, or treats the agreement as failed through its own moves).
    An acta of no agreement or of an absence only records facts certified by the conciliator, a
    public officer: nothing in it needs the parties' consent, so once the deadline passes it stands
    without their confirmation (an event on the record) and nothing waits on it any more."""
    if case.status in _NO_ACTA_STATES:
        return []
    actas = (
        Acta.objects.filter(hearing__complaint_id=case.pk, generated_at__isnull=False)
        .exclude(sha256="")
        .select_related("hearing")
        .prefetch_related("confirmations", "hearing__part_outcomes__part__company")
    )
    waits = []
    for acta in actas:
        hearing = acta.hearing
        outcomes = {o.outcome for o in hearing.part_outcomes.all()} | {hearing.outcome}
        binding = Hearing.Outcome.AGREEMENT in outcomes
        if binding and case.status != State.AGREEMENT:
            continue  # approved, withdrawn or ended otherwise: the confirmation no longer blocks anything
        missing = hearing_policy.acta_missing_confirmations(acta, hearing)
        if not missing:
            continue
        sides = tuple(
            dict.fromkeys("consumer" if side == hearing_policy.Party.CONSUMER else "company" for side in missing)
        )
        assert acta.generated_at is not None
        waits.append(Wait(acta.pk, acta.generated_at, sides=sides, binding=binding))
    return waits


def _homologation(case: Complaint) -> list[Wait]:
    """An agreement ready to be homologated: reached at a hearing with its acta confirmed by every
    party, or by an accepted offer. The wait begins with the last confirmation (or the acceptance)."""
    if case.status != State.AGREEMENT or hearing_policy.companies_not_yet_heard(case):
        return []  # a company still to be heard: the agreements wait for it (its own clock runs)
    agreements = list(Agreement.objects.filter(complaint_id=case.pk).order_by("pk"))
    if not agreements:
        offer = Offer.objects.filter(complaint_id=case.pk, status=OfferStatus.ACCEPTED).order_by("-answered_at").first()
        if offer is None:
            return []
        return [Wait(0, offer.answered_at or offer.created_at)]
    hearing_ids = {a.hearing_id for a in agreements if a.hearing_id is not None}
    actas = list(
        Acta.objects.filter(hearing_id__in=hearing_ids)
        .select_related("hearing")
        .prefetch_related("confirmations", "hearing__part_outcomes__part")
    )
    if len(actas) < len(hearing_ids):
        return []
    last = None
    for acta in actas:
        if hearing_policy.acta_missing_confirmations(acta, acta.hearing):
            return []
        for confirmation in acta.confirmations.all():
            last = confirmation.confirmed_at if last is None else max(last, confirmation.confirmed_at)
    return [Wait(0, last or min(a.created_at for a in agreements))]


def _compliance_answer(case: Complaint) -> list[Wait]:
    """An approved agreement whose consumer has not said whether it was honoured: the wait for the
    answer runs from the compliance date; reminders to both parties before that date and before the
    answer's deadline (the question itself on the date is hearings' ask_about_compliance)."""
    if case.status != State.AGREEMENT_APPROVED:
        return []
    agreements = Agreement.objects.filter(complaint_id=case.pk).filter(
        Q(part__isnull=True) | Q(part__status=PartStatus.AGREEMENT)
    )
    return [Wait(a.pk, _day_start(a.compliance_due), sides=("consumer", "company")) for a in agreements]


def _outcome_record(case: Complaint) -> list[Wait]:
    """A scheduled hearing: once it ends, its conciliator records the outcome. The clock opens when the
    hearing is scheduled, running from its end (a moved hearing moves the clock)."""
    # A hearing for the remaining companies is live while the case keeps its agreement.
    if case.status not in hearing_policy.LIVE_HEARING_CASE_STATES:
        return []
    hearings = Hearing.objects.filter(complaint_id=case.pk, status=Hearing.Status.SCHEDULED)
    return [Wait(h.pk, h.ends_at, h.conciliator_id) for h in hearings]


def _rehearing(case: Complaint) -> list[Wait]:
    if case.status in hearing_policy.PART_HEARING_STATES:
        return _rehearing_of_parts(case)
    if case.status != State.COMPANY_ABSENT:
        return []
    due = rehearing_due(case)
    if due is None:
        return []
    hearing = (
        Hearing.objects.filter(complaint_id=case.pk)
        .exclude(status=Hearing.Status.CANCELLED)
        .order_by("-starts_at", "-pk")
        .first()
    )
    assert hearing is not None  # rehearing_due found its excused absence
    decided = hearing.justifications.filter(decision="accepted").order_by("-decided_at").first()
    started = decided.decided_at if decided is not None and decided.decided_at else timezone.now()
    return [Wait(hearing.pk, started, due_at=due)]


def _rehearing_of_parts(case: Complaint) -> list[Wait]:
    """A case that keeps its agreement with one company while another, its absence excused, awaits
    its own hearing (hearings/policy.py PART_HEARING_STATES): from the excuse, until it is scheduled."""
    if not hearing_policy.awaits_part_hearing(case):
        return []
    if Hearing.objects.filter(complaint_id=case.pk, status=Hearing.Status.SCHEDULED).exists():
        return []
    excused = (
        AbsenceJustification.objects.filter(
            hearing__complaint_id=case.pk,
            part__status=PartStatus.SERVED,
            decision=AbsenceJustification.Decision.ACCEPTED,
        )
        .order_by("-decided_at", "-pk")
        .first()
    )
    if excused is None or excused.decided_at is None:
        return []
    due = deadline_after(excused.decided_at, settings.DEADLINES["NEW_HEARING_AFTER_EXCUSED_ABSENCE"])
    return [Wait(excused.hearing_id, excused.decided_at, due_at=due)]


def _recording(case: Complaint) -> list[Wait]:
    """A held hearing that could be recorded and has no recording registered: the parties get it within
    the deadline. A hearing is recorded only with the consent of every side asked (the consumer and the
    company: Ley 25.326 and the room's own question), so the clock opens only when the consumer's side
    and the company's side both said yes and nobody said no; an absence ends the hearing unheld."""
    if case.status in _NO_ACTA_STATES or case.status in (State.COMPANY_NOTIFIED,):
        return []
    held = Hearing.objects.filter(complaint_id=case.pk, status=Hearing.Status.HELD).exclude(
        outcome__in=(Hearing.Outcome.COMPANY_ABSENT, Hearing.Outcome.CONSUMER_ABSENT)
    )
    refused = RecordingConsent.objects.filter(hearing__in=held, consented=False).values("hearing_id")
    recorded = Recording.objects.filter(hearing__in=held).values("hearing_id")
    waiting = list(
        held.filter(recording_consents__consented=True)
        .exclude(pk__in=refused)
        .exclude(pk__in=recorded)
        .distinct()
        .prefetch_related("recording_consents__user")
    )
    waits = []
    for hearing in waiting:
        hearing.complaint = case
        sides = {hearing_policy.acta_side(c.user, hearing) for c in hearing.recording_consents.all()}
        if {hearing_policy.Party.CONSUMER, hearing_policy.Party.COMPANY} <= sides:
            waits.append(Wait(hearing.pk, hearing.ends_at, hearing.conciliator_id))
    return waits


# ADMITTED too: in a case of several companies a part served electronically waits there while another
# company's paper service is under way, and its answer window runs from its own service.
_ANSWER_STATES = frozenset({State.ADMITTED, State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED, State.ADJOURNED})


def _company_answer(case: Complaint) -> list[Wait]:
    """A company served and silent: neither a written answer nor an offer since it was served."""
    if case.status not in _ANSWER_STATES:
        return []
    answered = CompanyAnswer.objects.filter(complaint_id=case.pk, part__isnull=False).values("part_id")
    offered = Offer.objects.filter(complaint_id=case.pk, part__isnull=False).values("part_id")
    parts = (
        CaseCompany.objects.filter(complaint_id=case.pk, status=PartStatus.SERVED, notified_at__isnull=False)
        .exclude(pk__in=answered)
        .exclude(pk__in=offered)
    )
    # A case of one company whose answer predates parts (part is NULL) has answered too.
    if CompanyAnswer.objects.filter(complaint_id=case.pk, part__isnull=True).exists():
        return []
    return [Wait(p.pk, p.notified_at, sides=("company",)) for p in parts if p.notified_at is not None]


def _justification_decision(case: Complaint) -> list[Wait]:
    """An absence justification filed and not yet decided: the office decides (from its filing)."""
    if case.status not in _JUSTIFICATION_STATES:
        return []
    pending = AbsenceJustification.objects.filter(
        hearing__complaint_id=case.pk, decision=AbsenceJustification.Decision.PENDING
    ).order_by("pk")
    return [Wait(j.pk, j.submitted_at) for j in pending]


# An absent party justifies while the case (or, in a case of several companies, the part) waits.
_JUSTIFICATION_STATES = frozenset(
    {State.COMPANY_ABSENT, State.CONSUMER_ABSENT, State.AGREEMENT, State.AGREEMENT_APPROVED, State.NO_AGREEMENT}
)


def _first_hearing(case: Complaint) -> list[Wait]:
    """Served and no hearing yet: the office schedules the first one (from the company's service)."""
    if case.status != State.COMPANY_NOTIFIED or case.company_notified_at is None:
        return []
    if Hearing.objects.filter(complaint_id=case.pk).exclude(status=Hearing.Status.CANCELLED).exists():
        return []  # a hearing that was held, adjourned or moved: not the first hearing's wait
    return [Wait(0, case.company_notified_at)]


def _offer_answer(case: Complaint) -> list[Wait]:
    """An offer the consumer has not answered (a service target: the offer stays open until the
    hearing, so the clock only reminds and then closes without a word)."""
    if case.status not in _ANSWER_STATES:
        return []
    pending = Offer.objects.filter(complaint_id=case.pk, status=OfferStatus.PENDING).order_by("pk")
    return [Wait(o.pk, o.created_at, sides=("consumer",)) for o in pending]


def _adjourned_new_date(case: Complaint) -> list[Wait]:
    """A hearing adjourned (cuarto intermedio) with no continuation booked: the office sets its date."""
    if case.status != State.ADJOURNED:
        return []
    if Hearing.objects.filter(complaint_id=case.pk, status=Hearing.Status.SCHEDULED).exists():
        return []
    hearing = (
        Hearing.objects.filter(complaint_id=case.pk, status=Hearing.Status.ADJOURNED)
        .order_by("-outcome_recorded_at", "-pk")
        .first()
    )
    if hearing is None:
        return []
    return [Wait(hearing.pk, hearing.outcome_recorded_at or hearing.ends_at)]


def _legal(statuses: tuple[str, ...], since: str) -> Callable[[Complaint], list[Wait]]:
    """The case's sanction proceedings (one per referred company, legal/) waiting in one of these
    statuses, since the moment in the field `since` (or, when it is empty, the last change)."""

    def open_for(case: Complaint) -> list[Wait]:
        if case.status not in LEGAL_CASE_STATES:
            return []
        from legal.models import Proceeding  # the legal directorate's floor beside this one

        return [
            Wait(proceeding.pk, getattr(proceeding, since) or proceeding.updated_at)
            for proceeding in Proceeding.objects.filter(complaint_id=case.pk, status__in=statuses)
        ]

    return open_for


# The case states a referred company's proceedings can be open in (the case itself has left
# conciliation, or goes on with the other companies).
LEGAL_CASE_STATES = frozenset(
    {
        State.NO_AGREEMENT,
        State.REFERRED,
        State.CONCLUDED,
        State.AGREEMENT,
        State.AGREEMENT_APPROVED,
        State.COMPANY_ABSENT,
        State.BREACHED,
        State.COMPLIED,
    }
)

RULES: dict[str, Rule] = {
    rule.kind: rule
    for rule in (
        Rule(
            Kind.ADMISSION_REVIEW,
            WhoActs.OFFICE,
            admission_review_days,
            _admission_review,
            _("review the complaint: admit it, ask for a correction or reject it"),
        ),
        Rule(
            Kind.ACTA_CONFIRMATION,
            WhoActs.PARTIES,
            _deadline("ACTA_CONFIRMATION"),
            _acta_confirmation,
            _("read and confirm the acta of your hearing"),
        ),
        Rule(
            Kind.HOMOLOGATION,
            WhoActs.DIRECTOR,
            _deadline("HOMOLOGATION"),
            _homologation,
            _("homologate the agreement"),
        ),
        Rule(
            Kind.COMPLIANCE_ANSWER,
            WhoActs.CONSUMER,
            _deadline("COMPLIANCE_ANSWER"),
            _compliance_answer,
            _("say whether the agreement was honoured (the company may upload its proof)"),
            remind_before_start=True,
        ),
        Rule(
            Kind.OUTCOME_RECORD,
            WhoActs.CONCILIATOR,
            _deadline("OUTCOME_RECORD"),
            _outcome_record,
            _("record the outcome of the hearing you conducted"),
        ),
        Rule(
            Kind.REHEARING,
            WhoActs.OFFICE,
            _deadline("NEW_HEARING_AFTER_EXCUSED_ABSENCE"),
            _rehearing,
            _("set the new hearing after the excused absence"),
        ),
        Rule(
            Kind.RECORDING,
            WhoActs.OFFICE,
            lambda case: int(settings.HEARINGS["RECORDING_AVAILABLE_DAYS"]),  # type: ignore[call-overload]
            _recording,
            _("make the hearing's recording available to the parties"),
        ),
        Rule(
            Kind.COMPANY_ANSWER,
            WhoActs.COMPANY,
            _deadline("COMPANY_ANSWER"),
            _company_answer,
            _("answer the complaint in writing or make an offer before the hearing"),
            on_deadline="close",
        ),
        Rule(
            Kind.JUSTIFICATION_DECISION,
            WhoActs.OFFICE,
            _deadline("JUSTIFICATION_DECISION"),
            _justification_decision,
            _("decide on the justification of the absence"),
        ),
        Rule(
            Kind.FIRST_HEARING,
            WhoActs.OFFICE,
            _deadline("FIRST_HEARING"),
            _first_hearing,
            _("schedule the first hearing of the served case"),
        ),
        Rule(
            Kind.OFFER_ANSWER,
            WhoActs.CONSUMER,
            _deadline("OFFER_ANSWER"),
            _offer_answer,
            _("answer the company's offer (accept it or reject it)"),
            on_deadline="close",
        ),
        Rule(
            Kind.ADJOURNED_NEW_DATE,
            WhoActs.OFFICE,
            _deadline("ADJOURNED_NEW_DATE"),
            _adjourned_new_date,
            _("set the date of the adjourned hearing's continuation"),
        ),
        Rule(
            Kind.LEGAL_DECISION,
            WhoActs.LEGAL,
            _deadline("LEGAL_DECISION"),
            _legal(("received",), "received_at"),
            _("decide the referral: charge the company (imputación) or archive"),
        ),
        Rule(
            Kind.LEGAL_RESOLUTION,
            WhoActs.LEGAL,
            _deadline("LEGAL_RESOLUTION"),
            _legal(("defence_filed", "awaiting_resolution"), "defence_filed_at"),
            _("resolve the sanction proceedings"),
        ),
        Rule(
            Kind.APPEAL_RESULT,
            WhoActs.LEGAL,
            _deadline("APPEAL_RESULT"),
            _legal(("appealed",), "appealed_at"),
            _("record the result of the appeal"),
        ),
    )
}


def rule_for(kind: str) -> Rule:
    return RULES[kind]
