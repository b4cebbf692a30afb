"""Every move of a case. Each one: atomic, the case row locked, the django-fsm transition, a save
with update_fields, an immutable CaseEvent, and the notifications it implies written to the outbox
in the same transaction (delivered after commit).

filing.py   the consumer's draft, saved step by step
parts.py    each company's part in the case, and how the case follows its parts
serving.py  serving each company after admission, and the deadlines to set up a domicile
offers.py   before the hearing: the company's answer and offers, the consumer's answer to them
"""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from complaints import actions, integrity
from complaints.errors import CaseError
from complaints.models import (
    CaseCompany,
    CaseEvent,
    CaseNumberSequence,
    Complaint,
    ConsumerRepresentative,
    Offer,
    OfferStatus,
)
from complaints.services import parts as case_parts
from complaints.services.filing import complaint_start_draft, snapshot_consumer  # noqa: F401  (re-exported)
from complaints.signals import case_event_recorded, case_moved
from complaints.states import State
from notifications.models import Notification
from notifications.services import notify
from parties.business_days import deadline_after
from parties.models import PowerStatus, User

# --- The one mechanism every move goes through ------------------------------------------------------


@dataclass
class Move:
    case: Complaint
    event: CaseEvent


def lock_case(pk: int, *, consumer_profile: bool = False) -> Complaint:
    """The case's row lock (with its company and consumer): every move, here or on the hearings
    floor, takes it first, so the event chain is appended to one at a time.

    FOR NO KEY UPDATE, not FOR UPDATE: moves still exclude each other, but the foreign-key checks of
    other transactions (a case flagged as this one's duplicate, an event or a hearing that points at
    it) may share the row. With FOR UPDATE, a move on case B that updates its row twice re-checks B's
    link to A and waits for a move holding A, which can wait for B's calendar: a deadlock between
    two unrelated moves (tests/hearings/test_double_booking_pg.py).

    `consumer_profile`: also read the consumer's profile in the same statement (the channels the
    outbox reaches them on), for a move that tells the consumer and should not ask for it again."""
    related = ["company", "consumer", *(["consumer__consumer_profile"] if consumer_profile else [])]
    return Complaint.objects.select_for_update(of=("self",), no_key=True).select_related(*related).get(pk=pk)


def _locked(case: Complaint) -> Complaint:
    return lock_case(case.pk)


def record_event(
    *,
    case: Complaint,
    action: str,
    by: User | None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    part: CaseCompany | None = None,
) -> CaseEvent:
    """Append to the case's keyed hash chain and move its head (complaints/integrity.py). Callers
    hold the case's row lock, so the chain is serial, and the event and head commit together.
    `part`: the company's part a part's own move is about (receivers, e.g. webhooks, read it)."""
    event = _append(case, action, by=by, from_state=from_state, to_state=to_state, reason=reason)
    _announce(case, event, part=part)
    return event


def _append(
    case: Complaint,
    action: str,
    *,
    by: User | None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    current: bool = False,
) -> CaseEvent:
    """The event, on the chain. `current`: `case` is the locked row carrying the move's changes; its
    head is used as it is and written by the caller with the rest of the row (`_save_row`)."""
    actions.get(action)  # an action nobody declared (complaints/actions.py) is a programming error: raises
    return integrity.append_event(
        case=case,
        action=action,
        actor_id=by.pk if by else None,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        at=timezone.now(),
        current=current,
        write_head=not current,
    )


def _announce(
    case: Complaint, event: CaseEvent, *, part: CaseCompany | None = None, current: bool = False, final: bool = False
) -> None:
    """Tell the floors above of the event (complaints/signals.py). `current`: `case` is the locked row
    with the move's changes, so a receiver may read it instead of selecting it again. `final`: the move
    writes no other row a receiver reads after this (only its own case row, whose values `case`
    already holds, and its outbox), so nothing needs to be read again after commit."""
    case_event_recorded.send(sender=CaseEvent, case=case, event=event, part=part, current=current, final=final)


def _save_row(case: Complaint, fields: list[str]) -> None:
    """One UPDATE of the locked row: the move's fields with the chain's new head and its seal (over
    the status, the head and the case's identity, the number among them)."""
    case.chain_seal = integrity.seal_for(integrity.sealed_of(case))
    case.save(update_fields=[*fields, "chain_length", "chain_head_hash", "chain_seal"])


