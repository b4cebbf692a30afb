"""Hipervulnerable consumers at the office: first in the admission queue, a shorter review target,
flagged and unflagged by an officer with an event each, shown on the case file."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from complaints import services
from complaints.models import CaseEvent
from complaints.services.vulnerable import complaint_flag_vulnerable, complaint_unflag_vulnerable
from parties.business_days import deadline_after
from tests.complaints.factories import draft_case, served_case, submitted_case

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("America/Argentina/Buenos_Aires"))


def test_a_vulnerable_consumers_case_is_first_in_the_queue(consumer, company, officer, client_for):
    with time_machine.travel(MONDAY, tick=False):
        older = submitted_case(consumer, company)
    with time_machine.travel(MONDAY.replace(day=2), tick=False):
        vulnerable = submitted_case(consumer, company, vulnerable=True, vulnerable_categories=["older_adult"])
    page = client_for(officer).get(reverse("admission_queue")).content.decode()
    assert page.index(vulnerable.number) < page.index(older.number)
    assert "Hipervulnerable" in page


def test_a_vulnerable_consumers_case_gets_the_shorter_review_target(consumer, company, settings):
    settings.DEADLINES = {**settings.DEADLINES, "ADMISSION_REVIEW": 5, "ADMISSION_REVIEW_VULNERABLE": 2}
    with time_machine.travel(MONDAY, tick=False):
        ordinary = submitted_case(consumer, company)
        vulnerable = submitted_case(consumer, company, vulnerable=True, vulnerable_categories=["disability"])
    assert ordinary.review_due_at == deadline_after(MONDAY, 5)
    assert vulnerable.review_due_at == deadline_after(MONDAY, 2)
    assert vulnerable.review_due_at < ordinary.review_due_at


def test_a_resubmitted_vulnerable_case_gets_the_shorter_target_too(consumer, company, officer, settings):
    settings.DEADLINES = {**settings.DEADLINES, "ADMISSION_REVIEW": 5, "ADMISSION_REVIEW_VULNERABLE": 2}
    case = submitted_case(consumer, company, vulnerable=True, vulnerable_categories=["disability"])
    services.complaint_observe(complaint=case, by=officer, observation="Falta la factura.")
    with time_machine.travel(MONDAY, tick=False):
        case = services.complaint_resubmit(complaint=case, by=consumer)
    assert case.review_due_at == deadline_after(MONDAY, 2)


def test_an_officer_flags_a_case_and_its_review_target_shortens(consumer, company, officer, client_for, settings):
    settings.DEADLINES = {**settings.DEADLINES, "ADMISSION_REVIEW": 5, "ADMISSION_REVIEW_VULNERABLE": 2}
    with time_machine.travel(MONDAY, tick=False):
        case = submitted_case(consumer, company)
    response = client_for(officer).post(
        reverse("complaint_vulnerable", args=[case.pk]),
        {"categories": ["older_adult", "low_income"], "note": "Tiene 84 años y cobra la mínima."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.vulnerable
    assert case.vulnerable_categories == ["older_adult", "low_income"]
    assert case.vulnerable_flagged_by == officer
    assert case.submitted_at is not None
    assert case.review_due_at == deadline_after(case.submitted_at, 2)
    event = CaseEvent.objects.filter(complaint=case).latest("pk")
    assert event.action == "vulnerable_flagged"
    assert event.actor_id == officer.pk
    assert "Tiene 84 años" in event.reason
    assert "Older adult" in event.reason


def test_an_officer_unflags_a_case_and_the_ordinary_target_returns(consumer, company, officer, client_for, settings):
    settings.DEADLINES = {**settings.DEADLINES, "ADMISSION_REVIEW": 5, "ADMISSION_REVIEW_VULNERABLE": 2}
    with time_machine.travel(MONDAY, tick=False):
        case = submitted_case(consumer, company, vulnerable=True, vulnerable_categories=["minor"])
    response = client_for(officer).post(
        reverse("complaint_vulnerable", args=[case.pk]), {"unflag": "1", "note": "Era mayor de edad."}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert not case.vulnerable
    assert case.vulnerable_categories == []
    assert case.submitted_at is not None
    assert case.review_due_at == deadline_after(case.submitted_at, 5)
    event = CaseEvent.objects.filter(complaint=case).latest("pk")
    assert (event.action, event.reason) == ("vulnerable_unflagged", "Era mayor de edad.")


def test_a_flag_needs_a_category(consumer, company, officer, client_for):
    case = submitted_case(consumer, company)
    response = client_for(officer).post(reverse("complaint_vulnerable", args=[case.pk]), {"note": "?"})
    assert response.status_code == 200
    assert "Choose at least one category." in response.content.decode()
    case.refresh_from_db()
    assert not case.vulnerable
    assert not CaseEvent.objects.filter(complaint=case, action="vulnerable_flagged").exists()


def test_only_the_office_flags(consumer, company, client_for):
    case = submitted_case(consumer, company)
    response = client_for(consumer).post(
        reverse("complaint_vulnerable", args=[case.pk]), {"categories": ["older_adult"]}
    )
    assert response.status_code == 403
    with pytest.raises(services.CaseError):
        complaint_flag_vulnerable(complaint=case, by=consumer, categories=["older_adult"])
    case.refresh_from_db()
    assert not case.vulnerable


def test_a_draft_or_closed_case_cannot_be_flagged(consumer, company, officer):
    draft = draft_case(consumer, company)
    with pytest.raises(services.CaseError):
        complaint_flag_vulnerable(complaint=draft, by=officer, categories=["older_adult"])
    case = submitted_case(consumer, company, vulnerable=True, vulnerable_categories=["minor"])
    services.complaint_withdraw(complaint=case, by=consumer)
    with pytest.raises(services.CaseError):
        complaint_unflag_vulnerable(complaint=case, by=officer)


def test_the_case_file_shows_the_flag_and_the_assisted_channels(
    consumer, company, officer, representative, client_for, settings
):
    settings.PRIVACY_OFFICE_PHONE = "0800-666-1518"
    case = submitted_case(consumer, company, vulnerable=True, vulnerable_categories=["older_adult"])
    url = reverse("complaint_detail", args=[case.pk])
    mine = client_for(consumer).get(url).content.decode()
    assert "Hipervulnerable consumer" in mine
    assert "Older adult" in mine
    assert "0800-666-1518" in mine
    assert settings.PRIVACY_OFFICE_ADDRESS in mine
    assert reverse("complaint_vulnerable", args=[case.pk]) not in mine
    office = client_for(officer).get(url).content.decode()
    assert "Hipervulnerable consumer" in office
    assert reverse("complaint_vulnerable", args=[case.pk]) in office


def test_the_company_sees_that_the_case_was_flagged_but_not_why(consumer, company, officer, representative, client_for):
    case = served_case(consumer, company, officer)
    complaint_flag_vulnerable(complaint=case, by=officer, categories=["disability"], note="Usa silla de ruedas")
    url = reverse("complaint_detail", args=[case.pk])

    theirs = client_for(representative).get(url).content.decode()
    mine = client_for(consumer).get(url).content.decode()

    assert "Consumer flagged as hipervulnerable" in theirs  # the event is on the company's timeline
    assert "silla de ruedas" not in theirs
    assert "silla de ruedas" in mine
