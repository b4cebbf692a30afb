"""Each company's part in a case (complaints.models.CaseCompany) and how it moves.

The one rule, in one place:

- A case-wide move (`_apply` in complaints/services/__init__.py) carries every open part with it:
  `follow_case` reads PART_MOVES, e.g. `record_agreement` turns each served part into an agreement,
  `withdraw` ends them all. A case of one company therefore never needs a part move of its own.
- In a case of several companies a part may also move alone (served on its own, an agreement with
  one and not another, one referred): `part_move` changes that part and records a `part_*` event
  naming the company. Then `settle` moves the case when its parts say so: the last part served
  serves the case (ADMITTED → COMPANY_NOTIFIED); the last part ended concludes it (CONCLUDED),
  unless a case-wide move already closed it.

Callers hold the case's row lock (`lock_case`), as for every move.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import actions
from complaints.errors import CaseError
from complaints.models import (
    CLOSED_PART_STATUSES,
    OPEN_PART_STATUSES,
    CaseCompany,
    Complaint,
    PartStatus,
)
from complaints.states import CONCLUDABLE_STATES, State
from parties.models import Company, User

if TYPE_CHECKING:
    from complaints.services import Move

S = PartStatus

# What a case-wide move does to each part: (the part statuses it applies to, the status it gives).
# A part in another status stays as it is (e.g. a part already referred on its own).
PART_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "serve_company": (frozenset({S.NAMED}), S.SERVED),
    "accept_offer": (frozenset({S.NAMED, S.SERVED}), S.AGREEMENT),
    "record_agreement": (frozenset({S.SERVED}), S.AGREEMENT),
    "record_no_agreement": (frozenset({S.SERVED}), S.NO_AGREEMENT),
    "record_company_absent": (frozenset({S.SERVED}), S.ABSENT),
    "schedule_hearing": (frozenset({S.ABSENT}), S.SERVED),
    "confirm_compliance": (frozenset({S.AGREEMENT}), S.COMPLIED),
    # A referral never sweeps up a company that agreed: only a breach refers one (below).
    "refer": (frozenset({S.NAMED, S.SERVED, S.NO_AGREEMENT, S.ABSENT}), S.REFERRED),
    "reject": (frozenset({S.NAMED}), S.ENDED),
    "refer_out": (frozenset({S.NAMED}), S.ENDED),
    # Withdrawing ends every open part, an agreement not yet honoured included.
    "withdraw": (frozenset(OPEN_PART_STATUSES), S.ENDED),
    "deem_withdrawn": (frozenset(OPEN_PART_STATUSES), S.ENDED),
    "archive": (frozenset({S.NAMED, S.SERVED}), S.ENDED),
}
# After a reported breach (case BREACHED) the referral takes the agreement that was breached too.
REFER_AFTER_BREACH = (frozenset({S.AGREEMENT, S.NO_AGREEMENT, S.ABSENT, S.SERVED}), S.REFERRED)

# The event a part's own move records, by the status it reaches.
PART_ACTIONS: dict[str, actions.CaseAction] = {
    S.SERVED: actions.PART_SERVED,
    S.AGREEMENT: actions.PART_AGREEMENT,
    S.NO_AGREEMENT: actions.PART_NO_AGREEMENT,
    S.ABSENT: actions.PART_ABSENT,
    S.COMPLIED: actions.PART_COMPLIED,
    S.REFERRED: actions.PART_REFERRED,
}


def parts_of(case: Complaint) -> QuerySet[CaseCompany]:
    return CaseCompany.objects.filter(complaint_id=case.pk).select_related("company").order_by("position", "pk")


def follow_case(case: Complaint, action_code: str, *, from_state: str = "") -> None:
    """Carry the case's open parts along with a case-wide move (one UPDATE, no event of their own:
    the case's event says it for all)."""
    rule = PART_MOVES.get(action_code)
    if action_code == "refer" and from_state == State.BREACHED:
        rule = REFER_AFTER_BREACH
    if rule is None:
        return
    sources, target = rule
    changes: dict[str, object] = {"status": target}
    now = timezone.now()
    if target in CLOSED_PART_STATUSES:
        changes["closed_at"] = now
    if target == S.SERVED and action_code == "serve_company":
        changes["notified_at"] = case.company_notified_at or now
    if target == S.SERVED:
        changes["justification_due_at"] = None
    if target == S.ABSENT:
        changes["justification_due_at"] = case.justification_due_at
    CaseCompany.objects.filter(complaint_id=case.pk, status__in=sources).update(**changes)