@functools.cache
def _transition_names() -> frozenset[str]:
    status = Complaint._meta.get_field("status")
    return frozenset(t.name for t in status.get_all_transitions(Complaint))


# The move's last write, given the move so far; returns the fields of the case row it sets (submission:
# the year's number, `_number_last`).
LastWrite = Callable[["Move"], dict[str, object]]


def _apply(
    case: Complaint,
    transition: str,
    *,
    by: User | None,
    reason: str = "",
    locked: bool = False,
    last: LastWrite | None = None,
    **changes: object,
) -> Move:
    """Lock the case, check the move against its *current* state and the actor, apply it, log it.

    What the move means comes from its declaration (complaints/actions.py): one that closes the case
    stamps `closed_at`. After it, an offer the consumer can no longer answer (the FSM's accept_offer
    is not possible from the new state: an outcome, a referral, a withdrawal) lapses; a draft never
    has one (offers come after service), so leaving a draft asks nothing.

    The event goes in first, then the case row is written once: the state, `changes`, and the
    chain's new head and seal together (the head is the locked row's own, not read again).

    `locked=True`: `case` is already the row `lock_case` returned in this transaction (the caller
    read it to check the move's own preconditions), so it is not locked and loaded a second time.

    `last`: a write that must be the move's last before commit, and that the case row carries.
    Submission takes the year's case number so (`complaint_submit`): the number's row lock is then
    held only for that statement, the case's UPDATE and the commit. With it the order is: event,
    parts, receivers (they get the row as it will be: `current=True`; the oversight clocks read
    that, no receiver of a submission reads the row from the database), `last(move)` (which
    writes the outbox rows before taking the number), and the case row's UPDATE. It stays this one
    mechanism, so the rule of a move (checks, event, seal, parts, offers, receivers) cannot drift
    between submission and the other moves."""
    action = actions.get(transition)
    if action.code not in _transition_names():
        raise ValueError(f"{action.code!r} is not a transition of the case: record it with record_event().")
    locked_case = case if locked else _locked(case)
    method = getattr(locked_case, action.code)
    if not can_proceed(method):
        raise CaseError(
            _(
                "This case is now “%(state)s”, so this action is no longer possible. "
                "Someone may have acted on it first: reload the page to see its current state."
            )
            % {"state": locked_case.get_status_display()}
        )
    if not has_transition_perm(method, by):  # type: ignore[arg-type]  # None is the system
        raise CaseError(_("Your account is not allowed to do this on this case."))
    from_state = locked_case.status
    method()
    if action.closes_case:
        changes.setdefault("closed_at", timezone.now())
    for field, value in changes.items():
        setattr(locked_case, field, value)
    fields = ["status", "updated_at", *changes]
    event = _append(
        locked_case,
        action.code,
        by=by,
        from_state=from_state,
        to_state=locked_case.status,
        reason=reason,
        current=True,
    )
    move = Move(locked_case, event)
    if last is None:
        _save_row(locked_case, fields)
    case_parts.follow_case(locked_case, action.code, from_state=from_state)
    if from_state != State.DRAFT and not can_proceed(locked_case.accept_offer):
        Offer.objects.filter(complaint=locked_case, status=OfferStatus.PENDING).update(status=OfferStatus.LAPSED)
    _announce(locked_case, event, current=True, final=last is not None)
    case_moved.send(sender=Complaint, case=locked_case, event=event, action=action)
    if last is not None:
        written = last(move)
        for field, value in written.items():
            setattr(locked_case, field, value)
        _save_row(locked_case, [*fields, *written])
    return move


def case_url(case: Complaint, name: str = "complaint_detail") -> str:
    """The absolute address of a page of the case (its file by default), for messages."""
    return settings.SITE_URL + reverse(name, args=[case.pk])


