"""Keeping the clocks in step with the cases, and what their beat jobs do: remind, then escalate or
apply the consequence, each once.

sync_case_clocks runs inside every case move (oversight/receivers.py), with the case locked: a
handful of queries, whatever the size of the table. The beat jobs read the partial indexes of
oversight.models.Clock in batches; each row is claimed with one conditional UPDATE, so two workers
never both send, and each reminder carries an idempotency key (clock and stage) in the outbox."""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, gettext_noop

from complaints.models import Complaint, ConsumerRepresentative
from complaints.records import on_record, record_text
from complaints.services import case_url, lock_case, record_event
from complaints.services.assignment import company_recipients
from hearings import policy as hearing_policy
from hearings.models import Acta, Agreement, Hearing
from notifications.services import notify
from parties.models import PowerStatus, Role, User

from .. import actions
from ..models import Clock, Ending, Kind, WhoActs
from ..rules import RULES, Rule, Wait, due_for, reminder_moments, rule_for
from ..signals import clock_reminded

logger = logging.getLogger("oversight")


def batch_size() -> int:
    return int(settings.CLOCK_BATCH)


# --- Keeping clocks in step -----------------------------------------------------------------------


def _schedule(rule: Rule, case: Complaint, wait: Wait) -> dict[str, object]:
    due = due_for(rule, case, wait)
    moments = reminder_moments(rule, started_at=wait.started_at, due_at=due)
    return {
        "started_at": wait.started_at,
        "business_days": rule.days(case),
        "due_at": due,
        "assignee_id": wait.assignee_id,
        "_moments": moments,
    }


def next_reminder(moments: list[datetime], sent: int) -> datetime | None:
    return moments[sent] if sent < len(moments) else None


def sync_case_clocks(case: Complaint, *, now: datetime | None = None) -> tuple[int, int]:
    """Open the clocks of the waits open now that have none, close those whose wait is over, and move
    those whose start, due date or assignee changed (a hearing moved, a case reassigned). The caller
    holds the case's lock. Returns (opened, closed)."""
    now = now or timezone.now()
    wanted: dict[tuple[str, int], tuple[Rule, Wait]] = {}
    failed: set[str] = set()
    for rule in RULES.values():
        try:
            waits = rule.open_for(case)
        except DatabaseError:
            raise  # the transaction is unusable: the caller's savepoint (receivers.py) handles it
        except Exception:
            # One broken rule leaves its own clocks as they were; every other rule still runs.
            logger.exception("Clock rule %s failed on case %s.", rule.kind, case.pk)
            failed.add(rule.kind)
            continue
        for wait in waits:
            wanted[(rule.kind, wait.subject_id)] = (rule, wait)
    # The open clocks, and those whose deadline's consequence already applied, in one read: a wait
    # settled so is over for good (an acta taken as notified, a company's answer window closed): it
    # never reopens.
    open_clocks: dict[tuple[str, int], Clock] = {}
    settled: set[tuple[str, int]] = set()
    for c in Clock.objects.filter(Q(closed_at__isnull=True) | Q(ending=Ending.CONSEQUENCE), complaint_id=case.pk):
        if c.ending == Ending.CONSEQUENCE:
            settled.add((c.kind, c.subject_id))
        if c.closed_at is None and c.kind not in failed:
            open_clocks[(c.kind, c.subject_id)] = c
    gone = [c.pk for key, c in open_clocks.items() if key not in wanted]
    if gone:
        Clock.objects.filter(pk__in=gone).update(closed_at=now, ending=Ending.ACTED)
    new_keys = [key for key in wanted if key not in open_clocks]
    if new_keys:
        rows = []
        for key in new_keys:
            if key in settled:
                continue
            rule, wait = wanted[key]
            plan = _schedule(rule, case, wait)
            moments = plan.pop("_moments")
            rows.append(
                Clock(
                    complaint_id=case.pk,
                    kind=rule.kind,
                    subject_id=wait.subject_id,
                    who_acts=rule.who_acts,
                    remind_at=next_reminder(moments, 0),  # type: ignore[arg-type]
                    **plan,
                )
            )
        Clock.objects.bulk_create(rows)
        opened = len(rows)
    else:
        opened = 0
    for key, clock in open_clocks.items():
        if key not in wanted:
            continue
        rule, wait = wanted[key]
        plan = _schedule(rule, case, wait)
        moments = plan.pop("_moments")
        if plan["started_at"] == clock.started_at and plan["due_at"] < clock.due_at:  # type: ignore[operator]
            # The same wait computed shorter (a día inhábil removed since): the deadline the party was
            # told stands (oversight/services/recompute.py never shortens one either).
            plan["due_at"] = clock.due_at
            moments = reminder_moments(rule, started_at=clock.started_at, due_at=clock.due_at)
        if (clock.started_at, clock.due_at, clock.assignee_id) != (
            plan["started_at"],
            plan["due_at"],
            wait.assignee_id,
        ):
            moved_later = plan["due_at"] > clock.due_at  # type: ignore[operator]
            Clock.objects.filter(pk=clock.pk).update(
                **plan,
                remind_at=next_reminder(moments, clock.reminders_sent),  # type: ignore[arg-type]
                # A deadline moved later is a new deadline: it can pass, and be escalated, again.
                **({"escalated_at": None} if moved_later and clock.escalated_at else {}),
            )
    return opened, len(gone)


