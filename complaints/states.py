"""The states of a case and who may move it. Names are English in code, Spanish on screen."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from parties.models import Representation, Role


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    OBSERVED = "observed", _("Correction requested")
    REJECTED = "rejected", _("Rejected")
    ADMITTED = "admitted", _("Admitted")
    COMPANY_NOTIFIED = "company_notified", _("Company notified")
    HEARING_SCHEDULED = "hearing_scheduled", _("Hearing scheduled")
    ADJOURNED = "adjourned", _("Adjourned (cuarto intermedio)")
    AGREEMENT = "agreement", _("Agreement")
    AGREEMENT_APPROVED = "agreement_approved", _("Agreement approved (homologado)")
    COMPLIED = "complied", _("Agreement complied with")
    BREACHED = "breached", _("Agreement breached")
    NO_AGREEMENT = "no_agreement", _("No agreement")
    COMPANY_ABSENT = "company_absent", _("Company absent")
    CONSUMER_ABSENT = "consumer_absent", _("Consumer absent")
    WITHDRAWN = "withdrawn", _("Withdrawn (desistido)")
    REFERRED = "referred", pgettext_lazy("case status", "Referred to the legal directorate")
    ARCHIVED = "archived", _("Archived")
    # Sent to the authority competent for it (another province's office, the national one).
    REFERRED_OUT = "referred_out", _("Referred to the competent authority")
    # Several companies whose parts ended differently (one agreed, one was referred…): each part's
    # own end is on its row (complaints.models.CaseCompany); the case closes once every part has.
    CONCLUDED = "concluded", _("Concluded (each company's part ended)")


# Before an outcome the consumer may withdraw at any time.
PRE_OUTCOME_STATES = [
    State.SUBMITTED,
    State.OBSERVED,
    State.ADMITTED,
    State.COMPANY_NOTIFIED,
    State.HEARING_SCHEDULED,
    State.ADJOURNED,
]
CLOSED_STATES = frozenset(
    {
        State.REJECTED,
        State.COMPLIED,
        State.WITHDRAWN,
        State.REFERRED,
        State.ARCHIVED,
        State.REFERRED_OUT,
        State.CONCLUDED,
    }
)
# A case of several companies closes as CONCLUDED from any of these once its last part has ended.
CONCLUDABLE_STATES = [
    State.ADMITTED,
    State.COMPANY_NOTIFIED,
    State.HEARING_SCHEDULED,
    State.ADJOURNED,
    State.AGREEMENT,
    State.AGREEMENT_APPROVED,
    State.BREACHED,
    State.NO_AGREEMENT,
    State.COMPANY_ABSENT,
]
# Representatives see a case only once their company has been served.
VISIBLE_TO_COMPANY_STATES = frozenset(
    {
        State.COMPANY_NOTIFIED,
        State.HEARING_SCHEDULED,
        State.ADJOURNED,
        State.AGREEMENT,
        State.AGREEMENT_APPROVED,
        State.COMPLIED,
        State.BREACHED,
        State.NO_AGREEMENT,
        State.COMPANY_ABSENT,
        State.CONSUMER_ABSENT,
        State.WITHDRAWN,
        State.REFERRED,
        State.CONCLUDED,
    }
)
OFFICE_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})


# Permission callables receive (case, user); `None` is the system (a beat job acting on a deadline).
def allow_owner_consumer(case, user) -> bool:
    """The consumer who owns the case, or the officer who filed it for them; for a consumer without
    e-mail, who can only be helped at the desk (complaints/assisted.py), any officer."""
    if user is None:
        return False
    if user.pk == case.consumer_id:
        return True
    if user.role not in OFFICE_ROLES:
        return False
    return case.filed_by_id == user.pk or case.consumer.has_no_email


def allow_office(case, user) -> bool:
    return user is not None and user.role in OFFICE_ROLES


def allow_homologating_authority(case, user) -> bool:
    """Homologation: the director, or an officer or supervisor the director delegated it to (the
    hearings floor's rule, hearings/policy.py, says why not to everyone else)."""
    return user is not None and (user.role == Role.DIRECTOR or (user.role in OFFICE_ROLES and user.may_homologate))


def allow_system_or_office(case, user) -> bool:
    return user is None or user.role in OFFICE_ROLES


def allow_conciliator_or_office(case, user) -> bool:
    """The office, or the conciliator who holds this case's current hearing."""
    if user is None:
        return False
    if user.role in OFFICE_ROLES:
        return True
    return (
        user.role == Role.CONCILIATOR
        and case.hearings.filter(conciliator=user).exclude(status="cancelled").exists()  # hearings/ floor
    )


def represents(user, case) -> bool:
    """Speaks for one of the companies the case names (any of its parts)."""
    return (
        user is not None
        and user.is_representative
        and Representation.objects.active().filter(user=user, company__case_parts__complaint_id=case.pk).exists()
    )


def allow_consumer_or_company(case, user) -> bool:
    if user is None:
        return False
    from complaints.representation import speaks_for_consumer  # models import this module

    return (
        user.pk == case.consumer_id
        or represents(user, case)
        or user.role in OFFICE_ROLES
        or speaks_for_consumer(user, case)
    )