def notify_case_parties(
    case: Complaint,
    event: str,
    *,
    key: str,
    consumer: bool = True,
    company: bool = True,
    context: dict | None = None,
) -> list[Notification]:
    """Tell the consumer (and their representatives with a validated power) and/or the company side of
    each company served in the case (its assignee, else every active representative:
    complaints/services/assignment.py `company_recipients`), once per occurrence: `key` names it (the
    outbox scopes it per recipient and channel). Returns the outbox rows written.

    A case without a number yet (a submission, whose number is its last write) gives none: the rows
    are stamped with it when it is taken (`_number_last`), and the message reads the row's
    `case_number` (notifications/rendering.py `full_context`). Nor can it have a representative: one
    is named only on a numbered case (complaints/services/representatives.py), so none is looked for."""
    recipients: list[User] = []
    if consumer:
        recipients.append(case.consumer)
        if case.number:
            recipients += [
                agent.user
                for agent in ConsumerRepresentative.objects.filter(
                    complaint_id=case.pk, revoked_at__isnull=True, power_status=PowerStatus.VALIDATED
                ).select_related("user")
            ]
    if company:
        from complaints.services.assignment import company_recipients  # builds on this module

        recipients += company_recipients(case)
    numbered = {"case_number": case.number} if case.number else {}
    rows: list[Notification] = []
    for recipient in recipients:
        rows += notify(
            recipient=recipient,
            event=event,
            context={**numbered, "case_url": case_url(case), **(context or {})},
            idempotency_key=key,
            case_number=case.number or "",
        )
    return rows


def _notify_parties(
    move: Move, *, consumer: bool = True, company: bool = False, **context: object
) -> list[Notification]:
    """Tell the parties what the move's action declares it notifies (complaints/actions.py), with the
    context that event declares (notifications/events.py)."""
    event = actions.get(move.event.action).notifies
    if event is None:
        raise ValueError(f"The case action {move.event.action!r} declares no notification.")
    return notify_case_parties(
        move.case, event, key=f"case-event:{move.event.pk}", consumer=consumer, company=company, context=context
    )


# --- Filing ---------------------------------------------------------------------------------------


def format_case_number(year: int, sequence: int) -> str:
    """DC-<year>-<6 digits> (more digits past the millionth case of a year)."""
    return f"DC-{year}-{sequence:06d}"


def _take_case_number(year: int, *, stamp: Sequence[Notification] = ()) -> str:
    """The year's next number, gapless and unique: one statement adds one to the year's counter row
    (creating it for the year's first case) and returns it. The row stays locked until the filing
    commits, so the counter is taken as the filing's last write (`_number_last`), and a filing that
    rolls back gives its number back.

    `stamp`: outbox rows the move wrote before it had a number. On PostgreSQL the same statement
    writes the number into them (a data-modifying WITH); SQLite (the demo database, which runs one
    writer at a time anyway) takes a second statement."""
    quote = connection.ops.quote_name
    counter = quote(CaseNumberSequence._meta.db_table)
    take = (
        f"INSERT INTO {counter} (year, last_number) VALUES (%s, 1) "
        f"ON CONFLICT (year) DO UPDATE SET last_number = {counter}.last_number + 1 RETURNING last_number"
    )
    ids = [row.pk for row in stamp]
    with connection.cursor() as cursor:
        if ids and connection.vendor == "postgresql":
            outbox = quote(Notification._meta.db_table)
            digits = "taken.last_number::text"
            cursor.execute(
                f"WITH taken AS ({take}), stamped AS (UPDATE {outbox} "
                f"SET case_number = %s || lpad({digits}, greatest(6, length({digits})), '0') "
                f"FROM taken WHERE {outbox}.id = ANY(%s)) SELECT last_number FROM taken",
                [year, f"DC-{year}-", ids],
            )
            (taken,) = cursor.fetchone()
            ids = []
        else:
            cursor.execute(take, [year])
            (taken,) = cursor.fetchone()
    number = format_case_number(year, taken)
    if ids:
        Notification.objects.filter(pk__in=ids).update(case_number=number)
    for row in stamp:
        row.case_number = number
    return number


