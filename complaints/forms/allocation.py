"""The admission queue's allocation filter: my queue, the unassigned ones, or all."""

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from complaints.services.allocation import orphan_holders
from parties.models import User

MINE = "mine"
UNASSIGNED = "unassigned"
ALL = "all"


class AssignedFilterForm(forms.Form):
    """GET `assigned`: whose complaints the queue shows. For complaints awaiting review, "mine" is
    served by `complaint_my_queue` and "unassigned" by `complaint_unassigned_queue`, both in the
    queue's order; "all" leaves the queue as it was."""

    assigned = forms.ChoiceField(
        label=_("Assigned to"),
        required=False,
        choices=[(ALL, _("Anyone or nobody")), (MINE, _("My queue")), (UNASSIGNED, _("Unassigned"))],
    )

    @property
    def choice(self) -> str:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("assigned") or ALL

    def filter(self, cases: QuerySet[Complaint], *, user: User) -> QuerySet[Complaint]:
        if self.choice == MINE:
            return cases.filter(assigned_officer=user)
        if self.choice == UNASSIGNED:
            # Nobody's, or held by someone who can no longer review it (deactivated, out of the office).
            orphans = orphan_holders()
            nobody = Q(assigned_officer__isnull=True)
            return cases.filter(nobody | Q(assigned_officer_id__in=orphans) if orphans else nobody)
        return cases
