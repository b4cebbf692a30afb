"""Bulk actions on the desk: the company's admin assigns the ticked cases or "all matching" (after a
confirmation that shows the count), any representative acknowledges them (a large selection in the
background), a non-admin cannot assign, a stranger gets a 404, and pressing twice does it once."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from complaints.models import CaseCompany, CaseEvent, Complaint
from notifications.models import Notification
from parties.models import Representation
from tests.notifications.helpers import rendered

from .conftest import desk_url, listed, part_of, served

pytestmark = pytest.mark.django_db

ASSIGN = "companydesk_assign"
ACKNOWLEDGE = "companydesk_acknowledge"


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def assigned_to(*cases: Complaint) -> dict[int, int | None]:
    return dict(CaseCompany.objects.filter(complaint__in=cases).values_list("complaint_id", "assignee_id"))


def told_of_assignment(person) -> list[Notification]:
    return rendered(Notification.objects.filter(recipient=person, event="case_assigned", channel="inbox"))


def confirming(asked) -> dict[str, str]:
    """The confirmation page's hidden fields: the press that does it, for the cases counted then."""
    return {"confirm": "1", "up_to": asked.context["up_to"], "as_of": asked.context["as_of"]}


@pytest.fixture
def three(consumer, company, officer) -> list[Complaint]:
    return [served(consumer, officer, company) for _ in range(3)]


# --- Assigning -------------------------------------------------------------------------------------------


def test_the_admin_assigns_the_ticked_cases_and_the_assignee_is_told_once(
    client_for, company, representative, clerk, three
):
    first, second, third = three
    ticked = [part_of(first, company).pk, part_of(second, company).pk]

    response = client_for(representative).post(desk_url(company, ASSIGN), {"part": ticked, "to": clerk.pk})

    assert response.status_code == 302 and response["Location"] == desk_url(company)
    assert assigned_to(*three) == {first.pk: clerk.pk, second.pk: clerk.pk, third.pk: None}
    assert "2 cases assigned to Pablo Acosta." in said(response)
    told = told_of_assignment(clerk)
    assert len(told) == 1 and "2" in told[0].body_text
    # Assigning is the company's own business: no event on the cases' record.
    assert not CaseEvent.objects.filter(complaint__in=three, action__contains="assign").exists()
    # The desk shows it.
    page = client_for(clerk).get(desk_url(company), {"assigned": "me"})
    assert set(listed(page)) == {first.pk, second.pk}


def test_pressing_assign_twice_assigns_once_and_tells_once(client_for, company, representative, clerk, three):
    admin = client_for(representative)
    data = {"part": [part_of(three[0], company).pk], "to": clerk.pk}

    admin.post(desk_url(company, ASSIGN), data)
    again = admin.post(desk_url(company, ASSIGN), data)

    assert "Those cases were already assigned to Pablo Acosta." in said(again)
    assert len(told_of_assignment(clerk)) == 1


def test_the_admin_gives_cases_back_to_nobody(client_for, company, representative, clerk, three):
    CaseCompany.objects.filter(complaint__in=three).update(assignee=clerk, assigned_at=timezone.now())

    response = client_for(representative).post(
        desk_url(company, ASSIGN), {"part": [part_of(three[0], company).pk], "to": "nobody"}
    )

    assert assigned_to(*three)[three[0].pk] is None
    assert "1 case is now assigned to nobody." in said(response)


def test_a_representative_who_is_not_an_admin_cannot_assign(client_for, company, clerk, three):
    response = client_for(clerk).post(
        desk_url(company, ASSIGN), {"part": [part_of(three[0], company).pk], "to": clerk.pk}
    )

    assert response.status_code == 403
    assert assigned_to(*three) == {case.pk: None for case in three}
    # Nor is the assignment offered on the page.
    page = client_for(clerk).get(desk_url(company)).content.decode()
    assert 'name="to"' not in page and "Assignment rules" not in page


