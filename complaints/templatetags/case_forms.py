"""Blank forms the case page draws on every visit, as HTML rendered once per language (and initial
value) and process: `{% load case_forms %}`.

- ``{% vulnerable_flag_form_html case %}``: the office's form to flag the consumer as hipervulnerable
  (complaints/views/office.py, complaint_vulnerable), its categories prefilled with the case's.

Drawing a form through the widget templates (eight checkboxes, each through its own templates) cost
the office's case page more than any of its panels (issue 16, pages under load); the form holds
nothing of the reader and nothing of the case but its categories. With DEBUG it is drawn every time,
so that an edited template shows at once.
"""

import functools

from django import template
from django.conf import settings
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from complaints.forms.office import VulnerableFlagForm
from complaints.models import Complaint

register = template.Library()


@register.simple_tag
def vulnerable_flag_form_html(case: Complaint) -> SafeString:
    categories = tuple(case.vulnerable_categories or ())
    if settings.DEBUG:
        return _flag_form.__wrapped__(get_language(), categories)
    return _flag_form(get_language(), categories)


@functools.lru_cache(maxsize=64)
def _flag_form(language: str, categories: tuple[str, ...]) -> SafeString:
    return VulnerableFlagForm(initial={"categories": list(categories)}, auto_id="vulnerable-%s").render()
