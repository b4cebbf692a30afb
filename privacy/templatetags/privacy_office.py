"""{% load privacy_office %}{% privacy_office as office %}: the office responsible for the data base,
for the notice at collection, which is included into pages whose views know nothing of it."""

from django import template

register = template.Library()


@register.simple_tag
def privacy_office() -> dict[str, str]:
    from privacy.views import office  # the one place that reads the PRIVACY_OFFICE_* settings

    return office()
