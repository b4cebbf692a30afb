"""After a form, `next` sends a person only to a page of this site; anything else goes home."""

import pytest
from django.urls import reverse

from parties.models import ConsumerProfile

pytestmark = pytest.mark.django_db

PROFILE = {
    "first_name": "María",
    "last_name": "González",
    "dni": "30123456",
    "phone": "11 2345-6789",
    "street_address": "Av. Rivadavia 100",
    "city": "CABA",
    "province": "CABA",
    "preferred_language": "es-ar",
}


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/x",
        "//evil.example/",
        "/\\evil.example/",
        "http:evil.example",
        "foo",
        "javascript:alert(1)",
    ],
)
def test_saving_my_details_never_leaves_the_site_nor_breaks(client_for, consumer, next_url):
    response = client_for(consumer).post(f"{reverse('profile')}?next={next_url}", PROFILE)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert ConsumerProfile.objects.get(user=consumer).street_address == "Av. Rivadavia 100"


def test_saving_my_details_goes_on_to_the_page_i_came_from(client_for, consumer):
    response = client_for(consumer).post(f"{reverse('profile')}?next={reverse('complaint_new')}", PROFILE)

    assert response["Location"] == reverse("complaint_new")


def test_a_full_address_of_this_site_is_allowed(client_for, consumer):
    response = client_for(consumer).post(f"{reverse('profile')}?next=http://testserver/reclamos/", PROFILE)

    assert response["Location"] == "http://testserver/reclamos/"


def test_retrying_a_delivery_does_not_follow_a_backslash_address_off_site(
    client_for, officer, consumer, django_capture_on_commit_callbacks
):
    from tests.notifications.test_pages import dead_email

    row = dead_email(consumer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer).post(reverse("notification_retry", args=[row.pk]), {"next": "/\\evil.example/"})

    assert response["Location"] == reverse("notification_failures")