def sync_clocks_for(case_ids: list[int]) -> int:
    """Each case in its own short transaction, locked like a move (the management command)."""
    done = 0
    for pk in case_ids:
        with transaction.atomic():
            case = lock_case(pk)
            sync_case_clocks(case)
        done += 1
    return done


# --- Who is reminded ------------------------------------------------------------------------------


def _active(users: QuerySet[User]) -> list[User]:
    return list(users.filter(is_active=True).order_by("pk"))


def _consumer_side(case: Complaint) -> list[User]:
    """The consumer and their representatives holding a validated power."""
    agents = ConsumerRepresentative.objects.filter(
        complaint_id=case.pk, revoked_at__isnull=True, power_status=PowerStatus.VALIDATED
    ).select_related("user")
    return [case.consumer, *(agent.user for agent in agents)]


def _company_side(case: Complaint, part_ids: list[int] | None = None, *, binding: bool = False) -> list[User]:
    """Who on the side of the companies served in the case (or only of `part_ids`) is reminded: each
    part's assignee, else its company's active representatives (complaints/services/assignment.py);
    `binding` (a move that needs a validated power, e.g. confirming an acta): also those who can bind
    the company when the assignee cannot."""
    return company_recipients(case, part_ids=part_ids, binding=binding)


def _who_decides(clock: Clock, rule: Rule) -> list[User]:
    """Whoever must act on a wait of the office's side: its assignee; with nobody assigned, those who
    answer for that wait (the director and every delegate for a homologation, the legal directorate
    for its own waits, the supervisors for the rest of the office's)."""
    if clock.assignee_id is not None:
        assignee = _active(User.objects.filter(pk=clock.assignee_id))
        if assignee:
            return assignee
    if clock.kind == Kind.HOMOLOGATION:
        return _active(User.objects.filter(Q(role=Role.DIRECTOR) | Q(may_homologate=True)))
    if rule.who_acts == WhoActs.LEGAL:
        return _active(User.objects.filter(role=Role.LEGAL))
    return _active(User.objects.filter(role=Role.SUPERVISOR))


def _acta_sides(clock: Clock, case: Complaint) -> tuple[bool, list[int] | None]:
    """Who an acta binds and has not confirmed it: (the consumer?, the companies' parts; None for the
    case's only company). In a hearing of several companies only those that agreed confirm it."""
    acta = Acta.objects.select_related("hearing").prefetch_related("confirmations").filter(pk=clock.subject_id).first()
    if acta is None:
        return False, []
    hearing = acta.hearing
    missing = hearing_policy.acta_missing_confirmations(acta, hearing)
    consumer = hearing_policy.Party.CONSUMER in missing
    outcomes = hearing_policy.part_outcomes_of(hearing)
    if not outcomes:
        return consumer, (None if hearing_policy.Party.COMPANY in missing else [])
    done = {c.part_id for c in acta.confirmations.all() if c.sha256 == acta.sha256 and c.part_id}
    agreeing = [o.part_id for o in outcomes if o.outcome == Hearing.Outcome.AGREEMENT and o.part_id not in done]
    return consumer, agreeing


