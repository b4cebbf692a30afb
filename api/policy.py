"""Who may manage a company's machine access (its API keys and webhook endpoints): one predicate,
asked by the services under their lock, by the views (403) and by the pages (the buttons).

Only the company's own administrators: a key acts for the person who created it, so it must be a
representative of the company (office staff, who may manage a company's representatives, would
create a key that never works)."""

from django.utils.translation import gettext as _

from parties.models import Company, Representation, User
from parties.policy import Policy, Refusal, not_you

from .errors import ManagementError

POLICY = Policy(ManagementError)
why_not = POLICY.why_not
allowed = POLICY.allowed
ensure = POLICY.ensure

MANAGE_COMPANY_API = "manage_company_api"


@POLICY.action(MANAGE_COMPANY_API)
def _manage_company_api(user: User, company: Company) -> Refusal | None:
    if user.has_staff_role or not user.is_active:
        return not_you(_("Only an administrator of the company manages its API keys and webhooks."))
    if not Representation.objects.active().filter(user_id=user.pk, company_id=company.pk, is_admin=True).exists():
        return not_you(_("Only an administrator of the company manages its API keys and webhooks."))
    return None


may_manage_company_api = POLICY.rules[MANAGE_COMPANY_API]
