"""Helpers shared by the survey tests (tests/reporting/test_surveys*.py): a case that ends, the link
of a survey, what a person posts."""

from django.conf import settings
from django.urls import reverse

from complaints import services as case_services
from complaints.models import Complaint
from notifications.models import Notification
from parties.models import Company, User
from reporting.models import Survey
from reporting.survey_links import survey_token
from tests.complaints.factories import served_case, submitted_case
from tests.notifications.helpers import rendered


def withdrawn(case: Complaint, consumer: User, capture) -> Complaint:
    """The consumer withdraws the case (a closing move), its after-commit work run."""
    with capture(execute=True):
        return case_services.complaint_withdraw(complaint=case, by=consumer, reason="Ya se solucionó.")


def closed_served_case(consumer: User, company: Company, officer: User, capture) -> Complaint:
    """Served on the company, then withdrawn: the consumer and the company are asked."""
    return withdrawn(served_case(consumer, company, officer), consumer, capture)


def closed_unserved_case(consumer: User, company: Company, capture) -> Complaint:
    """Withdrawn before the company was ever served: only the consumer is asked."""
    return withdrawn(submitted_case(consumer, company), consumer, capture)


def consumer_survey(case: Complaint) -> Survey:
    return Survey.objects.get(complaint=case, respondent=Survey.Respondent.CONSUMER)


def company_survey(case: Complaint) -> Survey:
    return Survey.objects.get(complaint=case, respondent=Survey.Respondent.COMPANY)


def link(survey: Survey) -> str:
    return reverse("survey_answer", args=[survey_token(survey)])


def absolute_link(survey: Survey) -> str:
    return settings.SITE_URL + link(survey)


def answers(**changes: str) -> dict[str, str]:
    return {
        "satisfaction": "4",
        "solved": "partly",
        "would_use_again": "yes",
        "comment": "Me atendieron bien.",
    } | changes


def messages_to(user: User, event: str = "survey_invitation") -> list[Notification]:
    return rendered(Notification.objects.filter(recipient=user, event=event).order_by("channel"))


def email_to(user: User, event: str = "survey_invitation") -> Notification:
    [email] = [row for row in messages_to(user, event) if row.channel == "email"]
    return email
