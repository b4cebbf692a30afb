"""The case file's panel of paper notices, for the office: each company without an electronic
domicile (or with notices on record), its notices, and whether it awaits a notice now."""

from dataclasses import dataclass

from django import template

from complaints.models import CaseCompany, Complaint, PaperNotice
from complaints.services.paper import awaits_paper_service
from complaints.states import OFFICE_ROLES

register = template.Library()


@dataclass
class PaperPanelRow:
    part: CaseCompany
    notices: list[PaperNotice]
    awaits: bool

    @property
    def needs_address(self) -> bool:
        return self.awaits and bool(self.notices) and self.notices[0].status == PaperNotice.Status.FAILED


@register.simple_tag
def paper_panel(case: Complaint, parts: list, user: object) -> list[PaperPanelRow]:
    """`parts` is the case file's list of (part, deadline). One query for every notice of the case."""
    if getattr(user, "role", None) not in OFFICE_ROLES:
        return []
    by_part: dict[int, list[PaperNotice]] = {}
    for notice in PaperNotice.objects.filter(part__complaint_id=case.pk).order_by("-created_at", "-pk"):
        by_part.setdefault(notice.part_id, []).append(notice)
    rows = []
    for part, _deadline in parts:
        awaits = awaits_paper_service(part, case)
        if awaits or part.pk in by_part:
            rows.append(PaperPanelRow(part=part, notices=by_part.get(part.pk, []), awaits=awaits))
    return rows
