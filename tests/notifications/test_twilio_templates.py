"""WhatsApp outside the 24-hour window: each event as its approved template (ContentSid and
ContentVariables), checked by the Twilio stand-in as Twilio would check it; and the check that the
configured SIDs are registered with the variables we declare."""

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import translation

from notifications import delivery, whatsapp
from notifications.events import EVENTS
from notifications.management.commands import whatsapp_templates
from notifications.models import Channel, ProviderStatus, Status
from notifications.services import notify
from tests.notifications import twilio_standin
from tests.notifications.twilio_standin import FakeTwilio, phone_row

pytestmark = pytest.mark.django_db

HEARING_START = datetime(2026, 12, 15, 13, 0, tzinfo=UTC)  # 10:00 in Buenos Aires
REMINDER_ES = "HX" + "1" * 32
REMINDER_EN = "HX" + "2" * 32
GENERIC_ES = "HX" + "3" * 32
GENERIC_EN = "HX" + "4" * 32


@pytest.fixture
def twilio(settings) -> Iterator[FakeTwilio]:
    with twilio_standin.running(settings) as server:
        server.register_template(REMINDER_ES, language="es_AR", variables=3)
        server.register_template(REMINDER_EN, language="en", variables=3)
        server.register_template(GENERIC_ES, language="es_AR", variables=3)
        server.register_template(GENERIC_EN, language="en", variables=3)
        yield server


@pytest.fixture
def all_templates(settings) -> None:
    settings.WHATSAPP_CONTENT_SIDS = {
        "hearing_reminder": {"es-ar": REMINDER_ES, "en": REMINDER_EN},
        "*": {"es-ar": GENERIC_ES, "en": GENERIC_EN},
    }


def reminder_row(user, **fields):
    context = {"hearing_start": HEARING_START, "case_url": "/expedientes/1/"}
    return phone_row(user, event="hearing_reminder", context=context, **fields)


def sent_form(twilio: FakeTwilio) -> dict[str, str]:
    assert twilio.refusals == []
    [request] = twilio.requests
    return request["form"]


# --- the declarations ----------------------------------------------------------------------------


def test_every_event_has_a_template_or_is_explicitly_generic():
    assert set(whatsapp.TEMPLATES) == set(EVENTS)


def test_every_template_variable_is_declared_in_its_events_context():
    for event, template in whatsapp.TEMPLATES.items():
        for key in (template or whatsapp.GENERIC).variables:
            assert key in whatsapp.ROW_VARIABLES or EVENTS[event].kind_of(key) is not None, (event, key)


@pytest.mark.parametrize("language", ["es-ar", "en"])
def test_every_template_text_has_one_placeholder_per_variable_in_order(language):
    for template in [whatsapp.GENERIC, *filter(None, whatsapp.TEMPLATES.values())]:
        with translation.override(language):
            placeholders = whatsapp.PLACEHOLDER.findall(str(template.text))
        assert placeholders == [str(n) for n in range(1, len(template.variables) + 1)], template.name


def test_template_names_are_unique():
    names = [template.name for template in filter(None, whatsapp.TEMPLATES.values())]
    assert len(names) == len(set(names)) and whatsapp.GENERIC.name not in names


# --- sending ---------------------------------------------------------------------------------------


def test_a_spanish_recipient_gets_the_events_template_with_its_variables(consenting_consumer, twilio, all_templates):
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    form = sent_form(twilio)
    assert form["ContentSid"] == REMINDER_ES
    assert "Body" not in form
    assert json.loads(form["ContentVariables"]) == {
        "1": "DC-2026-000123",
        "2": "Mar 15 Dic 2026, 10:00",  # the office's time zone, in Spanish
        "3": "https://concilia.test/expedientes/1/",
    }
    assert form["To"] == "whatsapp:+5491155550000"
    assert form["StatusCallback"] == "https://concilia.test/notificaciones/twilio/estado/"
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.provider_message_id == twilio.messages[0].sid


def test_an_english_recipient_gets_the_english_template(english_consumer, twilio, all_templates):
    row = reminder_row(english_consumer, language="en")
    assert delivery.deliver(row.pk).outcome == "sent"
    form = sent_form(twilio)
    assert form["ContentSid"] == REMINDER_EN
    assert json.loads(form["ContentVariables"])["2"] == "Tue 15 Dec 2026, 10:00"


