"""The office's page of survey answers reads from the replica (config/routers.py), for real: the
replica alias and its fixtures are tests/reporting/test_replica.py's (transactional, two connections)."""

from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from config.routers import REPLICA
from reporting.models import Survey
from tests.reporting.test_replica import _replica_alias, captured, replica  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


def test_the_survey_answers_read_the_replica(replica, supervisor, consumer, company, client_for) -> None:  # noqa: F811
    now = timezone.now()
    Survey.objects.create(
        complaint=Complaint.objects.create(consumer=consumer, company=company, number="DC-2026-000001"),
        respondent=Survey.Respondent.CONSUMER,
        sent_at=now - timedelta(days=1),
        expires_at=now + timedelta(days=29),
        answered_at=now,
        satisfaction=3,
        solved="partly",
        would_use_again=True,
        comment="Leído en la réplica.",
    )
    client = client_for(supervisor)

    with captured(replica) as (on_default, on_replica):
        response = client.get(reverse("survey_answers"))

    assert response.status_code == 200
    assert "Leído en la réplica." in response.content.decode()
    assert any("reporting_survey" in query["sql"] for query in on_replica.captured_queries)
    assert not any("reporting_survey" in query["sql"] for query in on_default.captured_queries)
