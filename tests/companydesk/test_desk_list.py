"""The company's desk lists the company's served cases, newest first, with its deadlines: each filter
narrows it, a stranger company's case is never listed, "at risk" is reporting's rule, and the page
costs the same queries for 5 rows as for 40."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from companydesk.selectors import desk_parts
from complaints.models import CaseCompany, Complaint
from complaints.selectors import complaints_visible_to
from complaints.states import State
from oversight.models import Clock
from oversight.services.digest import at_risk_horizon
from parties.models import Representation, User
from reporting.views.company import cases_at_risk
from tests.complaints.factories import draft_case, submitted_case
from tests.conftest import log_in

from .conftest import answer_due_in, desk_url, listed, part_of, served

pytestmark = pytest.mark.django_db


# --- Who sees the desk ---------------------------------------------------------------------------------


def test_a_representative_sees_the_companys_served_cases_newest_first(client_for, consumer, company, officer, clerk):
    older = served(consumer, officer, company)
    newer = served(consumer, officer, company)
    submitted_case(consumer, company)  # not served yet: not the company's to see
    draft_case(consumer, company)

    response = client_for(clerk).get(desk_url(company))

    assert listed(response) == [newer.pk, older.pk]
    page = response.content.decode()
    assert newer.number in page and older.number in page
    assert "María González" in page  # the consumer's name, as the case page shows it to the company
    assert "30123456" not in page  # never the DNI


def test_a_stranger_companys_case_is_never_listed(client_for, consumer, company, other_company, officer, rival):
    ours = served(consumer, officer, company)
    theirs = served(consumer, officer, other_company)

    assert listed(client_for(rival).get(desk_url(other_company))) == [theirs.pk]
    page = client_for(rival).get(desk_url(other_company)).content.decode()
    assert ours.number not in page


def test_another_companys_desk_is_a_404_and_other_people_are_refused(
    client_for, consumer, company, other_company, officer, rival, stranger, supervisor
):
    served(consumer, officer, company)

    assert client_for(rival).get(desk_url(company)).status_code == 404
    assert client_for(rival).get(desk_url(company) + "?risk=on").status_code == 404
    assert client_for(stranger).get(desk_url(company)).status_code == 403  # not a representative at all
    assert client_for(supervisor).get(desk_url(company)).status_code == 403
    assert Client().get(desk_url(company)).status_code == 302  # to the login page


def test_a_case_where_the_company_is_named_second_is_its_case_too(
    client_for, consumer, company, other_company, officer, representative, rival
):
    case = served(consumer, officer, other_company, company)

    assert listed(client_for(representative).get(desk_url(company))) == [case.pk]
    assert listed(client_for(rival).get(desk_url(other_company))) == [case.pk]


def test_the_desk_lists_exactly_the_cases_the_company_may_see(
    consumer, company, other_company, officer, representative
):
    """The desk's index-friendly query agrees with `complaints_visible_to` narrowed to the company, on
    a mixed set: the company as the lead and second, served and not, alone and with a company that
    awaits a notice on paper, drafts, submitted cases and another company's case."""
    # other_company has no electronic domicile: served on paper later, the case stays "admitted".
    lead_with_paper_second = served(consumer, officer, company, other_company)
    second_behind_paper_lead = served(consumer, officer, other_company, company)
    alone = served(consumer, officer, company)
    only_the_other = served(consumer, officer, other_company)
    submitted_case(consumer, company)
    draft_case(consumer, company)
    assert lead_with_paper_second.status == State.ADMITTED and only_the_other.status == State.ADMITTED

    desk = set(desk_parts(company).values_list("complaint_id", flat=True))
    visible = set(complaints_visible_to(representative).values_list("pk", flat=True))

    assert desk == visible == {lead_with_paper_second.pk, second_behind_paper_lead.pk, alone.pk}


# --- Filters ----------------------------------------------------------------------------------------