# --- Reminders ------------------------------------------------------------------------------------


def _action_url(clock: Clock, case: Complaint) -> str:
    if clock.kind == Kind.ACTA_CONFIRMATION:
        hearing_id = Acta.objects.filter(pk=clock.subject_id).values_list("hearing_id", flat=True).first()
        if hearing_id:
            return settings.SITE_URL + reverse("acta_confirm", args=[hearing_id])
    if clock.kind == Kind.COMPLIANCE_ANSWER:
        return case_url(case, "compliance_answer")
    return case_url(case)


@dataclass(frozen=True)
class _Message:
    recipients: list[User]
    what: Promise
    due: datetime | date


def _compliance_messages(clock: Clock, case: Complaint, now: datetime) -> list[_Message]:
    """Before the agreement's compliance date the company is told to comply by that date and the
    consumer when they will be asked; after it the consumer is asked to answer by the clock's
    deadline and the company to upload its proof of compliance. Only the agreement's company."""
    agreement = Agreement.objects.filter(pk=clock.subject_id).first()
    if agreement is None:
        return []
    company = _company_side(case, [agreement.part_id] if agreement.part_id else None)
    if now < clock.started_at:
        return [
            _Message(company, COMPLY_BY, agreement.compliance_due),
            _Message(_consumer_side(case), WILL_BE_ASKED, agreement.compliance_due),
        ]
    return [
        _Message(_consumer_side(case), ANSWER_COMPLIANCE, clock.due_at),
        _Message(company, UPLOAD_PROOF, clock.due_at),
    ]


# What each side of the compliance wait is reminded of: "You have until <due> to <what>."
COMPLY_BY = gettext_lazy("honour the agreement (pay, deliver or do what was agreed)")
WILL_BE_ASKED = gettext_lazy(
    "check whether the company honours the agreement: that day we will ask you whether it did, and you can answer "
    "from then on"
)
ANSWER_COMPLIANCE = gettext_lazy("tell us whether the company honoured the agreement")
UPLOAD_PROOF = gettext_lazy("upload your proof that you honoured the agreement")


def _messages(clock: Clock, case: Complaint, rule: Rule, wait: Wait, now: datetime) -> list[_Message]:
    if clock.kind == Kind.COMPLIANCE_ANSWER:
        return _compliance_messages(clock, case, now)
    if clock.kind == Kind.ACTA_CONFIRMATION:
        consumer, parts = _acta_sides(clock, case)
        recipients = (_consumer_side(case) if consumer else []) + (
            _company_side(case, parts, binding=True) if parts is None or parts else []
        )
        return [_Message(recipients, rule.what, clock.due_at)]
    if rule.who_acts in (WhoActs.CONSUMER,):
        return [_Message(_consumer_side(case), rule.what, clock.due_at)]
    if rule.who_acts == WhoActs.COMPANY:
        parts = [clock.subject_id] if clock.subject_id else None
        return [_Message(_company_side(case, parts), rule.what, clock.due_at)]
    return [_Message(_who_decides(clock, rule), rule.what, clock.due_at)]


