"""For the pages of lower floors that link to the company administrator's API pages (the company's
page, templates/parties/company_detail.html, includes templates/api/_company_link.html): the same
predicate the pages and services ask (api/policy.py), never a copy of it."""

from django import template

from api import policy
from parties.models import Company, User

register = template.Library()


@register.simple_tag
def may_manage_company_api(user: User, company: Company) -> bool:
    """{% may_manage_company_api user company as may_manage_api %}"""
    return policy.allowed(policy.MANAGE_COMPANY_API, user, company)
