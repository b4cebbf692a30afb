import pytest
from django.urls import reverse

from parties.models import ConsumerProfile
from parties.validators import normalize_cuit, normalize_dni, normalize_phone

pytestmark = pytest.mark.django_db

VALID = {
    "first_name": "María",
    "last_name": "González",
    "dni": "30.123.456",
    "cuil": "27-30123456-8",
    "phone": "011 15 2345-6789",
    "street_address": "Av. San Juan 2150",
    "city": "CABA",
    "postal_code": "C1232",
    "province": "CABA",
    "preferred_language": "es-ar",
    "notify_whatsapp": "on",
}


def test_a_consumer_saves_a_valid_profile_normalised(client_for, stranger):
    response = client_for(stranger).post(reverse("profile"), VALID)

    assert response.status_code == 302
    profile = ConsumerProfile.objects.get(user=stranger)
    assert profile.dni == "30123456"
    assert profile.cuil == "27301234568"
    assert profile.phone == "+5491123456789"
    assert profile.notify_by_whatsapp and not profile.notify_by_sms
    stranger.refresh_from_db()
    assert stranger.get_full_name() == "María González"


@pytest.mark.parametrize(
    "field, value, spanish, english",
    [
        ("dni", "12", "Un DNI tiene 7 u 8 dígitos.", "A DNI has 7 or 8 digits."),
        ("dni", "30abc456", "Ingresá el DNI solo con números", "Enter the DNI using digits only"),
        ("cuil", "27-30123456-4", "su dígito verificador no coincide", "its check digit does not match"),
        ("cuil", "2030", "Un CUIT/CUIL tiene 11 dígitos", "A CUIT/CUIL has 11 digits"),
        ("phone", "12", "Este número de teléfono no es válido", "This phone number is not valid"),
        ("phone", "hola", "Ingresá un teléfono con su código de área", "Enter a phone number with its area code"),
    ],
)
def test_invalid_identifiers_get_a_clear_message_in_each_language(client_for, stranger, field, value, spanish, english):
    client = client_for(stranger)
    data = {**VALID, field: value}

    in_spanish = client.post(reverse("profile"), data, HTTP_ACCEPT_LANGUAGE="es-AR").content.decode()
    in_english = client.post(reverse("profile"), data, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert spanish in in_spanish
    assert english in in_english
    assert 'aria-invalid="true"' in in_english
    assert not ConsumerProfile.objects.filter(user=stranger).exists()


def test_an_invalid_cuit_for_a_company_is_explained_in_spanish(client_for, officer):
    response = client_for(officer).post(
        reverse("company_create"), {"cuit": "30-71234567-2", "legal_name": "X S.A."}, HTTP_ACCEPT_LANGUAGE="es-AR"
    )

    assert "su dígito verificador no coincide" in response.content.decode()


def test_validators_normalise_what_people_type():
    assert normalize_dni("30 123 456") == "30123456"
    assert normalize_cuit("30-71234567-1") == "30712345671"
    assert normalize_phone("+54 9 351 456-7890") == "+5493514567890"
