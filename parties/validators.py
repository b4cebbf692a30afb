"""Argentine identifiers and phone numbers, checked by python-stdnum and phonenumbers."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.ar import cuit as stdnum_cuit
from stdnum.ar import dni as stdnum_dni


def normalize_dni(value: str) -> str:
    """Return the DNI as bare digits, or raise a ValidationError that says what is wrong."""
    try:
        return str(stdnum_dni.validate(value))
    except stdnum_errors.InvalidLength:
        raise ValidationError(_("A DNI has 7 or 8 digits."), code="dni_length") from None
    except stdnum_errors.ValidationError:
        raise ValidationError(_("Enter the DNI using digits only, e.g. 30123456."), code="dni_format") from None


def normalize_cuit(value: str) -> str:
    """Return the CUIT/CUIL as 11 digits, or raise a ValidationError that says what is wrong."""
    try:
        return str(stdnum_cuit.validate(value))
    except stdnum_errors.InvalidLength:
        raise ValidationError(_("A CUIT/CUIL has 11 digits, e.g. 30-71234567-1."), code="cuit_length") from None
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("This CUIT/CUIL is not valid: its check digit does not match. Please check it."), code="cuit_checksum"
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _("This CUIT/CUIL is not valid. Use 11 digits, e.g. 30-71234567-1."), code="cuit_format"
        ) from None


def format_cuit(digits: str) -> str:
    return stdnum_cuit.format(digits) if digits else ""


def normalize_phone(value: str) -> str:
    """Return the phone number in E.164 (+54…), reading local numbers as Argentine."""
    try:
        number = phonenumbers.parse(value, "AR")
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a phone number with its area code, e.g. 11 2345-6789."), code="phone_format"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This phone number is not valid. Include the area code, e.g. 11 2345-6789."), code="phone_invalid"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    if not e164:
        return ""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