def test_an_event_without_its_own_template_goes_as_the_generic_one(consenting_consumer, twilio, all_templates):
    row = phone_row(
        consenting_consumer,
        event="company_answered",
        context={"case_url": "/expedientes/1/"},
        subject="La empresa respondió en el expediente DC-2026-000123",
    )
    assert delivery.deliver(row.pk).outcome == "sent"
    form = sent_form(twilio)
    assert form["ContentSid"] == GENERIC_ES
    assert json.loads(form["ContentVariables"]) == {
        "1": "DC-2026-000123",
        "2": "La empresa respondió en el expediente DC-2026-000123",
        "3": "https://concilia.test/expedientes/1/",
    }


def test_an_event_whose_template_is_not_configured_falls_back_to_the_generic_one(consenting_consumer, twilio, settings):
    settings.WHATSAPP_CONTENT_SIDS = {"*": {"es-ar": GENERIC_ES}}
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    form = sent_form(twilio)
    assert form["ContentSid"] == GENERIC_ES
    assert json.loads(form["ContentVariables"])["2"] == row.subject


def test_without_a_template_in_their_language_the_office_language_is_used(english_consumer, twilio, settings):
    settings.WHATSAPP_CONTENT_SIDS = {"hearing_reminder": {"es-ar": REMINDER_ES}}
    row = reminder_row(english_consumer, language="en")
    assert delivery.deliver(row.pk).outcome == "sent"
    form = sent_form(twilio)
    assert form["ContentSid"] == REMINDER_ES
    # The variables read like the template they fill.
    assert json.loads(form["ContentVariables"])["2"] == "Mar 15 Dic 2026, 10:00"


def test_without_any_template_the_row_dies_with_the_reason_and_nothing_is_sent(consenting_consumer, twilio):
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "dead"
    row.refresh_from_db()
    assert row.status == Status.DEAD
    assert "No approved WhatsApp template for event 'hearing_reminder'" in row.last_error
    assert twilio.requests == []


def test_a_row_without_the_events_values_goes_as_the_generic_template(consenting_consumer, twilio, all_templates):
    row = phone_row(consenting_consumer, event="hearing_reminder", context={})
    assert delivery.deliver(row.pk).outcome == "sent"
    assert sent_form(twilio)["ContentSid"] == GENERIC_ES


def test_a_template_registered_with_more_variables_is_sent_with_twilios_samples(consenting_consumer, settings, twilio):
    """What Twilio does, and why `whatsapp_templates --check` exists: nothing refuses the message,
    and the person reads the sample registered for the variable we did not send."""
    twilio.register_template(REMINDER_ES, language="es_AR", variables={"1": "X", "2": "Y", "3": "Z", "4": "Ana Gómez"})
    settings.WHATSAPP_CONTENT_SIDS = {"hearing_reminder": {"es-ar": REMINDER_ES}}
    row = reminder_row(consenting_consumer)
    assert delivery.deliver(row.pk).outcome == "sent"
    [message] = twilio.messages
    assert message.filled_from_samples == ["4"]
    assert message.variables["4"] == "Ana Gómez"


def test_variables_are_one_short_line_never_empty(consenting_consumer, twilio, settings):
    reassigned = "HX" + "5" * 32
    twilio.register_template(reassigned, language="es_AR", variables=4)
    settings.WHATSAPP_CONTENT_SIDS = {"hearing_reassigned": {"es-ar": reassigned}}
    row = phone_row(
        consenting_consumer,
        event="hearing_reassigned",
        context={"hearing_start": HEARING_START, "conciliator_name": "Ana\n\tMaría    " + "Gómez " * 100},
        case_number="",
    )
    assert delivery.deliver(row.pk).outcome == "sent"
    variables = json.loads(sent_form(twilio)["ContentVariables"])
    assert variables["1"] == whatsapp.EMPTY
    assert variables["3"].startswith("Ana María Gómez Gómez")
    assert len(variables["3"]) == whatsapp.VARIABLE_MAX
    assert "\n" not in variables["3"] and "  " not in variables["3"]
    assert variables["4"] == "https://concilia.test/"


def test_sms_stays_free_text(consenting_consumer, twilio, all_templates):
    row = reminder_row(consenting_consumer, channel=Channel.SMS)
    assert delivery.deliver(row.pk).outcome == "sent"
    form = sent_form(twilio)
    assert form["Body"] == row.body_text
    assert "ContentSid" not in form


# --- what the office registers ----------------------------------------------------------------------


