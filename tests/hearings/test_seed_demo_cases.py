"""`make demo` leaves every role something to look at, through the real services."""

from io import StringIO

import pytest
from django.core.management import call_command

from complaints.models import Complaint
from complaints.states import State
from hearings.models import Acta

pytestmark = pytest.mark.django_db


def test_the_demo_cases_cover_admission_an_offer_a_hearing_and_an_agreement(django_capture_on_commit_callbacks):
    call_command("seed_demo", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_cases", stdout=StringIO())

    statuses = sorted(Complaint.objects.values_list("status", flat=True))
    assert statuses == sorted([State.SUBMITTED, State.COMPANY_NOTIFIED, State.HEARING_SCHEDULED, State.AGREEMENT])
    assert Complaint.objects.get(status=State.COMPANY_NOTIFIED).offers.filter(status="pending").exists()
    assert Acta.objects.filter(sha256__gt="").count() == 1


def test_running_the_demo_cases_twice_adds_nothing():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_cases", stdout=StringIO())
    call_command("seed_demo_cases", stdout=StringIO())

    assert Complaint.objects.count() == 4
