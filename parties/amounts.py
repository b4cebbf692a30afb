"""Amounts of money as people in Argentina type them: "450.000", "450.000,50", "$ 1.234.567,8",
and also "450000.50" or "1,234.50" — the form takes them all and means the same number. Anything
else is left as typed, for the field to refuse: a misread amount is worse than an error."""

import re
from decimal import Decimal

from django import forms

# Digits grouped in thousands by one separator, then optionally the other one and the cents.
GROUPED = re.compile(r"^[1-9]\d{0,2}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*(?:(?P<dec>[.,])\d{1,2})?$")
# Plain digits with one decimal separator and the cents.
PLAIN = re.compile(r"^\d+(?:[.,]\d{1,2})?$")


def normalise_amount(text: str) -> str | None:
    """The amount with a dot as its only decimal separator and no thousands separators, or None
    when it is not written in one of the usual ways (the field then refuses it).

    "450.000" is four hundred and fifty thousand (no amount of pesos has three decimals)."""
    value = "".join(text.replace("$", "").replace("ARS", "").split())
    grouped = GROUPED.match(value)
    if grouped and grouped["dec"] != grouped["sep"]:
        digits = value.replace(grouped["sep"], "")
        return digits.replace(",", ".") if grouped["dec"] else digits
    if PLAIN.match(value):
        return value.replace(",", ".")
    return None


class AmountField(forms.DecimalField):
    """A DecimalField that reads Argentine and international ways of writing an amount."""

    def to_python(self, value: object) -> Decimal | None:  # type: ignore[override]  # stubs: IntegerField
        if isinstance(value, str) and value.strip():
            value = normalise_amount(value)
            if value is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