def test_the_command_prints_a_content_api_request_per_template_and_language():
    out = StringIO()
    call_command("whatsapp_templates", stdout=out)
    items = json.loads(out.getvalue())
    declared = [whatsapp.GENERIC, *filter(None, whatsapp.TEMPLATES.values())]
    assert len(items) == 2 * len(declared)
    [reminder_es] = [i for i in items if i["event"] == "hearing_reminder" and i["language"] == "es-ar"]
    with translation.override("es-ar"):
        text_es = str(whatsapp.template_for("hearing_reminder").text)
    assert reminder_es["content"] == {
        "friendly_name": "concilia_hearing_reminder_es_ar",
        "language": "es_AR",
        "variables": {
            "1": "DC-2026-000123",
            "2": "Mar 15 Dic 2026, 10:00",
            "3": "https://concilia.test/expedientes/123/",
        },
        "types": {"twilio/text": {"body": text_es}},
    }
    assert reminder_es["approval"] == {"name": "concilia_hearing_reminder_es_ar", "category": "UTILITY"}
    [generic_en] = [i for i in items if i["event"] == "*" and i["language"] == "en"]
    assert (
        generic_en["content"]["types"]["twilio/text"]["body"] == "Concilia, case {{1}}: {{2}}. See the details at {{3}}"
    )
    assert generic_en["content"]["variables"]["2"] == "Reminder: hearing DC-2026-000123"


def test_the_documented_templates_are_the_declared_ones():
    doc = (Path(django_settings.BASE_DIR) / "docs" / "whatsapp-templates.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `concilia_")}
    declared = [whatsapp.GENERIC, *filter(None, whatsapp.TEMPLATES.values())]
    assert set(rows) == {template.name for template in declared}
    for template in declared:
        cells = [cell.strip() for cell in rows[template.name].split("|")]
        with translation.override("en"):
            assert cells[4] == str(template.text)
        assert cells[3] == ", ".join(f"{{{{{n}}}}} {key}" for n, key in enumerate(template.variables, start=1))


GOOD_AUTH = "Basic " + base64.b64encode(f"{twilio_standin.ACCOUNT_SID}:{twilio_standin.AUTH_TOKEN}".encode()).decode()
MESSAGES_PATH = f"/2010-04-01/Accounts/{twilio_standin.ACCOUNT_SID}/Messages.json"
WA = {"To": "whatsapp:+5491155550000", "From": "whatsapp:+14155238886"}
GOOD_VARIABLES = json.dumps({"1": "DC-2026-000123", "2": "Mar 15 Dic 2026, 10:00", "3": "https://concilia.test/"})


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({**WA, "ContentSid": REMINDER_ES, "ContentVariables": GOOD_VARIABLES}, None),
        ({**WA, "Body": "Hola"}, None),
        ({**WA, "Body": "Hola", "ContentSid": REMINDER_ES, "ContentVariables": GOOD_VARIABLES}, 21619),
        (WA, 21619),
        ({"To": "+5491155550000", "From": "whatsapp:+14155238886", "Body": "Hola"}, 21910),
        ({"From": "whatsapp:+14155238886", "Body": "Hola"}, 21604),
        ({**WA, "ContentSid": "HX" + "9" * 32, "ContentVariables": GOOD_VARIABLES}, 21655),
        ({**WA, "ContentSid": REMINDER_ES}, None),  # every variable from the samples
        ({**WA, "ContentSid": REMINDER_ES, "ContentVariables": "{not json"}, 21656),
        ({**WA, "ContentSid": REMINDER_ES, "ContentVariables": json.dumps({"1": "a", "2": "b"})}, None),
        ({**WA, "ContentSid": REMINDER_ES, "ContentVariables": json.dumps(["a", "b", "c"])}, 21656),
        ({**WA, "ContentSid": REMINDER_ES, "ContentVariables": json.dumps({"1": "a", "2": "", "3": "c"})}, 21656),
        (
            {**WA, "ContentSid": REMINDER_ES, "ContentVariables": json.dumps({"1": "a", "2": "b", "3": "c" * 1025})},
            21656,
        ),
        ({**WA, "ContentSid": REMINDER_ES, "ContentVariables": json.dumps({"1": "a", "2": 2, "3": "c"})}, 21656),
    ],
)
def test_the_stand_in_refuses_what_twilio_refuses(twilio, form, code):
    refusal = twilio.check(GOOD_AUTH, MESSAGES_PATH, form)
    assert (refusal.code if refusal else None) == code


