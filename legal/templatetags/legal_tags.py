"""The case page's legal panel (templates/legal/_case_panel.html), included by the complaints floor's
case page without it importing legal/: ``{% legal_panel case request.user as panel %}``."""

from dataclasses import dataclass, field

from django import template

from complaints.models import Complaint
from parties.models import User

from .. import policy
from ..forms import AppealForm, DefenceForm, prefix_for
from ..models import Proceeding
from ..selectors import proceedings_visible_to

register = template.Library()


@dataclass
class PanelRow:
    proceeding: Proceeding
    defence_form: DefenceForm | None = None
    appeal_form: AppealForm | None = None
    may_read_defence: bool = False


@dataclass
class LegalPanel:
    rows: list[PanelRow] = field(default_factory=list)


@register.simple_tag
def legal_panel(case: Complaint, user: User) -> LegalPanel:
    """The case's proceedings this person sees (the office sees them all, as it sees the case), each
    with the company's forms only where the rule allows them."""
    scope = Proceeding.objects.all() if user.has_staff_role else proceedings_visible_to(user)
    rows = []
    for proceeding in scope.filter(complaint_id=case.pk).select_related("part", "part__company").order_by("pk"):
        proceeding.complaint = case
        rows.append(
            PanelRow(
                proceeding=proceeding,
                defence_form=DefenceForm(user=user, prefix=prefix_for("defence", proceeding))
                if not user.has_staff_role and policy.allowed(policy.FILE_DEFENCE, user, proceeding)
                else None,
                appeal_form=AppealForm(user=user, prefix=prefix_for("appeal", proceeding))
                if not user.has_staff_role and policy.allowed(policy.FILE_APPEAL, user, proceeding)
                else None,
                may_read_defence=bool(proceeding.defence_file)
                and policy.allowed(policy.READ_DEFENCE_FILE, user, proceeding),
            )
        )
    return LegalPanel(rows=rows)
