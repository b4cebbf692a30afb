"""`make demo` leaves every role something to look at, through the real services."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from complaints.models import CompanyRole, Complaint, PartStatus, ServiceMethod
from complaints.states import State
from hearings.models import Acta

pytestmark = pytest.mark.django_db


def test_the_demo_cases_cover_admission_an_offer_a_hearing_and_an_agreement(django_capture_on_commit_callbacks):
    call_command("seed_demo", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_cases", stdout=StringIO())

    statuses = sorted(Complaint.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [State.SUBMITTED, State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED, State.AGREEMENT, State.COMPANY_NOTIFIED]
    )
    assert Complaint.objects.filter(status=State.COMPANY_NOTIFIED, offers__status="pending").count() == 1
    # One case against a seller, a manufacturer and a financier, each served on its own.
    several = Complaint.objects.annotate(companies=Count("parts")).get(companies=3)
    assert several.status == State.COMPANY_NOTIFIED
    assert list(several.parts.values_list("role", "status", "service_method")) == [
        (CompanyRole.SELLER, PartStatus.SERVED, ServiceMethod.ELECTRONIC),
        (CompanyRole.MANUFACTURER, PartStatus.SERVED, ServiceMethod.ELECTRONIC),
        (CompanyRole.FINANCIER, PartStatus.SERVED, ServiceMethod.ELECTRONIC),
    ]
    # Every case has its parts: the pages read them.
    assert not Complaint.objects.filter(parts__isnull=True).exists()
    assert Acta.objects.filter(sha256__gt="").count() == 1


def test_running_the_demo_cases_twice_adds_nothing():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_cases", stdout=StringIO())
    call_command("seed_demo_cases", stdout=StringIO())

    assert Complaint.objects.count() == 5
