"""Staff pages need a session that gave the second factor, not only an account that has one."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.urls import reverse
from django.utils.http import urlencode

from parties.models import Role
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXP"


def current_code(secret: str = SECRET) -> str:
    counter = next(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counter))


def login_page_for(path: str) -> str:
    return f"{reverse('account_login')}?{urlencode({'next': path})}"


def test_a_supervisor_who_logged_in_with_the_password_alone_is_sent_to_log_in_again(client, supervisor):
    assert client.login(email=supervisor.email, password=PASSWORD)

    response = client.get(reverse("staff_list"))

    assert response.status_code == 302
    assert response["Location"] == login_page_for(reverse("staff_list"))
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url_name", ["mfa_view_recovery_codes", "mfa_index", "mfa_deactivate_totp"])
def test_a_password_only_staff_session_cannot_touch_the_authenticator(client, officer, url_name):
    client.force_login(officer)

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_password_only_staff_session_cannot_open_the_admin(client, officer):
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == login_page_for("/admin/")


def test_the_admin_login_form_sends_to_the_allauth_login(client, supervisor):
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])

    page = client.get("/admin/login/?next=/admin/")
    post = client.post("/admin/login/?next=/admin/", {"username": supervisor.email, "password": PASSWORD})

    assert page.status_code == 302
    assert page["Location"] == login_page_for("/admin/")
    assert post.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_staff_login_with_password_and_code_reaches_every_staff_page(client, supervisor):
    client.post(reverse("account_login"), {"login": supervisor.email, "password": PASSWORD})
    code = client.post(reverse("mfa_authenticate"), {"code": current_code()})

    assert code.status_code == 302
    assert client.get(reverse("staff_list")).status_code == 200
    assert client.get(reverse("company_list")).status_code == 200


def test_the_shared_client_fixture_logs_staff_in_with_the_code(client_for, supervisor):
    assert client_for(supervisor).get(reverse("staff_list")).status_code == 200


# A real commit: allauth announces the new authenticator once the transaction commits, still
# inside the request, and the session must be saved after that.
@pytest.mark.django_db(transaction=True)
def test_staff_who_just_set_up_the_app_go_on_without_logging_in_again(client):
    staff = make_user("nuevo@oficina.test", Role.OFFICER)
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(reverse("mfa_activate_totp"))  # allauth keeps the new secret in the session
    secret = client.session["mfa.totp.secret"]

    client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})

    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("home")).status_code == 200