def _remind(clock: Clock, case: Complaint, rule: Rule, wait: Wait, stage: int, now: datetime) -> int:
    """Write the reminder of `stage` to whoever must act. Returns the outbox rows written."""
    key = f"clock:{clock.pk}:remind:{stage}"
    written = 0
    for message in _messages(clock, case, rule, wait, now):
        due_moment = message.due if isinstance(message.due, datetime) else _end_of(message.due)
        context = {
            "what": message.what,
            "due": message.due,
            "overdue": due_moment < now,
            "action_url": _action_url(clock, case),
            "case_number": case.number,
            "case_url": case_url(case),
        }
        for recipient in dict.fromkeys(message.recipients):
            written += len(
                notify(
                    recipient=recipient,
                    event="clock_reminder",
                    context=context,
                    idempotency_key=key,
                    case_number=case.number or "",
                )
            )
    return written


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def _current_wait(rule: Rule, case: Complaint, clock: Clock) -> Wait | None:
    """The wait as the case's rows say it is now (under the case's lock): None when it is over."""
    return next((w for w in rule.open_for(case) if w.subject_id == clock.subject_id), None)


def _close_as_acted(clock: Clock, now: datetime) -> None:
    Clock.objects.filter(pk=clock.pk, closed_at__isnull=True).update(closed_at=now, ending=Ending.ACTED, remind_at=None)


def _remind_one(pk: int, case_id: int, rule: Rule, now: datetime) -> bool:
    """One due reminder, under the case's lock: True when messages were written."""
    with transaction.atomic():
        case = lock_case(case_id)
        clock = Clock.objects.filter(pk=pk, closed_at__isnull=True).first()
        if clock is None or clock.remind_at is None or clock.remind_at > now:
            return False
        wait = _current_wait(rule, case, clock)
        if wait is None:  # the wait ended without an event that synced it: nobody to remind
            _close_as_acted(clock, now)
            return False
        stage = clock.reminders_sent
        moments = reminder_moments(rule, started_at=clock.started_at, due_at=clock.due_at)
        claimed = Clock.objects.filter(pk=pk, reminders_sent=stage, closed_at__isnull=True).update(
            reminders_sent=F("reminders_sent") + 1, reminded_at=now, remind_at=next_reminder(moments, stage + 1)
        )
        if claimed != 1:
            return False
        written = _remind(clock, case, rule, wait, stage, now)
        clock_reminded.send(sender=Clock, clock=clock, case=case, stage=stage, now=now)
        if not written:
            # Nobody to tell (no active person for this wait): the stage moves on all the same, so the
            # row leaves the queue; the digest and the list still show the wait.
            logger.warning("Reminder %s of clock %s (%s) found nobody to tell.", stage, pk, rule.kind)
        return written > 0


def _skip_failed_reminder(pk: int, rule: Rule, now: datetime) -> None:
    """A reminder that raised: logged by the caller, and its stage moved on in a transaction of its own
    so that one bad row never holds the rule's queue."""
    with transaction.atomic():
        clock = Clock.objects.select_for_update().filter(pk=pk, closed_at__isnull=True).first()
        if clock is None:
            return
        moments = reminder_moments(rule, started_at=clock.started_at, due_at=clock.due_at)
        Clock.objects.filter(pk=pk).update(
            reminders_sent=clock.reminders_sent + 1, remind_at=next_reminder(moments, clock.reminders_sent + 1)
        )


def send_reminders(kind: str, *, now: datetime | None = None, limit: int | None = None) -> int:
    """The rule's reminders that are due: each re-read under its case's lock (a wait that ended is
    closed instead), claimed by one conditional UPDATE (its stage moves on), then written in the same
    transaction. Returns how many reminders wrote messages."""
    now = now or timezone.now()
    rule = rule_for(kind)
    due = (
        Clock.objects.filter(kind=kind, closed_at__isnull=True, remind_at__isnull=False, remind_at__lte=now)
        .order_by("remind_at", "pk")
        .values_list("pk", "complaint_id")
    )
    sent = 0
    for pk, case_id in list(due[: limit or batch_size()]):
        try:
            sent += _remind_one(pk, case_id, rule, now)
        except Exception:
            logger.exception("Reminder of clock %s (%s, case %s) failed; skipped.", pk, kind, case_id)
            _skip_failed_reminder(pk, rule, now)
    return sent


# --- Escalations and consequences -----------------------------------------------------------------


