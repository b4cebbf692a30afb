"""The case file exported for the sumario carries its hearings: attendance with times, the outcome,
the acta's hash and who confirmed it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from complaints.services import complaint_transition
from hearings.models import Acta, Hearing
from hearings.services.acta import acta_confirm
from hearings.services.outcome import outcome_record
from tests.hearings.test_outcome_support import attend, hearing_under_way, read_text

pytestmark = pytest.mark.django_db


def test_the_exported_case_file_shows_who_attended_the_hearing_and_its_acta(
    consumer, company, officer, conciliator, representative, client_for, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    attend(hearing, consumer, "consumer", joined=hearing.starts_at + timedelta(minutes=2))
    attend(hearing, representative, "company", joined=hearing.starts_at + timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT, notes="Sin acuerdo.")
    acta_confirm(hearing=hearing, by=consumer)
    complaint_transition(complaint=hearing.complaint, transition="refer", by=officer, reason="Sin acuerdo")

    response = client_for(officer).get(reverse("complaint_export_pdf", args=[hearing.complaint.pk]))

    assert response.status_code == 200
    text = read_text(response.content)
    acta = Acta.objects.get(hearing=hearing)
    assert "Hearings and actas" in text
    assert consumer.display_name in text and representative.display_name in text
    joined = formats.date_format(timezone.localtime(hearing.starts_at + timedelta(minutes=2)), "SHORT_DATETIME_FORMAT")
    assert joined in text
    assert "No agreement" in text
    assert acta.sha256[:32] in text.replace(" ", "")
    assert f"Confirmed by {consumer.display_name}" in text
