"""An outcome recorded while the broker is down still stands, and its acta is generated later by
the beat job, exactly once."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from kombu.exceptions import OperationalError

from hearings.models import Acta, Hearing
from hearings.tasks import generate_missing_actas
from tests.hearings.test_outcome_support import agreement_at, hearing_under_way

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_outcome_recorded_with_the_broker_down_gets_its_acta_from_the_beat_job(
    consumer, company, officer, conciliator
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    with mock.patch("hearings.tasks.generate_acta.delay", side_effect=OperationalError("broker down")):
        agreement_at(hearing, conciliator)

    hearing.refresh_from_db()
    assert hearing.outcome == Hearing.Outcome.AGREEMENT
    assert not Acta.objects.filter(hearing=hearing, sha256__gt="").exists()
    assert generate_missing_actas() == 0  # too recent: the task may still be on its way

    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert generate_missing_actas() == 1
        assert generate_missing_actas() == 0

    acta = Acta.objects.get(hearing=hearing)
    assert len(acta.sha256) == 64
