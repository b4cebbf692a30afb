"""Amounts of money as people in Argentina type them: "450.000", "450.000,50", "$ 1.234.567,8",
and also "450000.50" or "1,234.50" — the form takes them all and means the same number."""

from decimal import Decimal

from django import forms


def normalise_amount(text: str) -> str:
    """The amount with a dot as its only decimal separator and no thousands separators.

    The rule: with both "." and ",", the later one separates the decimals; a lone "," followed by
    one or two digits is decimal, otherwise a thousands separator; a "." followed by exactly three
    digits, or several dots, separate thousands (no amount of pesos has three decimals)."""
    value = "".join(text.replace("$", "").replace("ARS", "").split())
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            return value.replace(".", "").replace(",", ".")
        return value.replace(",", "")
    if "," in value:
        head, _, tail = value.rpartition(",")
        if value.count(",") == 1 and len(tail) in (1, 2):
            return f"{head}.{tail}"
        return value.replace(",", "")
    if value.count(".") > 1 or (value.count(".") == 1 and len(value.rpartition(".")[2]) == 3):
        return value.replace(".", "")
    return value


class AmountField(forms.DecimalField):
    """A DecimalField that reads Argentine and international ways of writing an amount."""

    def to_python(self, value: object) -> Decimal | None:  # type: ignore[override]  # stubs: IntegerField
        if isinstance(value, str):
            value = normalise_amount(value)
        return super().to_python(value)
