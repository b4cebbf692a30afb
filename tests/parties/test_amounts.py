"""Amounts typed the Argentine way or the international way mean the same number."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from complaints.forms.case_file import OfferForm
from parties.amounts import normalise_amount


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("450000", "450000"),
        ("450.000", "450000"),
        ("450.000,50", "450000.50"),
        ("$ 1.234.567,8", "1234567.8"),
        ("450000,50", "450000.50"),
        ("450000.50", "450000.50"),
        ("1,234.50", "1234.50"),
        ("1,234,567", "1234567"),
        ("ARS 18.500", "18500"),
    ],
)
def test_an_amount_is_read_as_people_write_it(typed, meant):
    assert Decimal(normalise_amount(typed) or "NaN") == Decimal(meant)


@pytest.mark.parametrize("typed", ["450.000.50", "1,000,50", "12,345,67", "1.000.0", "0.500", "1.5e3", "1.23.456"])
def test_an_amount_that_could_be_misread_is_refused_rather_than_guessed(typed):
    form = OfferForm(data={"amount": typed, "terms": "x", "fulfil_by": timezone.localdate().isoformat()})

    assert "amount" in form.errors


def test_the_offer_form_takes_an_amount_written_with_thousands_dots_and_a_decimal_comma():
    form = OfferForm(
        data={
            "amount": "450.000,50",
            "terms": "Devolución total por transferencia.",
            "fulfil_by": (timezone.localdate() + timedelta(days=10)).isoformat(),
        }
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("450000.50")


def test_something_that_is_not_an_amount_is_still_refused():
    form = OfferForm(data={"amount": "mil pesos", "terms": "x", "fulfil_by": timezone.localdate().isoformat()})

    assert not form.is_valid()
    assert "amount" in form.errors
