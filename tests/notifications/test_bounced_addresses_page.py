"""The office's page of bounced addresses: staff see every mark, newest first, search it by address
and clear a mark once the address works again; to anyone else the page does not exist."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import BouncedAddress, Channel, Status
from notifications.services import notify
from notifications.tasks import deliver_notification

pytestmark = pytest.mark.django_db

LIST = reverse("bounced_addresses")


def mark(address: str, *, days_ago: int = 0, **fields) -> BouncedAddress:
    return BouncedAddress.objects.create(
        address=address, reason="5.1.1 User unknown", bounced_at=timezone.now() - timedelta(days=days_ago), **fields
    )


def clear_url(bounced: BouncedAddress) -> str:
    return reverse("bounced_address_clear", args=[bounced.pk])


# --- The list -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "supervisor"])
def test_staff_see_every_mark_newest_first(role, request, client_for):
    older = mark("vieja@example.com", days_ago=3)
    newer = mark("nueva@example.com", days_ago=1)
    cleared = mark("arreglada@example.com", days_ago=2, cleared_at=timezone.now())

    response = client_for(request.getfixturevalue(role)).get(LIST)

    assert response.status_code == 200
    assert list(response.context["page_obj"].object_list) == [newer, cleared, older]
    page = response.content.decode()
    assert "5.1.1 User unknown" in page
    assert page.count('action="' + clear_url(newer)) == 1
    assert 'action="' + clear_url(cleared) not in page  # a cleared mark has nothing left to clear


def test_the_search_finds_marks_by_any_part_of_the_address(supervisor, client_for):
    wanted = mark("maria@example.com")
    mark("jorge@electrosur.test")
    response = client_for(supervisor).get(LIST, {"q": " MARIA@ "})
    assert list(response.context["page_obj"].object_list) == [wanted]
    assert 'value="MARIA@"' in response.content.decode()


def test_a_search_that_finds_nothing_says_so(supervisor, client_for):
    mark("maria@example.com")
    response = client_for(supervisor).get(LIST, {"q": "nadie"})
    assert "No bounced address matches your search." in response.content.decode()


def test_the_list_is_paged(supervisor, client_for):
    for number in range(26):
        mark(f"persona{number:02}@example.com", days_ago=number)
    client = client_for(supervisor)
    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})
    assert len(first.context["page_obj"].object_list) == 25
    assert [row.address for row in second.context["page_obj"].object_list] == ["persona25@example.com"]


@pytest.mark.parametrize("role", ["consumer", "representative"])
def test_to_anyone_outside_the_office_the_page_does_not_exist(role, request, client_for):
    mark("maria@example.com")
    assert client_for(request.getfixturevalue(role)).get(LIST).status_code == 404


def test_signing_in_comes_first(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# --- Clearing a mark --------------------------------------------------------------------------------


def test_clearing_a_mark_records_who_and_when_and_mail_flows_again(officer, consumer, client_for):
    bounced = mark(consumer.email)
    response = client_for(officer).post(clear_url(bounced), {"next": f"{LIST}?q=maria"}, follow=True)

    assert response.redirect_chain == [(f"{LIST}?q=maria", 302)]
    assert f"The mark on {consumer.email} was cleared" in response.content.decode()
    bounced.refresh_from_db()
    assert bounced.cleared_by == officer
    assert bounced.cleared_at is not None
    [later] = notify(
        recipient=consumer, event="complaint_admitted", context={}, idempotency_key="k", channels=[Channel.EMAIL]
    )
    deliver_notification.delay(later.pk)
    later.refresh_from_db()
    assert later.status == Status.SENT


def test_a_second_click_clears_nothing_more(officer, supervisor, client_for):
    bounced = mark("maria@example.com")
    client_for(officer).post(clear_url(bounced))
    first = BouncedAddress.objects.get().cleared_at

    response = client_for(supervisor).post(clear_url(bounced), follow=True)

    assert "had already been cleared" in response.content.decode()
    bounced.refresh_from_db()
    assert (bounced.cleared_at, bounced.cleared_by) == (first, officer)


def test_the_button_asks_before_it_clears(supervisor, client_for):
    bounced = mark("maria@example.com")
    page = client_for(supervisor).get(LIST).content.decode()
    form = page[page.index('action="' + clear_url(bounced)) :].split(">")[0]
    assert "data-confirm=" in form
    assert "maria@example.com" in form


@pytest.mark.parametrize("role", ["consumer", "representative"])
def test_someone_outside_the_office_cannot_clear_a_mark(role, request, client_for):
    bounced = mark("maria@example.com")
    assert client_for(request.getfixturevalue(role)).post(clear_url(bounced)).status_code == 404
    assert BouncedAddress.objects.get().is_active


def test_clearing_takes_only_posts(supervisor, client_for):
    bounced = mark("maria@example.com")
    assert client_for(supervisor).get(clear_url(bounced)).status_code == 405
    assert BouncedAddress.objects.get().is_active


def test_clearing_a_mark_that_does_not_exist_is_a_404(supervisor, client_for):
    assert client_for(supervisor).post(reverse("bounced_address_clear", args=[999999])).status_code == 404