def test_a_stranger_gets_a_404_and_changes_nothing(client_for, company, rival, three):
    for name in (ASSIGN, ACKNOWLEDGE):
        response = client_for(rival).post(desk_url(company, name), {"part": [part_of(three[0], company).pk]})
        assert response.status_code == 404
    assert assigned_to(*three) == {case.pk: None for case in three}
    assert not CaseCompany.objects.filter(complaint__in=three, acknowledged_at__isnull=False).exists()


def test_another_companys_case_ticked_by_a_forged_form_is_left_alone(
    client_for, consumer, company, other_company, officer, representative, clerk, rival, three
):
    theirs = served(consumer, officer, other_company)

    client_for(representative).post(
        desk_url(company, ASSIGN),
        {"part": [part_of(three[0], company).pk, part_of(theirs, other_company).pk], "to": clerk.pk},
    )

    assert assigned_to(three[0]) == {three[0].pk: clerk.pk}
    assert part_of(theirs, other_company).assignee_id is None


def test_an_assignee_who_is_not_one_of_the_companys_representatives_is_refused(
    client_for, company, representative, rival, three
):
    response = client_for(representative).post(
        desk_url(company, ASSIGN), {"part": [part_of(three[0], company).pk], "to": rival.pk}
    )

    assert response.status_code == 302
    assert "Choose whom to assign the cases to." in said(response)
    assert assigned_to(*three) == {case.pk: None for case in three}


def test_nothing_ticked_is_a_message_not_an_error(client_for, company, representative, clerk, three):
    response = client_for(representative).post(desk_url(company, ASSIGN), {"to": clerk.pk, "part": ["x", "-1"]})

    assert response.status_code == 302
    assert "Tick the cases first, or choose every case that matches the filters." in said(response)


# --- "All matching this filter" ----------------------------------------------------------------------------


def test_assigning_all_matching_asks_first_with_the_count_then_assigns_exactly_the_filtered_ones(
    client_for, consumer, company, officer, representative, clerk, three
):
    cordoba = [served(consumer, officer, company) for _ in range(2)]
    Complaint.objects.filter(pk__in=[case.pk for case in cordoba]).update(consumer_province="CB")
    admin = client_for(representative)
    data = {"scope": "all", "province": "CB", "to": clerk.pk}

    asked = admin.post(desk_url(company, ASSIGN), data)

    assert asked.status_code == 200 and asked.context["count"] == 2
    assert "You are about to assign 2 cases to Pablo Acosta." in asked.content.decode()
    assert assigned_to(*three, *cordoba) == {case.pk: None for case in (*three, *cordoba)}  # nothing yet

    done = admin.post(desk_url(company, ASSIGN), {**data, **confirming(asked)})

    assert "2 cases assigned to Pablo Acosta." in said(done)
    assert done["Location"] == desk_url(company) + "?province=CB"
    assert assigned_to(*three, *cordoba) == {
        **{case.pk: None for case in three},
        **{case.pk: clerk.pk for case in cordoba},
    }


def test_a_case_served_after_the_confirmation_is_not_swept_in(
    client_for, consumer, company, officer, representative, clerk, three
):
    admin = client_for(representative)
    asked = admin.post(desk_url(company, ASSIGN), {"scope": "all", "to": clerk.pk})
    assert asked.context["count"] == 3
    newcomer = served(consumer, officer, company)

    admin.post(desk_url(company, ASSIGN), {"scope": "all", "to": clerk.pk, **confirming(asked)})

    assert assigned_to(*three, newcomer) == {**{case.pk: clerk.pk for case in three}, newcomer.pk: None}