def test_the_stand_in_fills_what_a_message_leaves_out_from_the_samples(twilio):
    twilio.register_template(REMINDER_ES, language="es_AR", variables={"1": "DC-1", "2": "lunes", "3": "https://x/"})
    message = twilio.accept({**WA, "ContentSid": REMINDER_ES, "ContentVariables": json.dumps({"1": "DC-9"})})
    assert message.variables == {"1": "DC-9", "2": "lunes", "3": "https://x/"}
    assert message.filled_from_samples == ["2", "3"]


def test_the_stand_in_refuses_a_wrong_token(twilio):
    wrong = "Basic " + base64.b64encode(f"{twilio_standin.ACCOUNT_SID}:guess".encode()).decode()
    refusal = twilio.check(wrong, MESSAGES_PATH, {**WA, "Body": "Hola"})
    assert refusal is not None and refusal.status == 401


def test_from_the_outbox_to_delivered(client, consenting_consumer, twilio, all_templates):
    """The whole way: notify() writes the row with the event's context, the worker renders and sends
    it as the approved template, and Twilio's signed callbacks move it to delivered."""
    [row] = notify(
        recipient=consenting_consumer,
        event="hearing_reminder",
        context={"hearing_start": HEARING_START, "case_url": "/expedientes/7/"},
        idempotency_key="hearing:7:reminder",
        case_number="DC-2026-000777",
        channels=[Channel.WHATSAPP],
    )
    assert delivery.deliver(row.pk).outcome == "sent"
    form = sent_form(twilio)
    assert form["ContentSid"] == REMINDER_ES
    assert json.loads(form["ContentVariables"]) == {
        "1": "DC-2026-000777",
        "2": "Mar 15 Dic 2026, 10:00",
        "3": "https://concilia.test/expedientes/7/",
    }
    twilio.report_outcomes(client)
    row.refresh_from_db()
    assert (row.status, row.provider_status) == (Status.SENT, ProviderStatus.DELIVERED)


# --- checking the configured SIDs against what Twilio holds ----------------------------------------------


def run_check() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("whatsapp_templates", "--check", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_check_passes_when_every_configured_sid_matches(twilio, all_templates):
    out, err = run_check()
    assert out.strip() == "All 4 configured WhatsApp templates match the declaration."
    assert err == ""
    assert sorted(twilio.content_requests) == sorted(
        f"/v1/Content/{sid}" for sid in (REMINDER_ES, REMINDER_EN, GENERIC_ES, GENERIC_EN)
    )


def test_the_check_names_a_sid_registered_with_other_variables(twilio, all_templates):
    twilio.register_template(REMINDER_ES, language="es_AR", variables=4)
    with pytest.raises(CommandError, match="1 configured WhatsApp template"):
        run_check()
    [mismatch] = whatsapp_templates.check()
    assert (mismatch.event, mismatch.language, mismatch.content_sid) == ("hearing_reminder", "es-ar", REMINDER_ES)
    assert "registered with variables ['1', '2', '3', '4'], declared ['1', '2', '3']" in mismatch.problem


def test_the_check_names_a_sid_in_another_language(twilio, all_templates):
    twilio.register_template(GENERIC_EN, language="es_AR", variables=3)
    [mismatch] = whatsapp_templates.check()
    assert (mismatch.event, mismatch.language) == ("*", "en")
    assert mismatch.problem == "registered in 'es_AR', configured for 'en'."


def test_the_check_names_a_sid_twilio_does_not_hold_and_a_key_that_is_no_event(twilio, settings):
    settings.WHATSAPP_CONTENT_SIDS = {"hearing_remider": {"es-ar": REMINDER_ES}, "*": {"es-ar": "HX" + "9" * 32}}
    problems = {(mismatch.event, mismatch.problem) for mismatch in whatsapp_templates.check()}
    assert problems == {
        ("hearing_remider", "no such event."),
        ("*", "Twilio holds no template with this SID (404)."),
    }


def test_the_check_reports_when_twilio_cannot_be_reached(twilio, all_templates, settings):
    settings.TWILIO_CONTENT_API_BASE = "http://127.0.0.1:1"
    mismatches = whatsapp_templates.check()
    assert len(mismatches) == 4
    assert all("could not be read" in mismatch.problem for mismatch in mismatches)