@pytest.fixture
def six(consumer, company, officer, clerk) -> dict[str, Complaint]:
    """Six served cases, each different from the others in one way a filter asks about."""
    cases = {
        name: served(consumer, officer, company) for name in ("plain", "hearing", "agreed", "mine", "cordoba", "old")
    }
    Complaint.objects.filter(pk=cases["hearing"].pk).update(status=State.HEARING_SCHEDULED)
    CaseCompany.objects.filter(complaint=cases["agreed"]).update(status="agreement")
    CaseCompany.objects.filter(complaint=cases["mine"]).update(assignee=clerk, assigned_at=timezone.now())
    Complaint.objects.filter(pk=cases["cordoba"].pk).update(consumer_province="CB")
    a_month_ago = timezone.now() - timedelta(days=30)
    CaseCompany.objects.filter(complaint=cases["old"]).update(notified_at=a_month_ago, acknowledged_at=a_month_ago)
    return cases


def ids(six: dict[str, Complaint], *names: str) -> set[int]:
    return {six[name].pk for name in names}


EVERY = ("plain", "hearing", "agreed", "mine", "cordoba", "old")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, EVERY),
        ({"state": "hearing_scheduled"}, ("hearing",)),
        ({"part_status": "agreement"}, ("agreed",)),
        ({"assigned": "me"}, ("mine",)),
        ({"assigned": "nobody"}, ("plain", "hearing", "agreed", "cordoba", "old")),
        ({"province": "CB"}, ("cordoba",)),
        ({"acknowledged": "yes"}, ("old",)),
        ({"acknowledged": "no"}, ("plain", "hearing", "agreed", "mine", "cordoba")),
        ({"received_to": "past"}, ("old",)),
        ({"received_from": "today"}, ("plain", "hearing", "agreed", "mine", "cordoba")),
        ({"province": "CB", "assigned": "nobody"}, ("cordoba",)),
        ({"province": "CB", "assigned": "me"}, ()),
    ],
)
def test_each_filter_narrows_the_list(client_for, clerk, six, query, expected):
    today = timezone.localdate()
    dates = {"today": today.isoformat(), "past": (today - timedelta(days=20)).isoformat()}
    query = {name: dates.get(value, value) for name, value in query.items()}

    assert set(listed(client_for(clerk).get(desk_url(six["plain"].company), query))) == ids(six, *expected)


def test_an_admin_filters_by_any_representative_and_a_clerk_cannot(client_for, representative, clerk, six):
    url = desk_url(six["plain"].company)

    assert set(listed(client_for(representative).get(url, {"assigned": clerk.pk}))) == ids(six, "mine")
    # Not a choice for a representative who is not an admin: the filter is refused, the list unfiltered.
    response = client_for(clerk).get(url, {"assigned": representative.pk})
    assert set(listed(response)) == ids(six, *EVERY)
    assert response.context["form"].errors["assigned"]


def test_an_admin_finds_the_cases_of_a_representative_who_left_labelled_so(client_for, representative, clerk, six):
    url = desk_url(six["plain"].company)
    Representation.objects.filter(user=clerk).update(revoked_at=timezone.now())

    response = client_for(representative).get(url, {"assigned": clerk.pk})

    assert set(listed(response)) == ids(six, "mine")
    choices = dict(response.context["form"].fields["assigned"].choices)
    assert choices[str(clerk.pk)] == "Pablo Acosta (no longer represents the company)"
    [row] = response.context["page_obj"]
    assert not row.assignee_current
    assert "Pablo Acosta (no longer represents the company)" in response.content.decode()
    # They can no longer be given cases: not among the bulk form's choices.
    assert clerk not in response.context["desk"].representatives


def test_a_deactivated_account_is_labelled_the_same(client_for, representative, clerk, six):
    User.objects.filter(pk=clerk.pk).update(is_active=False)

    response = client_for(representative).get(desk_url(six["plain"].company), {"assigned": clerk.pk})

    assert set(listed(response)) == ids(six, "mine")
    assert "Pablo Acosta (no longer represents the company)" in response.content.decode()


def test_a_current_assignee_is_shown_by_name_alone(client_for, representative, clerk, six):
    response = client_for(clerk).get(desk_url(six["plain"].company), {"assigned": "me"})

    [row] = response.context["page_obj"]
    assert row.assignee_current
    assert "no longer represents" not in response.content.decode()


