"""Serving each company of an admitted case (art. 40: a case may name several; each is served on its
own, with its own cédula and deadlines).

A company with an electronic domicile is served there at once (a formal notice, notifications/).
One without must be served on paper (complaints/services/paper.py): it awaits the office's cédula,
and its deadline to set up an electronic domicile starts only from the notice's recorded delivery,
never from the admission: nobody is held to a deadline they were not proven to know of. The case is
served once no company awaits service (complaints/services/parts.py `settle`). In a case of one
company the case's own `serve_company` move serves it, exactly as before parts existed.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import actions
from complaints.errors import CaseError
from complaints.models import CaseCompany, Complaint, PartStatus, ServiceMethod
from complaints.services import Move, _apply, _locked, _notify_parties, lock_case
from complaints.services import parts as case_parts
from complaints.services.assignment import apply_assignment_rules
from complaints.states import State
from notifications.services import formal_notice_serve
from parties.models import User


def serve_after_admission(case: Complaint, *, by: User) -> Complaint:
    """Right after admission: serve every company that has an electronic domicile. The others await
    a notice on paper (the office's list); no deadline runs against them yet."""
    for part in case_parts.parts_of(case):
        if part.has_electronic_domicile:
            case = _serve_part(case, part, by=by)
    return case


def complaint_serve_company(*, complaint: Complaint, by: User | None) -> Complaint:
    """Serve every company of the case still awaiting service that now has an electronic domicile."""
    with transaction.atomic():
        case = lock_case(complaint.pk)
        waiting = [p for p in case_parts.parts_of(case) if p.status == PartStatus.NAMED]
        ready = [p for p in waiting if p.has_electronic_domicile]
        if not ready:
            raise CaseError(_("The company has not set up its electronic domicile yet, so it cannot be served."))
        for part in ready:
            case = _serve_part(case, part, by=by)
        return case


def _serve_part(case: Complaint, part: CaseCompany, *, by: User | None) -> Complaint:
    """The formal notice to one company's electronic domicile; its part is served from now."""
    locked = _locked(case)
    assert part.company is not None  # has_electronic_domicile asked
    now = timezone.now()
    move: Move | None
    if case_parts.is_multi_company(locked):
        part.complaint = locked
        case_parts.part_move(
            part,
            PartStatus.SERVED,
            by=by,
            settle_case=False,
            notified_at=now,
            service_method=ServiceMethod.ELECTRONIC,
            domicile_due_at=None,
        )
        key = f"part:{part.pk}:notice"
        _serve_notice(locked, part, key)
        apply_assignment_rules(part, case=locked)  # the company's rules choose who handles it
        move = case_parts.settle(locked, by=by)  # the last company served serves the case
    else:
        move = _apply(locked, actions.SERVE_COMPANY.code, by=by, company_notified_at=now, domicile_due_at=None)
        CaseCompany.objects.filter(pk=part.pk).update(service_method=ServiceMethod.ELECTRONIC, domicile_due_at=None)
        _serve_notice(move.case, part, f"case-event:{move.event.pk}:notice")
        apply_assignment_rules(part, case=move.case)
    if move is None:
        return locked
    _notify_parties(move)
    return move.case


def _serve_notice(case: Complaint, part: CaseCompany, key: str) -> None:
    assert part.company is not None
    # The cédula is an official record: written in the office's language, whoever admitted the case.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Formal notice of complaint %(number)s") % {"number": case.number}
        body = _(
            "A consumer complaint was admitted against your company. Open it on Concilia to read the facts, "
            "the evidence and the claim, answer in writing or make an offer."
        )
    formal_notice_serve(
        company=part.company, case_number=case.number or "", subject=subject, body=body, idempotency_key=key
    )


# --- Deadlines (Celery beat; the system acts) -----------------------------------------------------


def refer_complaints_without_domicile(*, now=None, limit: int = 500) -> int:
    """Companies proven notified (a paper notice's recorded delivery) whose deadline to set up an
    electronic domicile passed without one: conciliation failed. The case is referred when it is
    the only company; in a case of several, that company's part alone. A company whose notice was
    never proven delivered is never referred: its clock has not started."""
    now = now or timezone.now()
    due = (
        CaseCompany.objects.filter(
            status=PartStatus.NAMED,
            notified_at__isnull=False,
            domicile_due_at__lt=now,
            complaint__status=State.ADMITTED,
        )
        .filter(Q(company__isnull=True) | Q(company__electronic_domicile=""))
        .order_by("domicile_due_at", "pk")
        .values_list("pk", "complaint_id")
    )
    done = 0
    for part_pk, case_pk in list(due[:limit]):
        try:
            with transaction.atomic():
                done += _refer_part(part_pk, case_pk, now=now)
        except CaseError:
            continue  # the case moved meanwhile (withdrawn, served at the last minute)
    return done


def _refer_part(part_pk: int, case_pk: int, *, now) -> int:
    from complaints.services.paper import referral_reason

    case = lock_case(case_pk)
    part = CaseCompany.objects.select_for_update(of=("self",)).select_related("company").get(pk=part_pk)
    part.complaint = case
    still_due = (
        case.status == State.ADMITTED
        and part.status == PartStatus.NAMED
        and part.notified_at is not None
        and part.domicile_due_at is not None
        and part.domicile_due_at < now
        and not part.has_electronic_domicile
    )
    if not still_due:
        return 0
    reason = referral_reason(part)
    if case_parts.is_multi_company(case):
        case_parts.part_move(part, PartStatus.REFERRED, by=None, reason=reason, settle_case=False)
        move = case_parts.settle(case, by=None)
        if move is not None and actions.get(move.event.action).notifies:
            _notify_parties(move)
        return 1
    move = _apply(case, actions.REFER.code, by=None, reason=reason)
    _notify_parties(move, reason=move.event.reason)
    return 1


def serve_companies_with_new_domicile(*, limit: int = 500) -> int:
    """Admitted complaints whose company has since set up its domicile are served."""
    due = (
        CaseCompany.objects.filter(status=PartStatus.NAMED, complaint__status=State.ADMITTED)
        .exclude(company__electronic_domicile="")
        .exclude(company__isnull=True)
        .values_list("complaint_id", flat=True)
        .distinct()
    )
    done = 0
    for pk in list(due[:limit]):
        try:
            complaint_serve_company(complaint=Complaint(pk=pk), by=None)
            done += 1
        except CaseError:
            continue
    return done
