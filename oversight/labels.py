"""What a deadline's code (DeadlineChange.what) means to a person: one place, read by the recompute's
event on the case's record and by the office calendar's page (workdays/oversight_link.py).

Codes: a case's column by its field ("review_due_at"), a company's column as "part:<id>:<field>", a
clock as "clock:<kind>", a legal window as "legal:<kind>"."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Kind

_COLUMN_LABELS = {
    "review_due_at": gettext_lazy("Admission review"),
    "correction_due_at": gettext_lazy("Correction of the complaint"),
    "justification_due_at": gettext_lazy("Justification of an absence"),
    "domicile_due_at": gettext_lazy("Company's electronic domicile"),
    "legal:defence": gettext_lazy("Company's defence (descargo)"),
    "legal:appeal": gettext_lazy("Appeal against the sanction"),
}
_PART_LABELS = {
    "domicile_due_at": gettext_lazy("A company's electronic domicile"),
    "justification_due_at": gettext_lazy("A company's justification of its absence"),
}


def describe(what: str) -> str:
    """The words for a deadline's code, in the active language; never the code itself."""
    if what.startswith("clock:"):
        kind = what.split(":", 1)[1]
        return str(Kind(kind).label) if kind in Kind.values else _("Another deadline")
    if what.startswith("part:"):
        label = _PART_LABELS.get(what.rsplit(":", 1)[-1])
        return str(label) if label else _("Another deadline of a company")
    label = _COLUMN_LABELS.get(what)
    return str(label) if label else _("Another deadline")
