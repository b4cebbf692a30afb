"""The final filing POST, as the consumer sends it: how many statements it costs (pinned, so a
regression shows), that the case number is its last write, and that the receipt and the outbox carry
the number taken that late."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from complaints.states import State
from notifications.models import Notification
from notifications.rendering import ensure_rendered
from parties.business_days import deadline_after
from tests.complaints.factories import draft_case


@pytest.fixture
def draft(consumer, company) -> Complaint:
    return draft_case(consumer, company, declaration_accepted_at=None)


def submit(client, draft: Complaint):
    return client.post(reverse("complaint_submit", args=[draft.pk]), {"declaration": "on"})


@pytest.mark.postgres
def test_the_filing_post_costs_fifteen_statements_with_the_number_last(client_for, consumer, draft):
    client = client_for(consumer)
    deadline_after(timezone.now(), 1)  # the holiday calendar is read once per process, not per filing

    with CaptureQueriesContext(connection) as queries:
        response = submit(client, draft)

    assert response.status_code == 302
    statements = [query["sql"] for query in queries.captured_queries]
    # 1 the session · 2 the user · 3 the consumer's own case (no representation check: it is theirs)
    # 4 SAVEPOINT (the submission's atomic block; BEGIN outside a test) · 5 the case locked, with its
    # company, consumer and profile · 6 the companies it names · 7 INSERT the event (its head taken
    # from the locked row) · 8 SAVEPOINT (the oversight clocks) · 9 the case's clocks, open and
    # settled, in one read · 10 INSERT the review clock · 11 RELEASE · 12 INSERT the outbox rows
    # (e-mail and inbox, one statement) · 13 take the number and stamp it on those rows · 14 UPDATE
    # the case: number, state, declaration, deadlines, chain head and seal together · 15 RELEASE
    # (COMMIT outside a test).
    assert len(statements) == 15, "\n".join(statements)
    taking = next(i for i, sql in enumerate(statements) if "complaints_casenumbersequence" in sql)
    assert statements[taking].startswith("WITH taken AS (INSERT INTO")
    assert statements[taking + 1].startswith('UPDATE "complaints_complaint" SET "number"')
    assert statements[taking + 2].startswith("RELEASE SAVEPOINT")
    assert len(statements) == taking + 3  # nothing else runs while the year's counter is locked
    draft.refresh_from_db()
    assert draft.status == State.SUBMITTED
    assert draft.declaration_accepted_at is not None


def test_the_receipt_shows_the_number_and_the_outbox_rows_carry_it(client_for, consumer, draft):
    client = client_for(consumer)

    response = submit(client, draft)

    draft.refresh_from_db()
    year = timezone.localdate().year
    assert draft.number == f"DC-{year}-000001"
    assert response.url == reverse("complaint_receipt", args=[draft.pk])
    assert draft.number in client.get(response.url).content.decode()
    rows = list(Notification.objects.filter(recipient=consumer, event="complaint_received"))
    assert {row.channel for row in rows} >= {"email", "inbox"}
    assert {row.case_number for row in rows} == {draft.number}
    # The message, rendered where it is delivered, names the case by the number stamped on its row.
    ensure_rendered(rows)
    assert all(draft.number in row.body_text for row in rows)


def test_an_unticked_declaration_is_refused_and_withdraws_the_one_given_before(client_for, consumer, company):
    case = draft_case(consumer, company)  # declared on an earlier visit
    client = client_for(consumer)

    response = client.post(reverse("complaint_submit", args=[case.pk]), {})

    case.refresh_from_db()
    assert response.url == reverse("complaint_step", args=[case.pk, 6])
    assert (case.status, case.number, case.declaration_accepted_at) == (State.DRAFT, None, None)
    assert not Notification.objects.filter(recipient=consumer).exists()