def test_an_older_case_whose_notice_arrives_after_the_confirmation_is_not_swept_in(
    client_for, consumer, company, other_company, officer, representative, clerk
):
    # An older case where the company is second and its notice goes on paper (no domicile then).
    company.electronic_domicile = ""
    company.save(update_fields=["electronic_domicile"])
    older = served(consumer, officer, other_company, company)
    company.electronic_domicile = "legales@electrosur.test"
    company.save(update_fields=["electronic_domicile"])
    newer = [served(consumer, officer, company) for _ in range(2)]
    admin = client_for(representative)
    asked = admin.post(desk_url(company, ASSIGN), {"scope": "all", "to": clerk.pk})
    assert asked.context["count"] == 2
    assert f'name="as_of" value="{asked.context["as_of"]}"' in asked.content.decode()
    # Meanwhile the paper notice of the older case is delivered: it is served on the company now.
    CaseCompany.objects.filter(pk=part_of(older, company).pk).update(notified_at=timezone.now(), status="served")

    done = admin.post(desk_url(company, ASSIGN), {"scope": "all", "to": clerk.pk, **confirming(asked)})

    assert "2 cases assigned to Pablo Acosta." in said(done)
    assert assigned_to(older, *newer) == {older.pk: None, **{case.pk: clerk.pk for case in newer}}


@pytest.mark.parametrize("as_of", ["yesterday", "2026-02-30T10:00:00+00:00", "2026-03-02T10:00:00", "9" * 40])
def test_a_confirmation_whose_moment_is_mangled_does_nothing(client_for, company, representative, clerk, three, as_of):
    response = client_for(representative).post(
        desk_url(company, ASSIGN), {"scope": "all", "to": clerk.pk, "confirm": "1", "as_of": as_of}
    )

    assert response.status_code == 302
    assert "This confirmation is no longer valid, so nothing was done. Please try again." in said(response)
    assert assigned_to(*three) == {case.pk: None for case in three}


def test_the_cases_of_a_representative_who_left_are_handed_over_in_one_go(
    client_for, company, representative, clerk, three
):
    CaseCompany.objects.filter(complaint__in=three[:2]).update(assignee=clerk, assigned_at=timezone.now())
    Representation.objects.filter(user=clerk, company=company).update(revoked_at=timezone.now())
    admin = client_for(representative)
    data = {"scope": "all", "assigned": clerk.pk, "to": representative.pk}

    asked = admin.post(desk_url(company, ASSIGN), data)
    assert asked.context["count"] == 2
    admin.post(desk_url(company, ASSIGN), {**data, **confirming(asked)})

    assert assigned_to(*three) == {three[0].pk: representative.pk, three[1].pk: representative.pk, three[2].pk: None}
    # Still not one the cases may be given to.
    refused = admin.post(desk_url(company, ASSIGN), {"part": [part_of(three[2], company).pk], "to": clerk.pk})
    assert "Choose whom to assign the cases to." in said(refused)


def test_all_matching_with_a_filter_that_is_not_valid_does_nothing(client_for, company, representative, clerk, three):
    response = client_for(representative).post(
        desk_url(company, ASSIGN), {"scope": "all", "province": "Atlantis", "to": clerk.pk, "confirm": "1"}
    )

    assert response.status_code == 302
    assert "Some filters are not valid, so nothing was done. Correct them and try again." in said(response)
    assert assigned_to(*three) == {case.pk: None for case in three}


def test_all_matching_when_nothing_matches_says_so(client_for, company, representative, clerk, three):
    response = client_for(representative).post(
        desk_url(company, ASSIGN), {"scope": "all", "province": "TF", "to": clerk.pk}
    )

    assert "No case matches these filters: nothing to do." in said(response)


def test_all_matching_the_at_risk_tab_assigns_the_cases_at_risk_only(client_for, company, representative, clerk, three):
    from .conftest import answer_due_in

    answer_due_in(three[0], company, -timedelta(days=1))
    answer_due_in(three[1], company, timedelta(days=30))
    answer_due_in(three[2], company, timedelta(days=30))

    client_for(representative).post(
        desk_url(company, ASSIGN), {"scope": "all", "risk": "on", "to": clerk.pk, "confirm": "1"}
    )

    assert assigned_to(*three) == {three[0].pk: clerk.pk, three[1].pk: None, three[2].pk: None}


# --- Acknowledging ------------------------------------------------------------------------------------------