def _binding_acta(acta_id: int) -> bool:
    acta = Acta.objects.select_related("hearing").filter(pk=acta_id).first()
    if acta is None:
        return False
    outcomes = set(acta.hearing.part_outcomes.values_list("outcome", flat=True)) | {acta.hearing.outcome}
    return Hearing.Outcome.AGREEMENT in outcomes


def _close_with_consequence(clock: Clock) -> None:
    Clock.objects.filter(pk=clock.pk).update(closed_at=timezone.now(), ending=Ending.CONSEQUENCE, remind_at=None)


def _escalate(clock: Clock, case: Complaint, rule: Rule) -> None:
    if rule.on_deadline == "close":
        # A service target, not a legal deadline (the company's answer, the consumer's answer to an
        # offer): the wait ends without a word on the case's record; the list and digest showed it.
        _close_with_consequence(clock)
        return
    due = on_record(clock.due_at)
    if clock.kind == Kind.ACTA_CONFIRMATION and not _binding_acta(clock.subject_id):
        reason = record_text(
            gettext_noop(
                "Not confirmed by %(due)s: the acta records facts certified by the conciliator and stands without "
                "the parties' confirmation."
            ),
            due=due,
        )
        record_event(case=case, action=actions.ACTA_DEEMED_NOTIFIED.code, by=None, reason=reason)
        _close_with_consequence(clock)
        return
    with translation.override(settings.LANGUAGE_CODE):
        wait = str(Kind(clock.kind).label)
    reason = record_text(
        gettext_noop("%(wait)s: the deadline of %(due)s passed; the office decides."), wait=wait, due=due
    )
    record_event(case=case, action=actions.CLOCK_ESCALATED.code, by=None, reason=reason)


def _escalate_one(pk: int, case_id: int, rule: Rule, now: datetime) -> bool:
    with transaction.atomic():
        case = lock_case(case_id)
        clock = Clock.objects.filter(pk=pk, closed_at__isnull=True, escalated_at__isnull=True, due_at__lt=now).first()
        if clock is None:
            return False
        if _current_wait(rule, case, clock) is None:  # the wait is gone: nothing to escalate
            _close_as_acted(clock, now)
            return False
        claimed = Clock.objects.filter(pk=pk, closed_at__isnull=True, escalated_at__isnull=True, due_at__lt=now).update(
            escalated_at=now
        )
        if claimed != 1:
            return False
        clock.escalated_at = now
        _escalate(clock, case, rule)
    return True


def _skip_failed_escalation(pk: int, now: datetime) -> None:
    with transaction.atomic():
        Clock.objects.filter(pk=pk, closed_at__isnull=True, escalated_at__isnull=True).update(escalated_at=now)


def escalate_overdue(kind: str, *, now: datetime | None = None, limit: int | None = None) -> int:
    """The rule's clocks past their due date, not yet escalated: each re-read under its case's lock (a
    wait that ended is closed instead), claimed once (escalated_at), then its event recorded (or its
    consequence applied) in the same transaction. A row that raises is logged and set aside."""
    now = now or timezone.now()
    rule = rule_for(kind)
    due = (
        Clock.objects.filter(kind=kind, closed_at__isnull=True, escalated_at__isnull=True, due_at__lt=now)
        .order_by("due_at", "pk")
        .values_list("pk", "complaint_id")
    )
    done = 0
    for pk, case_id in list(due[: limit or batch_size()]):
        try:
            done += _escalate_one(pk, case_id, rule, now)
        except Exception:
            logger.exception("Escalation of clock %s (%s, case %s) failed; set aside.", pk, kind, case_id)
            _skip_failed_escalation(pk, now)
    if done:
        logger.info("Escalated %s overdue %s clocks.", done, kind)
    return done


def run_rule(kind: str, *, now: datetime | None = None) -> tuple[int, int]:
    """One rule's beat job: its due reminders, then its due escalations."""
    now = now or timezone.now()
    return send_reminders(kind, now=now), escalate_overdue(kind, now=now)