def test_the_search_finds_a_case_by_its_number_or_its_last_digits(client_for, clerk, six):
    case = six["cordoba"]
    assert case.number is not None
    url = desk_url(case.company)
    sequence = case.number.rsplit("-", 1)[1].lstrip("0")

    assert listed(client_for(clerk).get(url, {"q": case.number})) == [case.pk]
    assert listed(client_for(clerk).get(url, {"q": sequence})) == [case.pk]
    assert listed(client_for(clerk).get(url, {"q": case.number.lower()})) == [case.pk]


def test_a_search_that_is_not_a_case_number_is_explained_not_run(client_for, clerk, six):
    response = client_for(clerk).get(desk_url(six["plain"].company), {"q": "González"})

    assert set(listed(response)) == ids(six, *EVERY)
    assert "Type a case number" in response.content.decode()


@pytest.mark.parametrize("text", ["²", "¹²³", "①", "٣"])
def test_digits_that_are_not_ascii_are_explained_not_an_error(client_for, clerk, six, text):
    """ "²" passes str.isdigit() and not int(): the list, its downloads and "all matching" say the
    search is not a case number, as for any other text."""
    company = six["plain"].company

    response = client_for(clerk).get(desk_url(company), {"q": text})
    assert set(listed(response)) == ids(six, *EVERY)
    assert response.context["form"].errors["q"]
    for name in ("companydesk_export_csv", "companydesk_export_xlsx"):
        assert client_for(clerk).get(desk_url(company, name), {"q": text}).status_code == 302
    bulk = client_for(clerk).post(desk_url(company, "companydesk_acknowledge"), {"scope": "all", "q": text})
    assert bulk.status_code == 302


@pytest.mark.parametrize("text", ["²", "12³", "①"])
def test_the_case_list_search_reads_such_digits_as_a_name(client_for, clerk, six, text):
    """The same root cause in complaints.selectors.complaint_search, which the desk's search reuses."""
    response = client_for(clerk).get(reverse("complaint_list"), {"q": text})
    assert response.status_code == 200


def test_dates_in_the_wrong_order_are_an_error_on_the_page(client_for, clerk, six):
    response = client_for(clerk).get(
        desk_url(six["plain"].company), {"received_from": "2026-05-02", "received_to": "2026-05-01"}
    )

    assert response.status_code == 200
    assert "The end date must be on or after the start date." in response.content.decode()


# --- Deadlines and "at risk" ------------------------------------------------------------------------------


def test_each_row_shows_the_answer_deadline_and_whether_it_is_overdue_or_at_risk(
    client_for, consumer, company, officer, clerk
):
    overdue = served(consumer, officer, company)
    soon = served(consumer, officer, company)
    later = served(consumer, officer, company)
    answer_due_in(overdue, company, -timedelta(days=2))
    answer_due_in(soon, company, timedelta(hours=3))
    due_later = answer_due_in(later, company, timedelta(days=20))

    response = client_for(clerk).get(desk_url(company))

    rows = {row.part.complaint_id: row for row in response.context["page_obj"]}
    assert rows[overdue.pk].overdue and rows[overdue.pk].at_risk
    assert rows[soon.pk].at_risk and not rows[soon.pk].overdue
    assert not rows[later.pk].at_risk and rows[later.pk].current_due == due_later.due_at
    assert rows[later.pk].answer_due == due_later.due_at
    assert rows[later.pk].current_label == "Company's answer and offer"
    page = response.content.decode()
    assert "Overdue" in page and "At risk" in page


@pytest.mark.parametrize("as_values", [5000, 0], ids=["ids-read-first", "as-a-subquery"])
def test_the_at_risk_tab_lists_the_same_cases_as_the_companys_figures_page(
    client_for, consumer, company, other_company, officer, representative, rival, as_values, monkeypatch
):
    monkeypatch.setattr("companydesk.selectors.AT_RISK_AS_VALUES", as_values)
    overdue = served(consumer, officer, company)
    answer_due_in(overdue, company, -timedelta(days=2))
    soon = served(consumer, officer, company)
    answer_due_in(soon, company, timedelta(hours=3))
    later = served(consumer, officer, company)
    answer_due_in(later, company, timedelta(days=20))
    answered = served(consumer, officer, company)
    Clock.objects.filter(complaint=answered).update(closed_at=timezone.now(), due_at=timezone.now())
    # The other company's wait in a case both are in, and a case of the other company alone.
    shared = served(consumer, officer, other_company, company)
    answer_due_in(shared, other_company, -timedelta(days=1))
    answer_due_in(shared, company, timedelta(days=20))
    theirs = served(consumer, officer, other_company)
    answer_due_in(theirs, other_company, -timedelta(days=1))

    desk = listed(client_for(representative).get(desk_url(company), {"risk": "on"}))
    reporting = cases_at_risk(
        SimpleNamespace(user=representative),  # type: ignore[arg-type]  # it reads request.user only
        company,
        horizon=at_risk_horizon(timezone.now()),
    )

    assert set(desk) == {clock.complaint_id for clock in reporting} == {overdue.pk, soon.pk}
    assert desk == [soon.pk, overdue.pk]  # newest case first, as the whole list