def missing_for_submission(case: Complaint, *, parts: Sequence[CaseCompany] | None = None) -> list[str]:
    """What the consumer must still fill in before the draft can be submitted, in their words.
    `parts`: the companies the case names, when the caller has read them already."""
    missing = []
    if not (case.consumer_dni and case.consumer_name):
        missing.append(_("your personal details (name and DNI)"))
    named = bool(parts) if parts is not None else CaseCompany.objects.filter(complaint_id=case.pk).exists()
    if not named:
        missing.append(_("the company"))
    if not (case.product and case.facts):
        missing.append(_("what you bought and what happened"))
    if not case.claim_type:
        missing.append(_("what you ask for"))
    if case.declaration_accepted_at is None:
        missing.append(_("the declaration that what you state is true"))
    return missing


def complaint_submit(*, complaint: Complaint, by: User, declared: bool = False) -> Complaint:
    """Submit the draft: it gets the year's number, the office its review deadline, the consumer a
    receipt. `declared`: the consumer ticked the declaration with this submission; it is recorded in
    the submission's own UPDATE of the case (a draft that recorded it before keeps it).

    The number is the move's last write (`_apply`'s `last`): the event, the clocks and the outbox
    rows are written first, then one statement takes the number and stamps it on those rows, then
    one UPDATE writes the case (number, state, chain head and seal together) and the transaction
    commits. Simultaneous filings therefore wait on the year's counter only for those two statements
    and the commit, not for the whole filing (tests/complaints/test_concurrency.py)."""
    from complaints.services.vulnerable import admission_review_days

    with transaction.atomic():
        case = lock_case(complaint.pk, consumer_profile=True)
        # The companies named, in order (`parts_of` without the companies: only their ids are read).
        parts = list(CaseCompany.objects.filter(complaint_id=case.pk).order_by("position", "pk"))
        now = timezone.now()
        changes: dict[str, object] = {}
        if declared and case.status == State.DRAFT:
            changes["declaration_accepted_at"] = case.declaration_accepted_at = now
        missing = missing_for_submission(case, parts=parts)
        if case.status == State.DRAFT and missing:
            raise CaseError(_("Before submitting, complete: %(missing)s.") % {"missing": ", ".join(missing)})
        changes["submitted_at"] = now
        changes["review_due_at"] = deadline_after(now, admission_review_days(case))
        case_parts.register_unregistered_companies(case, by=by, parts=parts)
        move = _apply(
            case,
            actions.SUBMIT.code,
            by=by,
            locked=True,
            last=_number_last(timezone.localtime(now).year),
            **changes,  # type: ignore[arg-type]
        )
        _flag_duplicate(move.case)
    return move.case


def _number_last(year: int) -> LastWrite:
    """Submission's last write: the outbox rows first (they are many statements' work, done before
    the counter is locked), then the number, stamped on them in the same statement. A case that
    has its number already (filed on paper, say) keeps it."""

    def last(move: Move) -> dict[str, object]:
        rows = _notify_parties(move)
        if move.case.number:
            return {}
        return {"number": _take_case_number(year, stamp=rows)}

    return last


def _flag_duplicate(case: Complaint) -> None:
    """At (re)submission, ask for the flag of a likely duplicate of an earlier complaint, computed
    after the commit: it never slows or fails the submission (complaints/services/duplicates.py)."""
    from complaints.services.duplicates import flag_after_commit

    flag_after_commit(case_id=case.pk)


def complaint_resubmit(*, complaint: Complaint, by: User) -> Complaint:
    from complaints.services.vulnerable import admission_review_days

    with transaction.atomic():
        now = timezone.now()
        case = _locked(complaint)
        missing = missing_for_submission(case)
        if missing:
            raise CaseError(_("Before submitting, complete: %(missing)s.") % {"missing": ", ".join(missing)})
        move = _apply(
            case,
            actions.RESUBMIT.code,
            by=by,
            locked=True,
            submitted_at=now,
            review_due_at=deadline_after(now, admission_review_days(case)),
            correction_due_at=None,
        )
        _notify_parties(move)
        _flag_duplicate(move.case)
    return move.case


# --- Admission ------------------------------------------------------------------------------------


def complaint_observe(*, complaint: Complaint, by: User, observation: str) -> Complaint:
    if not observation.strip():
        raise CaseError(_("Say what the consumer must correct."))
    with transaction.atomic():
        due = deadline_after(timezone.now(), settings.DEADLINES["CORRECTION"])
        move = _apply(
            complaint, actions.OBSERVE.code, by=by, reason=observation, observation=observation, correction_due_at=due
        )
        _notify_parties(move, observations=observation, correction_due=due)
    return move.case


