import pytest
from django.test import override_settings
from django.urls import reverse

from parties.models import Role
from tests.conftest import enrol_totp, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OFFICER, Role.CONCILIATOR, Role.SUPERVISOR])
def test_it_sends_staff_without_mfa_to_enrol(client_for, role):
    staff = make_user(f"{role}@oficina.test", role)

    response = client_for(staff).get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_it_lets_staff_reach_the_enrolment_page_itself(client_for):
    staff = make_user("officer@oficina.test", Role.OFFICER)

    response = client_for(staff).get(reverse("mfa_activate_totp"))

    assert response.status_code == 200


def test_it_lets_enrolled_staff_in(client_for):
    staff = make_user("officer@oficina.test", Role.OFFICER)
    enrol_totp(staff)

    response = client_for(staff).get(reverse("home"))

    assert response.status_code == 200


def test_it_does_not_ask_consumers_for_mfa(client_for, consumer):
    response = client_for(consumer).get(reverse("home"))

    assert response.status_code == 200


@override_settings(MFA_REQUIRED_FOR_STAFF=False)
def test_the_demo_setting_relaxes_the_requirement(client_for):
    staff = make_user("officer@oficina.test", Role.OFFICER)

    response = client_for(staff).get(reverse("home"))

    assert response.status_code == 200


def test_a_staff_login_asks_for_the_code_after_the_password(client):
    from tests.conftest import PASSWORD

    staff = make_user("officer@oficina.test", Role.OFFICER)
    enrol_totp(staff)

    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