def test_the_at_risk_tab_says_so_when_nothing_is_at_risk(client_for, consumer, company, officer, clerk):
    answer_due_in(served(consumer, officer, company), company, timedelta(days=20))

    response = client_for(clerk).get(desk_url(company), {"risk": "on"})

    assert listed(response) == []
    assert "Nothing at risk" in response.content.decode()


# --- Cost ----------------------------------------------------------------------------------------------


def page_queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_for_5_rows_as_for_40(
    client_for, consumer, company, officer, representative, clerk, django_assert_max_num_queries
):
    for _ in range(5):
        answer_due_in(served(consumer, officer, company), company, timedelta(hours=2))
    CaseCompany.objects.filter(company=company).update(
        assignee=clerk, acknowledged_at=timezone.now(), acknowledged_by=clerk
    )
    admin, url = client_for(representative), desk_url(company)
    five = page_queries(admin, url), page_queries(admin, url, {"risk": "on", "province": "CABA"})
    for _ in range(35):
        answer_due_in(served(consumer, officer, company), company, timedelta(hours=2))
    CaseCompany.objects.filter(company=company).update(
        assignee=clerk, acknowledged_at=timezone.now(), acknowledged_by=clerk
    )
    forty = page_queries(admin, url), page_queries(admin, url, {"risk": "on", "province": "CABA"})

    assert five == forty
    # Session; user; "is a representative" (the decorator); the representation of this company, with
    # it; the admin check (ASSIGN_CASE) and the acknowledgement check (ACKNOWLEDGE_CASE), one read of
    # the representation each; everyone who ever represented the company, each marked whether cases
    # may still be given to them (the admin's choices and filter); the capped count; the page's rows
    # with their cases, assignees (still representatives or not) and deadlines; the header's
    # consumer-profile check and unread-inbox count.
    with django_assert_max_num_queries(11):
        admin.get(url)


def test_the_page_opens_in_spanish(consumer, company, officer, clerk):
    # needs es_AR catalogue
    served(consumer, officer, company)
    client = log_in(Client(HTTP_ACCEPT_LANGUAGE="es-AR"), clerk)

    page = client.get(desk_url(company)).content.decode()

    assert 'lang="es-ar"' in page
    assert "Los expedientes de tu empresa" in page
    # The acknowledgement is an "acuse de recibo"; "Recibido" would read as the "Received" column.
    assert "Acuse de recibo" in page and "Con acuse de recibo" in page and "Recibido" not in page


def test_a_part_not_yet_served_is_not_on_the_desk_even_in_a_served_case(
    client_for, consumer, company, other_company, officer, rival
):
    # other_company (the rival's) is served; our company has no domicile here: the part waits for paper.
    company.electronic_domicile = ""
    company.save(update_fields=["electronic_domicile"])
    case = served(consumer, officer, other_company, company)
    assert part_of(case, company).notified_at is None

    assert case.pk not in set(desk_parts(company).values_list("complaint_id", flat=True))


def test_a_company_without_cases_is_told_where_they_will_appear(client_for, company, clerk):
    response = client_for(clerk).get(desk_url(company))

    assert listed(response) == []
    assert "When the office serves your company with a complaint, it appears here." in response.content.decode()


def test_a_page_number_out_of_range_or_not_a_number_shows_a_page_not_an_error(
    client_for, consumer, company, officer, clerk
):
    case = served(consumer, officer, company)

    for page in ("999", "abc", "-1", "²"):
        assert listed(client_for(clerk).get(desk_url(company), {"page": page})) == [case.pk]