def part_move(
    part: CaseCompany, to: str, *, by: User | None, reason: str = "", settle_case: bool = True, **changes: object
) -> CaseCompany:
    """One company's part moves alone, with an event naming it. Then, unless told not to (a caller
    moving several parts settles once at the end), the case follows its parts (`settle`)."""
    case = part.complaint
    from_status = part.status
    if part.is_closed:
        raise CaseError(_("The part of %(company)s in this case has already ended.") % {"company": part.display_name})
    part.status = to
    if to in CLOSED_PART_STATUSES:
        part.closed_at = timezone.now()
    for field, value in changes.items():
        setattr(part, field, value)
    part.save(update_fields=["status", "closed_at", *changes])
    from complaints.services import record_event  # the mechanism lives in the package's __init__

    label = PartStatus(to).label
    record_event(
        case=case,
        action=PART_ACTIONS[to].code,
        by=by,
        part=part,
        reason=f"{part.display_name} ({PartStatus(from_status).label} → {label}). {reason}".strip(),
    )
    if settle_case and (move := settle(case, by=by)) is not None:
        _tell_parties(move)
    return part


def _tell_parties(move: "Move") -> None:
    """What the case's own move (served, concluded) tells the parties."""
    from complaints.services import _notify_parties, notify_case_parties

    if move.event.action == actions.CONCLUDE.code:
        notify_case_parties(
            move.case, "case_update", key=f"case-event:{move.event.pk}", context={"update": "concluded"}
        )
    else:
        _notify_parties(move)


def settle(case: Complaint, *, by: User | None) -> "Move | None":
    """Move the case where its parts now put it: served once no part awaits service, concluded once
    every part has ended. Returns the case's move, if there was one (its caller notifies)."""
    from complaints.services import _apply  # the mechanism lives in the package's __init__

    statuses = set(CaseCompany.objects.filter(complaint_id=case.pk).values_list("status", flat=True))
    if not statuses:
        return None
    if case.status == State.ADMITTED and S.NAMED not in statuses and S.SERVED in statuses:
        return _apply(
            case,
            actions.SERVE_COMPANY.code,
            by=by,
            reason=_("Every company in the case has been served."),
            company_notified_at=timezone.now(),
            domicile_due_at=None,
        )
    if statuses <= CLOSED_PART_STATUSES and case.status in CONCLUDABLE_STATES:
        return _apply(case, actions.CONCLUDE.code, by=None, reason=_("Every company's part in the case has ended."))
    return None


def set_lead(case: Complaint, *, parts: Sequence[CaseCompany] | None = None) -> None:
    """Keep `Complaint.company` (and its CUIT and name) equal to the part in first position: the
    company the case is titled by, in lists and on the record's seal. `parts`: the case's parts in
    order (`parts_of`), when the caller has them already."""
    lead = (parts[0] if parts else None) if parts is not None else parts_of(case).first()
    company_id, cuit, name = (lead.company_id, lead.cuit, lead.name) if lead else (None, "", "")
    if (case.company_id, case.company_cuit, case.company_name) != (company_id, cuit, name):
        case.company_id, case.company_cuit, case.company_name = company_id, cuit, name
        case.save(update_fields=["company", "company_cuit", "company_name", "updated_at"])


def register_unregistered_companies(case: Complaint, *, by: User, parts: Sequence[CaseCompany] | None = None) -> None:
    """At submission, a company named only by CUIT and name joins the registry (without a domicile
    yet), so that every part has its company. `parts`: the case's parts in order (`parts_of`), when
    the submission has read them already (they are updated in place)."""
    if parts is None:
        parts = list(parts_of(case))
    for part in parts:
        if part.company_id is not None:
            continue
        company, _created = Company.objects.get_or_create(
            cuit=part.cuit, defaults={"legal_name": part.name, "created_by": by, "legal_address": part.address}
        )
        part.company = company
        part.save(update_fields=["company"])
    set_lead(case, parts=parts)


def name_company(
    case: Complaint,
    *,
    company: Company | None = None,
    cuit: str = "",
    name: str = "",
    role: str = "",
    address: str = "",
    province: str = "",
    position: int | None = None,
) -> CaseCompany:
    """Name a company in a draft (a registered one, or a CUIT and name), at `position` (replacing
    the company there) or after the others. The first is the lead (`set_lead`)."""
    if company is not None:
        cuit, name = company.cuit, company.legal_name
        address = address or company.legal_address
    values = {
        "company": company,
        "cuit": cuit,
        "name": name,
        "role": role,
        "address": address,
        "province": province,
    }
    if position is None:
        position = next_position(case)
    part, _created = CaseCompany.objects.update_or_create(complaint_id=case.pk, position=position, defaults=values)
    set_lead(case)
    return part


def remove_company(case: Complaint, part: CaseCompany) -> None:
    """Take a company off a draft; the others close ranks (the first stays the lead)."""
    part.delete()
    for position, remaining in enumerate(parts_of(case), start=1):
        if remaining.position != position:
            CaseCompany.objects.filter(pk=remaining.pk).update(position=position)
    set_lead(case)


def next_position(case: Complaint) -> int:
    return (CaseCompany.objects.filter(complaint_id=case.pk).aggregate(m=Max("position"))["m"] or 0) + 1


def is_multi_company(case: Complaint) -> bool:
    return CaseCompany.objects.filter(complaint_id=case.pk).count() > 1