def test_any_representative_acknowledges_the_ticked_cases_each_with_its_event(client_for, company, clerk, three):
    first, second, third = three
    ticked = [part_of(first, company).pk, part_of(second, company).pk]

    response = client_for(clerk).post(desk_url(company, ACKNOWLEDGE), {"part": ticked})

    assert "2 cases acknowledged." in said(response)
    parts = CaseCompany.objects.filter(complaint__in=three)
    assert {p.complaint_id: p.acknowledged_by_id for p in parts} == {
        first.pk: clerk.pk,
        second.pk: clerk.pk,
        third.pk: None,
    }
    events = CaseEvent.objects.filter(action="company_acknowledged")
    assert sorted(events.values_list("complaint_id", flat=True)) == sorted([first.pk, second.pk])
    assert set(events.values_list("actor_id", flat=True)) == {clerk.pk}


def test_acknowledging_twice_records_one_event(client_for, company, clerk, three):
    client = client_for(clerk)
    data = {"part": [part_of(three[0], company).pk]}

    client.post(desk_url(company, ACKNOWLEDGE), data)
    again = client.post(desk_url(company, ACKNOWLEDGE), data)

    assert "Those cases were already acknowledged." in said(again)
    assert CaseEvent.objects.filter(complaint=three[0], action="company_acknowledged").count() == 1


def test_acknowledging_all_matching_asks_first_then_acknowledges_those_not_yet_acknowledged(
    client_for, company, clerk, three
):
    CaseCompany.objects.filter(complaint=three[0]).update(acknowledged_at=timezone.now())
    client = client_for(clerk)

    asked = client.post(desk_url(company, ACKNOWLEDGE), {"scope": "all"})
    assert asked.status_code == 200 and asked.context["count"] == 2
    done = client.post(desk_url(company, ACKNOWLEDGE), {"scope": "all", **confirming(asked)})

    assert "2 cases acknowledged." in said(done)
    assert CaseEvent.objects.filter(complaint__in=three, action="company_acknowledged").count() == 2


def test_a_large_selection_is_acknowledged_in_the_background(client_for, company, clerk, three, monkeypatch):
    monkeypatch.setattr("complaints.services.assignment.ACKNOWLEDGE_INLINE_MAX", 2)
    queued = []
    monkeypatch.setattr("complaints.tasks_assignment.acknowledge_parts.delay", lambda *args: queued.append(args))

    response = client_for(clerk).post(desk_url(company, ACKNOWLEDGE), {"scope": "all", "confirm": "1"})

    assert "We'll acknowledge 3 cases in the background. Reload the list in a few minutes to see them." in said(
        response
    )
    assert len(queued) == 1
    company_id, part_ids, by_id = queued[0]
    assert company_id == company.pk and by_id == clerk.pk
    assert sorted(part_ids) == sorted(part_of(case, company).pk for case in three)
    assert not CaseEvent.objects.filter(action="company_acknowledged").exists()  # not here: in the task


def test_the_background_task_acknowledges_what_the_page_queued(client_for, company, clerk, three, monkeypatch):
    # The test settings run tasks eagerly: the page's call does the whole job.
    monkeypatch.setattr("complaints.services.assignment.ACKNOWLEDGE_INLINE_MAX", 2)

    client_for(clerk).post(desk_url(company, ACKNOWLEDGE), {"scope": "all", "confirm": "1"})

    assert CaseEvent.objects.filter(complaint__in=three, action="company_acknowledged").count() == 3


def test_a_broker_that_is_down_is_a_message_not_an_error(client_for, company, clerk, three, monkeypatch):
    from kombu.exceptions import OperationalError

    def down(*args):
        raise OperationalError("connection refused")

    monkeypatch.setattr("complaints.services.assignment.ACKNOWLEDGE_INLINE_MAX", 2)
    monkeypatch.setattr("complaints.tasks_assignment.acknowledge_parts.delay", down)

    response = client_for(clerk).post(desk_url(company, ACKNOWLEDGE), {"scope": "all", "confirm": "1"})

    assert response.status_code == 302
    assert "We could not start acknowledging the cases. Try again in a few minutes." in said(response)