def complaint_reject(*, complaint: Complaint, by: User, reason: str, detail: str = "") -> Complaint:
    from complaints.models import RejectionReason

    if reason not in RejectionReason.values:
        raise CaseError(_("Choose a reason for the rejection."))
    with transaction.atomic():
        label = str(RejectionReason(reason).label)
        move = _apply(
            complaint,
            actions.REJECT.code,
            by=by,
            reason=f"{label}. {detail}".strip(),
            rejection_reason=reason,
            rejection_detail=detail,
        )
        _notify_parties(move, reason=move.event.reason)
    return move.case


def complaint_admit(*, complaint: Complaint, by: User, note: str = "") -> Complaint:
    """Admit, then serve each company that has an electronic domicile at once; give the others the
    legal deadline to set one up (complaints/services/serving.py)."""
    from complaints.services.serving import serve_after_admission

    with transaction.atomic():
        move = _apply(complaint, actions.ADMIT.code, by=by, reason=note, admitted_at=timezone.now())
        _notify_parties(move)
        return serve_after_admission(move.case, by=by)


def complaint_withdraw(*, complaint: Complaint, by: User, reason: str = "") -> Complaint:
    with transaction.atomic():
        move = _apply(complaint, actions.WITHDRAW.code, by=by, reason=reason)
        # Every company already served hears of it (notify_case_parties tells only those).
        _notify_parties(move, company=True, reason=reason)
    return move.case


# --- Moves the hearings floor drives (it never writes the status itself) ---------------------------


# The fields a hearings move may set together with the state (e.g. the absent party's deadline).
TRANSITION_FIELDS = frozenset({"justification_due_at"})


def complaint_transition(
    *, complaint: Complaint, transition: str | actions.CaseAction, by: User | None, reason: str = "", **changes: object
) -> Move:
    """For hearings/: schedule, adjourn, outcomes, approval, compliance. Call inside its atomic block.
    `transition` is a declared action (complaints/actions.py) or its code.

    `changes` sets fields of the case in the same save as the state, only those in TRANSITION_FIELDS:
    the hearings floor moves the workflow, it does not edit the case."""
    refused = set(changes) - TRANSITION_FIELDS
    if refused:
        raise TypeError(f"complaint_transition cannot change {', '.join(sorted(refused))}.")
    code = transition.code if isinstance(transition, actions.CaseAction) else transition
    return _apply(complaint, code, by=by, reason=reason, **changes)  # type: ignore[arg-type]


# --- Deadlines (run by Celery beat; the system acts, so `by` is None) ------------------------------


def _move_each_by_the_system(pks: list[int], action: actions.CaseAction, reason: str) -> int:
    """Apply `action` to each case in turn, each in its own transaction; a case that moved meanwhile
    (corrected at the last minute, say) is skipped. Returns how many moved."""
    done = 0
    for pk in pks:
        try:
            with transaction.atomic():
                move = _apply(Complaint(pk=pk), action.code, by=None, reason=reason)
                _notify_parties(move, reason=move.event.reason)
            done += 1
        except CaseError:
            continue
    return done


def archive_uncorrected_complaints(*, now=None, limit: int = 500) -> int:
    """Observed complaints whose correction deadline passed are archived."""
    now = now or timezone.now()
    due = Complaint.objects.filter(status=State.OBSERVED, correction_due_at__lt=now).values_list("pk", flat=True)
    reason = _("The correction deadline passed without a correction.")
    return _move_each_by_the_system(list(due[:limit]), actions.ARCHIVE, reason)


# The offers and answers before the hearing live in offers.py; imported last, as it builds on the
# mechanism above. Re-exported, so callers keep saying `services.offer_make`.
from complaints.services.offers import (  # noqa: E402, F401
    company_answer,
    offer_accept,
    offer_event_reason,
    offer_make,
    offer_reject,
)
from complaints.services.serving import (  # noqa: E402, F401
    complaint_serve_company,
    refer_complaints_without_domicile,
    serve_companies_with_new_domicile,
)
