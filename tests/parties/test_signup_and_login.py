import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from parties.models import Role, User
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _signup(client, email="nuevo@example.com"):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def test_it_signs_up_a_consumer_and_sends_a_verification_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client)

    assert response.status_code == 302
    user = User.objects.get(email="nuevo@example.com")
    assert user.role == Role.CONSUMER
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nuevo@example.com"]
    assert "/cuenta/confirm-email/" in mail.outbox[0].body


def test_it_logs_the_consumer_in_once_the_email_link_is_followed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client)
    link = re.search(r"https?://[^\s]+/cuenta/confirm-email/[^\s]+", str(mail.outbox[0].body))
    assert link, mail.outbox[0].body
    path = link.group(0).split("testserver", 1)[-1].split("8000", 1)[-1]

    response = client.post(path)

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="nuevo@example.com").verified
    home = client.get(reverse("home"))
    assert home.context["user"].email == "nuevo@example.com"


def test_it_never_makes_staff_through_signup(client):
    client.post(
        reverse("account_signup"),
        {"email": "sneaky@example.com", "password1": PASSWORD, "password2": PASSWORD, "role": "supervisor"},
    )

    assert User.objects.get(email="sneaky@example.com").role == Role.CONSUMER


def test_it_refuses_login_to_an_unverified_user(client):
    make_user("unverified@example.com", verified=False)

    response = client.post(reverse("account_login"), {"login": "unverified@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_it_logs_in_a_verified_consumer_by_email(client, consumer):
    response = client.post(reverse("account_login"), {"login": "MARIA@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(consumer.pk)


def test_it_sends_a_password_reset_email(client, consumer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": consumer.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/cuenta/password/reset/key/" in mail.outbox[0].body
