"""What every signed-in page costs before its own content: the session, the user, and what the header
must know of them (the second factor of staff, the roles of everyone else, the unread badge). Every
page pays it on every request, so it is pinned here query by query: a query repeated, or one more
read of the person, fails these tests."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parties.models import ConsumerProfile, Representation, User

pytestmark = pytest.mark.django_db

SESSION = ("django_session",)
USER = ("parties_user",)
# Has an authenticator app: the check that staff set up two-step verification.
AUTHENTICATOR = ("mfa_authenticator",)
# The companies the person speaks for (none: a consumer only), read once for every question about them.
COMPANIES = ("parties_representation",)
# Has consumer details on file: asked only of a representative (Cases, or Company cases?).
CONSUMER_DETAILS = ("parties_consumerprofile",)
# The unread badge: a COUNT over at most 100 rows.
BADGE = ("notifications_notification",)


def tables_read(client: Client, path: str) -> list[tuple[str, ...]]:
    """The tables each query of one GET reads, in order (the first request after logging in is left out:
    it may write the session)."""
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [tuple(re.findall(r'FROM "(\w+)"', query["sql"])) for query in captured.captured_queries]


def plain_page() -> str:
    """A page with nothing of its own to read: what it runs, every page runs."""
    return reverse("accessibility")


@pytest.mark.parametrize("role", ["officer", "conciliator", "supervisor", "director"])
def test_a_staff_page_reads_the_session_the_user_the_authenticator_and_the_badge_once_each(
    request, client_for, role
) -> None:
    client = client_for(request.getfixturevalue(role))

    assert tables_read(client, plain_page()) == [SESSION, USER, AUTHENTICATOR, BADGE]


@pytest.mark.parametrize("role", ["consumer", "stranger"])
def test_a_consumer_page_reads_the_session_the_user_their_companies_and_the_badge_once_each(
    request, client_for, role
) -> None:
    client = client_for(request.getfixturevalue(role))

    assert tables_read(client, plain_page()) == [SESSION, USER, COMPANIES, BADGE]


def test_a_representative_page_reads_also_whether_they_file_as_a_consumer(client_for, representative) -> None:
    client = client_for(representative)

    assert tables_read(client, plain_page()) == [SESSION, USER, COMPANIES, CONSUMER_DETAILS, BADGE]


def test_an_anonymous_page_reads_nothing(client) -> None:
    assert tables_read(client, plain_page()) == []


def test_a_representative_who_also_files_as_a_consumer_is_asked_each_thing_once(
    representative, django_assert_num_queries
) -> None:
    ConsumerProfile.objects.create(
        user=representative,
        dni="20111222",
        phone="+5491100000000",
        street_address="Calle 1",
        city="CABA",
        province="CABA",
    )
    user = User.objects.get(pk=representative.pk)

    # SELECT company_id FROM parties_representation WHERE user_id = … AND revoked_at IS NULL;
    # SELECT 1 FROM parties_consumerprofile WHERE user_id = … LIMIT 1
    with django_assert_num_queries(2):
        assert user.is_representative
        assert user.has_consumer_profile
        assert user.is_consumer
        assert user.represented_company_ids
        assert user.is_representative


def test_the_companies_a_representative_speaks_for_are_read_once_per_request(
    representative, company, other_company, django_assert_num_queries
) -> None:
    user = User.objects.get(pk=representative.pk)

    # SELECT company_id FROM parties_representation WHERE user_id = … AND revoked_at IS NULL
    with django_assert_num_queries(1):
        assert user.represented_company_ids == [company.pk]
        assert user.is_representative
        assert user.represented_company_ids == [company.pk]

    Representation.objects.create(user=representative, company=other_company)
    user.forget_party_roles()
    assert sorted(user.represented_company_ids) == sorted([company.pk, other_company.pk])


def test_forgetting_the_roles_reads_them_again(consumer, company) -> None:
    user = User.objects.get(pk=consumer.pk)
    assert not user.is_representative

    Representation.objects.create(user=consumer, company=company)
    user.forget_party_roles()

    assert user.is_representative
    assert user.has_consumer_profile  # the consumer's details stay on file: Cases, not Company cases


def test_the_pages_open_to_every_staff_session_do_not_ask_for_the_authenticator(client_for, officer) -> None:
    client = client_for(officer)

    # The translations catalogue (as the language switch and logging out): open whatever the second
    # factor says, so the check is not run.
    assert AUTHENTICATOR not in tables_read(client, reverse("javascript-catalog"))
