"""The access log: every successful read of a case document by a signed-in person leaves one row
(who, role, what, which case, from where), written by one middleware; supervisors search it."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import get_resolver, reverse
from django.utils import timezone

from complaints.models import Evidence
from hearings.models import Acta
from notifications.models import FormalNotice
from parties.models import Role
from privacy.models import AccessKind, AccessLog
from privacy.services import access_log_purge, access_log_record
from privacy.watched import WATCHED
from tests.complaints.factories import served_case, submitted_case
from tests.hearings.test_outcome_support import agreement_at, attend, hearing_under_way


def url_names() -> set[str]:
    return {name for name in get_resolver().reverse_dict if isinstance(name, str)}


def test_every_declared_page_exists_in_the_url_configuration():
    missing = set(WATCHED) - url_names()

    assert not missing, f"Renamed or removed URLs the access log still watches: {sorted(missing)}"


def test_an_officer_opening_a_case_file_is_logged_with_the_case_the_address_and_the_browser(
    client_for, consumer, company, officer
):
    case = submitted_case(consumer, company)
    client = client_for(officer)

    response = client.get(
        reverse("complaint_detail", args=[case.pk]), HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 200
    row = AccessLog.objects.get()
    assert (row.user, row.role, row.kind, row.url_name) == (
        officer,
        Role.OFFICER,
        AccessKind.CASE_FILE,
        "complaint_detail",
    )
    assert (row.object_id, row.case_id, row.case_number) == (case.pk, case.pk, case.number)
    assert (row.ip, row.user_agent) == ("203.0.113.9", "Firefox/140")


def test_the_consumers_reads_of_their_own_case_are_logged_too(client_for, consumer, company):
    case = submitted_case(consumer, company)

    client_for(consumer).get(reverse("complaint_detail", args=[case.pk]))

    assert AccessLog.objects.get().role == Role.CONSUMER


def test_an_evidence_download_is_logged_under_its_case(client_for, consumer, company, officer):
    case = submitted_case(consumer, company, evidence=True)
    evidence = Evidence.objects.filter(complaint=case).first()
    assert evidence is not None

    response = client_for(officer).get(reverse("evidence_download", args=[evidence.pk]))

    assert response.status_code == 200
    row = AccessLog.objects.get()
    assert (row.kind, row.object_id, row.case_id, row.case_number) == (
        AccessKind.EVIDENCE,
        evidence.pk,
        case.pk,
        case.number,
    )


def test_recording_a_read_costs_one_insert_whatever_the_page_names(
    consumer, company, officer, django_assert_num_queries
):
    case = submitted_case(consumer, company, evidence=True)
    evidence = Evidence.objects.filter(complaint=case).first()
    assert evidence is not None

    # One statement: the INSERT, with the case's id and number as sub-selects inside it.
    with django_assert_num_queries(1):
        access_log_record(user=officer, url_name="evidence_download", object_id=evidence.pk)

    row = AccessLog.objects.get()
    assert (row.case_id, row.case_number) == (case.pk, case.number)


def test_a_refused_read_is_not_logged(client_for, consumer, company, stranger):
    case = submitted_case(consumer, company)

    response = client_for(stranger).get(reverse("complaint_detail", args=[case.pk]))

    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_pages_that_show_no_case_document_are_not_logged(client_for, consumer, company):
    submitted_case(consumer, company)

    client_for(consumer).get(reverse("complaint_list"))

    assert not AccessLog.objects.exists()


def test_behind_a_trusted_proxy_the_address_is_the_clients(client_for, consumer, company, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    case = submitted_case(consumer, company)

    client_for(consumer).get(
        reverse("complaint_detail", args=[case.pk]), HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.2"
    )

    assert AccessLog.objects.get().ip == "198.51.100.7"


def test_a_long_browser_name_is_cut(client_for, consumer, company):
    case = submitted_case(consumer, company)

    client_for(consumer).get(reverse("complaint_detail", args=[case.pk]), HTTP_USER_AGENT="x" * 1000)

    assert len(AccessLog.objects.get().user_agent) == 256


def test_a_representative_reading_a_formal_notice_is_logged_under_its_case(
    client_for, consumer, company, officer, representative
):
    case = served_case(consumer, company, officer)
    notice = FormalNotice.objects.get(case_number=case.number)

    client_for(representative).get(reverse("formal_notice_detail", args=[notice.pk]))

    row = AccessLog.objects.get()
    assert (row.kind, row.object_id, row.case_id, row.case_number) == (
        AccessKind.FORMAL_NOTICE,
        notice.pk,
        case.pk,
        case.number,
    )


def test_an_acta_download_is_logged_under_its_case(
    client_for, consumer, company, officer, conciliator, representative, django_capture_on_commit_callbacks
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    attend(hearing, consumer, "consumer", joined=hearing.starts_at)
    attend(hearing, representative, "company", joined=hearing.starts_at)
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    assert Acta.objects.get(hearing=hearing).is_ready

    response = client_for(consumer).get(reverse("acta_download", args=[hearing.pk]))

    assert response.status_code == 200
    row = AccessLog.objects.get(kind=AccessKind.ACTA)
    assert (row.object_id, row.case_id, row.case_number) == (hearing.pk, hearing.complaint_id, hearing.complaint.number)


# --- The supervisor's page --------------------------------------------------------------------------


@pytest.fixture
def reads(consumer, company, officer, supervisor, client_for):
    """Two cases. A week ago the officer opened the first; now the consumer opens it and the
    officer exports the second."""
    first = submitted_case(consumer, company)
    second = submitted_case(consumer, company)
    with time_machine.travel(timezone.now() - timedelta(days=7)):
        client_for(officer).get(reverse("complaint_detail", args=[first.pk]))
    client_for(consumer).get(reverse("complaint_detail", args=[first.pk]))
    client_for(officer).get(reverse("complaint_export_pdf", args=[second.pk]))
    assert AccessLog.objects.count() == 3
    return first, second


def listed(client, **filters) -> str:
    response = client.get(reverse("access_log"), filters)
    assert response.status_code == 200
    return response.content.decode()


def test_the_supervisor_sees_every_read_newest_first(client_for, supervisor, reads):
    page = listed(client_for(supervisor))

    assert page.index("Case file export (PDF)") < page.index("María González") < page.rindex("Carlos Pereyra")


def test_the_supervisor_searches_by_case_number(client_for, supervisor, reads):
    first, second = reads

    page = listed(client_for(supervisor), case_number=second.number.lower())

    assert second.number in page and first.number not in page


def test_the_supervisor_filters_by_role_to_see_only_the_consumers_reads(client_for, supervisor, reads):
    page = listed(client_for(supervisor), role=Role.CONSUMER)

    assert "maria@example.com" in page and "carlos@oficina.test" not in page


def test_the_supervisor_filters_by_person_and_by_kind(client_for, supervisor, reads):
    first, second = reads
    client = client_for(supervisor)

    by_person = listed(client, user="carlos@")
    by_kind = listed(client, kind=AccessKind.CASE_EXPORT)

    assert "carlos@oficina.test" in by_person and "maria@example.com" not in by_person
    assert second.number in by_kind and first.number not in by_kind


def test_the_supervisor_filters_by_dates(client_for, supervisor, reads):
    first, second = reads
    today = timezone.localdate()

    page = listed(
        client_for(supervisor),
        since=(today - timedelta(days=8)).isoformat(),
        until=(today - timedelta(days=6)).isoformat(),
    )

    assert first.number in page and "maria@example.com" not in page and second.number not in page


def test_an_end_date_before_the_start_is_refused(client_for, supervisor, reads):
    today = timezone.localdate()

    page = listed(client_for(supervisor), since=today.isoformat(), until=(today - timedelta(days=3)).isoformat())

    assert "The end date must be on or after the start date." in page
    assert "maria@example.com" not in page


def test_a_date_out_of_any_range_is_a_message_not_an_error(client_for, supervisor, reads):
    page = listed(client_for(supervisor), until="9999-12-31")

    assert "Enter a date on or before" in page


def test_the_list_is_paginated(client_for, supervisor, consumer, company):
    case = submitted_case(consumer, company)
    for _ in range(55):
        access_log_record(user=consumer, url_name="complaint_detail", object_id=case.pk)

    page = listed(client_for(supervisor))

    assert "Showing 1\u201350 of 55" in page  # an en dash


@pytest.mark.parametrize("role", ["officer", "conciliator", "consumer", "representative"])
def test_nobody_but_a_supervisor_sees_the_log(client_for, role, request, db):
    user = request.getfixturevalue(role)

    assert client_for(user).get(reverse("access_log")).status_code == 404


# --- Retention ----------------------------------------------------------------------------------------


def test_rows_older_than_the_retention_are_deleted_in_batches_and_newer_ones_kept(consumer, company, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    case = submitted_case(consumer, company)
    with time_machine.travel(timezone.now() - timedelta(days=31)):
        for _ in range(5):
            access_log_record(user=consumer, url_name="complaint_detail", object_id=case.pk)
    recent = access_log_record(user=consumer, url_name="complaint_detail", object_id=case.pk)

    deleted = access_log_purge(batch_size=2)

    assert deleted == 5
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
