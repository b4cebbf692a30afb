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


def test_a_staff_login_without_mfa_ends_on_the_enrolment_page(client):
    from tests.conftest import PASSWORD

    staff = make_user("officer@oficina.test", Role.OFFICER)

    login = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD}, follow=True)
    # allauth asks for the password once more before an authenticator is added; then the QR code.
    reauthenticate_url = login.redirect_chain[-1][0]
    enrol = client.post(reauthenticate_url, {"password": PASSWORD}, follow=True)

    assert reverse("mfa_activate_totp") in [url for url, _ in login.redirect_chain]
    assert enrol.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    assert enrol.context["form"].__class__.__name__ == "ActivateTOTPForm"


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
