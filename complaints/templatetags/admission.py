"""What the office's admission panel and the case file's vulnerability box read: `{% load admission %}`.

- ``{% competence_for case as competence %}``: complaints.competence.competence_of (the one rule).
- ``case|time_barred``: the purchase is older than the prescription period (a warning).
- ``{% refer_out_form case as form %}``: the referral form, its authority prefilled with the suggestion.
- ``codes|vulnerability_labels``: the categories' labels, in the reader's language.
- ``{% assisted_channels as channels %}``: how the office can be reached without the web (settings).
"""

from django import template
from django.conf import settings

from complaints.competence import Competence, competence_of, prescription_warning
from complaints.forms.office import ReferOutForm
from complaints.models import Complaint
from complaints.vulnerability import label_for

register = template.Library()


@register.simple_tag
def competence_for(case: Complaint) -> Competence:
    return competence_of(case)


@register.filter
def time_barred(case: Complaint) -> bool:
    return prescription_warning(case)


@register.simple_tag
def refer_out_form(case: Complaint) -> ReferOutForm:
    suggested = competence_of(case).suggested
    return ReferOutForm(initial={"authority": suggested.code if suggested else ""}, auto_id="refer-%s")


@register.filter
def vulnerability_labels(codes: list[str] | None) -> list[str]:
    return [label_for(code) for code in codes or []]


@register.simple_tag
def assisted_channels() -> dict[str, str]:
    return {"phone": settings.PRIVACY_OFFICE_PHONE, "address": settings.PRIVACY_OFFICE_ADDRESS}
