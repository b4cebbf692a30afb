"""What the case page shows of who speaks for whom and of each company's answers and offers, asked
of the same rules the services ask (complaints/policy.py), so the page offers exactly what the
server accepts:

    {% load case_parties %}
    {% offer_moves case user as moves %}       moves.answerable, moves.parts, moves.multi
    {% case_representatives case user as reps %}
"""

import functools
from dataclasses import dataclass, field

from django import template
from django.conf import settings
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from complaints import policy
from complaints.forms.representatives import ConsumerRepForm
from complaints.models import CaseCompany, Complaint, ConsumerRepresentative, Offer
from complaints.services import representatives as rep_services
from complaints.services.parts import parts_of
from complaints.states import OFFICE_ROLES
from parties.models import Representation, User
from parties.policy import Refusal

register = template.Library()


@dataclass
class PartMoves:
    part: CaseCompany
    # Why this person may not make an offer for the company now (None: they may).
    offer_refusal: Refusal | None


@dataclass
class OfferMoves:
    multi: bool
    answerable: list[Offer] = field(default_factory=list)
    parts: list[PartMoves] = field(default_factory=list)
    can_answer_as_company: bool = False

    @property
    def offering_parts(self) -> list[PartMoves]:
        return [moves for moves in self.parts if moves.offer_refusal is None]


def _parts(case: Complaint) -> list[CaseCompany]:
    """The case's companies, lead first, with their company: those the case page read once for all
    its panels (`prefetch_related_objects` in complaints/views/case_file.py), else read now."""
    if "parts" in getattr(case, "_prefetched_objects_cache", {}):
        return list(case.parts.all())
    return list(parts_of(case))


@register.simple_tag
def offer_moves(case: Complaint, user: User) -> OfferMoves:
    parts = _parts(case)
    by_pk = {part.pk: part for part in parts}
    moves = OfferMoves(multi=len(parts) > 1)
    for offer in policy.pending_offers_of(case):
        if offer.part_id in by_pk:
            offer.part = by_pk[offer.part_id]
            offer.part.complaint = case
        offer.complaint = case
        if policy.may_answer_offer(user, offer):
            moves.answerable.append(offer)
    moves.can_answer_as_company = policy.may_answer_as_company(user, case)
    if moves.can_answer_as_company:
        for part in policy.parts_acting_for(user, case):
            moves.parts.append(PartMoves(part, policy.why_not(policy.MAKE_OFFER, user, part)))
    return moves


@dataclass
class SideRepresentatives:
    consumer_reps: list[ConsumerRepresentative]
    companies: list[tuple[CaseCompany, list[Representation]]]
    may_name: bool
    is_office: bool


@register.simple_tag
def case_representatives(case: Complaint, user: User) -> SideRepresentatives:
    """Who represents each side, under which power. The consumer's representatives (revoked ones
    too, for the office and the consumer) and each company's active representatives."""
    is_office = user.role in OFFICE_ROLES
    sees_all = is_office or user.pk == case.consumer_id
    reps = ConsumerRepresentative.objects.filter(complaint_id=case.pk).select_related("user").order_by("created_at")
    if not sees_all:
        reps = reps.filter(revoked_at__isnull=True)
    parts = _parts(case)
    representations: dict[int, list[Representation]] = {}
    for representation in (
        Representation.objects.active()
        .filter(company_id__in=[part.company_id for part in parts if part.company_id])
        .select_related("user")
        .order_by("created_at")
    ):
        representations.setdefault(representation.company_id, []).append(representation)
    for rep in reps:
        rep.complaint = case
        rep.may_be_revoked = rep_services.may_revoke_consumer_rep(user, rep)  # type: ignore[attr-defined]
    return SideRepresentatives(
        consumer_reps=list(reps),
        companies=[(part, representations.get(part.company_id or 0, [])) for part in parts],
        may_name=rep_services.may_name_consumer_rep(user, case),
        is_office=is_office,
    )


@register.simple_tag
def consumer_rep_form() -> SafeString:
    """The blank form to name the consumer's representative, as HTML. It holds nothing of the case or
    the reader, so it is rendered once per language and process: drawing a form through the widget
    templates cost more than the rest of its panel, on every case page the office opens. (With
    DEBUG, every time, so that an edited template shows at once.)"""
    if settings.DEBUG:
        return _blank_rep_form.__wrapped__(get_language())
    return _blank_rep_form(get_language())


@functools.lru_cache(maxsize=8)
def _blank_rep_form(language: str) -> SafeString:
    return ConsumerRepForm(prefix="rep").render()
