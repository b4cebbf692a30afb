"""Each notification event declares its context (notifications/events.py), and a context is checked
when the event is written: outside production a mistake fails at the call; in production the move
goes on, the mistake is logged loudly and the message goes out with the template's neutral sentence."""

from decimal import Decimal

import pytest
from django.test import override_settings

from notifications.events import EVENTS, ContextError, prepare_context
from notifications.models import Channel, Notification
from notifications.services import notify
from tests.notifications.conftest import local, translated
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db


def email_of(rows: list[Notification]) -> Notification:
    return rendered(next(row for row in rows if row.channel == Channel.EMAIL))


def test_a_context_that_matches_its_declaration_is_written_as_it_is(consumer) -> None:
    context = {"observations": "Adjuntá la factura.", "correction_due": local(2026, 12, 4, 23, 59), "case_url": "/x/"}
    assert prepare_context("complaint_observed", context) == context
    row = email_of(notify(recipient=consumer, event="complaint_observed", context=context, idempotency_key="o"))
    assert "Adjuntá la factura." in row.body_text


def test_a_missing_required_key_fails_at_the_call(consumer) -> None:
    with pytest.raises(ContextError, match="missing reason"):
        notify(recipient=consumer, event="complaint_rejected", context={}, idempotency_key="x")
    assert not Notification.objects.exists()


def test_an_undeclared_key_fails_at_the_call(consumer) -> None:
    """The old synonyms are gone: `observation` is not `observations`."""
    with pytest.raises(ContextError, match="undeclared observation"):
        notify(
            recipient=consumer,
            event="complaint_observed",
            context={"observations": "Adjuntá la factura.", "observation": "Adjuntá la factura."},
            idempotency_key="x",
        )
    assert not Notification.objects.exists()


def test_a_value_of_the_wrong_kind_fails_at_the_call() -> None:
    with pytest.raises(ContextError, match="wrong kind hearing_start"):
        prepare_context("hearing_scheduled", {"hearing_start": "mañana a las 10"})
    with pytest.raises(ContextError, match="wrong kind answer"):
        prepare_context("offer_answered", {"answer": "maybe"})
    with pytest.raises(ContextError, match="wrong kind counter_amount"):
        prepare_context("offer_answered", {"answer": "countered", "counter_amount": "850000"})


def test_an_optional_key_may_be_left_empty() -> None:
    context = {"answer": "rejected", "counter_text": "", "counter_amount": None}
    assert prepare_context("offer_answered", context) == context


def test_every_event_accepts_the_keys_every_caller_passes() -> None:
    for event in EVENTS:
        required = {key: _sample(kind) for key, kind in EVENTS[event].required.items()}
        prepare_context(event, {**required, "case_number": "DC-2026-000001", "case_url": "/expedientes/1/"})


def _sample(kind):
    if isinstance(kind, frozenset):
        return sorted(kind)[0]
    kind = kind[0] if isinstance(kind, tuple) else kind
    return {str: "text", bool: True, int: 1, Decimal: Decimal("1")}.get(kind, local(2026, 12, 4, 10, 0))


@override_settings(PRODUCTION=True)
def test_in_production_a_mistake_is_logged_and_the_message_still_goes_out(consumer, caplog) -> None:
    with caplog.at_level("ERROR", logger="notifications"):
        rows = notify(
            recipient=consumer,
            event="offer_answered",
            context={"accepted": True},
            idempotency_key="answered",
            channels=[Channel.EMAIL],
        )
    assert "'offer_answered'" in caplog.text
    assert "missing answer" in caplog.text and "undeclared accepted" in caplog.text
    # The undeclared key is dropped; without an answer the template says the neutral sentence.
    assert len(rows) == 1
    assert translated("es-ar", "The consumer answered the offer with a counter-offer.") in rendered(rows[0]).body_text


@override_settings(PRODUCTION=True)
def test_in_production_a_value_of_the_wrong_kind_is_left_out(consumer, caplog) -> None:
    with caplog.at_level("ERROR", logger="notifications"):
        context = prepare_context("offer_made", {"offer_text": "Cambio de la heladera.", "offer_amount": "mucho"})
    assert context == {"offer_text": "Cambio de la heladera."}
    assert "wrong kind offer_amount" in caplog.text
