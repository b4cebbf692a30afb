"""Twilio's signed status callbacks: a message's status moves forward, once per report; forged,
foreign or replayed reports change nothing; a report that arrives before the worker recorded the
message waits for it; no input gets a 500."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import OperationalError
from django.http import QueryDict
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from twilio.request_validator import HMAC_SHA256, RequestValidator

from notifications import delivery, provider_reports
from notifications.channels.sms import status_callback_url
from notifications.models import Channel, Notification, ProviderCallback, ProviderStatus, Status, WhatsAppWindow
from notifications.tasks import apply_stranded_provider_reports
from tests.notifications import twilio_standin
from tests.notifications.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, phone_row

pytestmark = pytest.mark.django_db

URL = "https://concilia.test/notificaciones/twilio/estado/"
HEARING_START = datetime(2026, 12, 15, 13, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def twilio(settings) -> Iterator[FakeTwilio]:
    with twilio_standin.running(settings) as server:
        yield server


def sms_sent_through(twilio: FakeTwilio, recipient, **fields) -> Notification:
    row = phone_row(
        recipient,
        event="hearing_reminder",
        context={"hearing_start": HEARING_START, "case_url": "/expedientes/1/"},
        channel=Channel.SMS,
        **fields,
    )
    assert delivery.deliver(row.pk).outcome == "sent"
    row.refresh_from_db()
    return row


@pytest.fixture
def sent_sms(consenting_consumer, twilio) -> Notification:
    """An SMS Twilio accepted (queued), waiting for its reports."""
    return sms_sent_through(twilio, consenting_consumer)


@pytest.fixture
def sent_formal_sms(consenting_consumer, twilio) -> Notification:
    """A formal SMS (its failure is sent again by another channel and the office is told)."""
    return sms_sent_through(twilio, consenting_consumer, formal=True)


def signed_post(client: Client, params: dict, *, token: str = AUTH_TOKEN, headers: dict | None = None):
    # Signed as Twilio signs: over every value of every field (a QueryDict holds repeated fields).
    signature = RequestValidator(token).compute_signature(URL, QueryDict(urlencode(params, doseq=True)))
    return client.post(
        reverse("twilio_status_callback"), params, headers={"X-Twilio-Signature": signature, **(headers or {})}
    )


def report(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "MessageStatus": status, **extra}


def test_delivered_moves_the_row_to_delivered(client, twilio, sent_sms):
    twilio.report_outcomes(client)
    sent_sms.refresh_from_db()
    assert sent_sms.status == Status.SENT
    assert sent_sms.provider_status == ProviderStatus.DELIVERED
    assert sent_sms.provider_status_at is not None
    assert list(ProviderCallback.objects.order_by("pk").values_list("status", "notification")) == [
        ("sent", sent_sms.pk),
        ("delivered", sent_sms.pk),
    ]


def test_a_failure_is_recorded_with_twilios_error_code(client, twilio, sent_sms):
    response = twilio.report(client, sent_sms.provider_message_id, "undelivered", error_code="30008")
    assert response.status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ProviderStatus.UNDELIVERED
    assert "30008" in sent_sms.provider_error


def test_twilios_early_steps_mean_queued_and_canceled_means_failed(client, sent_sms):
    signed_post(client, report(sent_sms.provider_message_id, "accepted"))
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ProviderStatus.QUEUED
    signed_post(client, report(sent_sms.provider_message_id, "canceled"))
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ProviderStatus.FAILED


def test_the_status_only_moves_forward(client, twilio, sent_sms):
    twilio.report(client, sent_sms.provider_message_id, "delivered")
    late = twilio.report(client, sent_sms.provider_message_id, "sent")
    assert late.status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ProviderStatus.DELIVERED


def test_a_forged_signature_is_refused_and_changes_nothing(client, sent_sms):
    response = signed_post(client, report(sent_sms.provider_message_id, "failed"), token="not-our-token")
    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ""
    assert not ProviderCallback.objects.exists()


def test_a_report_without_a_signature_is_refused(client, sent_sms):
    response = client.post(reverse("twilio_status_callback"), report(sent_sms.provider_message_id, "failed"))
    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ""


def test_a_signed_report_whose_form_was_altered_is_refused(client, sent_sms):
    genuine = report(sent_sms.provider_message_id, "delivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(URL, genuine)
    altered = {**genuine, "MessageStatus": "failed"}
    response = client.post(reverse("twilio_status_callback"), altered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ""


def test_another_accounts_report_is_refused(client, sent_sms):
    response = signed_post(client, {**report(sent_sms.provider_message_id, "failed"), "AccountSid": "AC" + "9" * 32})
    assert response.status_code == 403
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ""
    assert not ProviderCallback.objects.exists()


def test_nothing_is_accepted_while_no_auth_token_is_configured(client, sent_sms, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    response = signed_post(client, report(sent_sms.provider_message_id, "failed"), token="")
    assert response.status_code == 403


def test_a_replayed_report_has_no_second_effect(client, sent_sms, monkeypatch):
    calls: list[dict] = []

    def apply_status(row, **report) -> bool:
        calls.append(report)
        return True

    monkeypatch.setattr("notifications.provider_reports.apply_status", apply_status)
    params = report(sent_sms.provider_message_id, "failed", ErrorCode="30003")
    headers = {"I-Twilio-Idempotency-Token": "token-1"}
    assert signed_post(client, params, headers=headers).status_code == 200
    assert signed_post(client, params, headers=headers).status_code == 200
    assert len(calls) == 1
    assert ProviderCallback.objects.count() == 1


def test_a_replay_with_another_idempotency_header_is_still_a_replay(client, sent_sms):
    """The idempotency header is not signed: a captured request replayed with a new one is the same
    signed report."""
    params = report(sent_sms.provider_message_id, "delivered")
    for token in ("first", "second", "third"):
        assert signed_post(client, params, headers={"I-Twilio-Idempotency-Token": token}).status_code == 200
    assert ProviderCallback.objects.count() == 1


def test_the_same_status_with_another_error_code_is_another_report(client, sent_sms):
    signed_post(client, report(sent_sms.provider_message_id, "undelivered", ErrorCode="30003"))
    signed_post(client, report(sent_sms.provider_message_id, "undelivered", ErrorCode="30005"))
    assert ProviderCallback.objects.count() == 2


def test_the_error_is_kept_as_one_clean_line(client, sent_sms):
    params = report(
        sent_sms.provider_message_id, "failed", ErrorCode="30003", ErrorMessage="Unreachable\r\n\x07\thandset"
    )
    assert signed_post(client, params).status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.provider_error == "30003 Unreachable handset"
    assert ProviderCallback.objects.get().error == "30003 Unreachable handset"


def test_a_replayed_failure_tells_the_office_once(client, twilio, supervisor, sent_formal_sms):
    params = report(sent_formal_sms.provider_message_id, "failed", ErrorCode="30003")
    signed_post(client, params)
    told = Notification.objects.filter(event="delivery_failed", recipient=supervisor).count()
    assert told > 0
    signed_post(client, params)
    assert Notification.objects.filter(event="delivery_failed", recipient=supervisor).count() == told
    assert ProviderCallback.objects.count() == 1


def test_a_failed_formal_whatsapp_message_is_sent_again_by_another_channel(client, twilio, consenting_consumer):
    twilio.open_window("+5491155550000")
    WhatsAppWindow.objects.create(phone="+5491155550000", last_inbound_at=timezone.now())
    row = phone_row(
        consenting_consumer,
        event="hearing_reminder",
        context={"hearing_start": HEARING_START, "case_url": "/expedientes/1/"},
        formal=True,
    )
    assert delivery.deliver(row.pk).outcome == "sent"
    row.refresh_from_db()
    twilio.report(client, row.provider_message_id, "failed", error_code="63003")
    row.refresh_from_db()
    assert row.provider_status == ProviderStatus.FAILED
    [again] = row.fallbacks.all()
    assert again.channel != Channel.WHATSAPP


def test_a_report_for_an_unknown_message_is_kept_with_its_status_and_error_and_answered_200(client):
    response = signed_post(client, report("SM" + "7" * 32, "failed", ErrorCode="30003"))
    assert response.status_code == 200
    [callback] = ProviderCallback.objects.all()
    assert (callback.notification, callback.message_id, callback.status, callback.error) == (
        None,
        "SM" + "7" * 32,
        "failed",
        "30003",
    )


def test_reports_that_never_found_their_message_are_forgotten_after_a_week(client, sent_sms):
    long_ago = timezone.now() - timedelta(days=provider_reports.UNCLAIMED_DAYS, minutes=1)
    with time_machine.travel(long_ago):
        signed_post(client, report("SM" + "7" * 32, "failed"))  # another system's message: never ours
        signed_post(client, report(sent_sms.provider_message_id, "delivered"))  # ours: claimed at once
        provider_reports.record_inbound_message(message_id="SM" + "8" * 32, phone="+5491150000000")
    signed_post(client, report("SM" + "9" * 32, "failed"))  # unclaimed, but only just received

    assert provider_reports.forget_unclaimed_reports() == 1

    kept = set(ProviderCallback.objects.values_list("message_id", flat=True))
    # The claimed report and the inbound message stay: their digests are what refuses a replay.
    assert kept == {sent_sms.provider_message_id, "SM" + "8" * 32, "SM" + "9" * 32}
    signed_post(client, report(sent_sms.provider_message_id, "delivered"))
    assert ProviderCallback.objects.filter(message_id=sent_sms.provider_message_id).count() == 1


# --- a report that arrives before the worker recorded the message -----------------------------------


@pytest.fixture
def accepted_unrecorded(consenting_consumer) -> Notification:
    """A formal SMS Twilio has accepted (it answered 201 with a SID) while the worker has not yet
    recorded that SID on the row."""
    return phone_row(
        consenting_consumer,
        event="hearing_reminder",
        context={"hearing_start": HEARING_START, "case_url": "/expedientes/1/"},
        channel=Channel.SMS,
        formal=True,
    )


def record_acceptance(row: Notification, sid: str) -> Notification:
    """What delivery.record_acceptance writes, then the call it makes once the row is marked sent."""
    Notification.objects.filter(pk=row.pk).update(status=Status.SENT, sent_at=timezone.now(), provider_message_id=sid)
    row.refresh_from_db()
    provider_reports.apply_unclaimed_reports(row)
    row.refresh_from_db()
    return row


def test_a_failure_reported_before_the_acceptance_is_applied_once_it_is_recorded(
    client, supervisor, accepted_unrecorded
):
    sid = "SM" + "7" * 32
    assert signed_post(client, report(sid, "failed", ErrorCode="30003")).status_code == 200
    accepted_unrecorded.refresh_from_db()
    assert accepted_unrecorded.provider_status == ""

    row = record_acceptance(accepted_unrecorded, sid)

    assert (row.provider_status, row.provider_error) == (ProviderStatus.FAILED, "30003")
    assert ProviderCallback.objects.get().notification == row
    [again] = row.fallbacks.all()
    assert again.channel != Channel.SMS
    assert Notification.objects.filter(event="delivery_failed", recipient=supervisor).exists()


def test_waiting_reports_are_applied_in_the_order_they_arrived(client, accepted_unrecorded):
    sid = "SM" + "7" * 32
    signed_post(client, report(sid, "delivered"))
    signed_post(client, report(sid, "failed", ErrorCode="30003"))  # about something else: delivered stands

    row = record_acceptance(accepted_unrecorded, sid)

    assert row.provider_status == ProviderStatus.DELIVERED
    assert not row.fallbacks.exists()
    assert set(ProviderCallback.objects.values_list("notification", flat=True)) == {row.pk}


def test_a_waiting_report_is_applied_once(client, supervisor, accepted_unrecorded):
    sid = "SM" + "7" * 32
    signed_post(client, report(sid, "failed", ErrorCode="30003"))
    row = record_acceptance(accepted_unrecorded, sid)
    told = Notification.objects.filter(event="delivery_failed").count()

    assert provider_reports.apply_unclaimed_reports(row) == 0
    signed_post(client, report(sid, "failed", ErrorCode="30003"))  # and Twilio's retry of it

    assert Notification.objects.filter(event="delivery_failed").count() == told
    assert row.fallbacks.count() == 1


def test_reports_for_another_message_are_left_waiting(client, accepted_unrecorded):
    signed_post(client, report("SM" + "8" * 32, "failed", ErrorCode="30003"))
    row = record_acceptance(accepted_unrecorded, "SM" + "7" * 32)
    assert row.provider_status == ""
    assert ProviderCallback.objects.get().notification is None


def test_a_report_arriving_after_the_acceptance_is_applied_at_once(client, accepted_unrecorded):
    row = record_acceptance(accepted_unrecorded, "SM" + "7" * 32)
    signed_post(client, report(row.provider_message_id, "delivered"))
    row.refresh_from_db()
    assert row.provider_status == ProviderStatus.DELIVERED
    assert ProviderCallback.objects.get().notification == row


def failing_once(monkeypatch) -> None:
    """The database fails while the first report is applied, after the report was recorded."""
    real = provider_reports.apply_status

    def apply_status(row, **report):
        monkeypatch.setattr(provider_reports, "apply_status", real)
        raise OperationalError("the connection was lost")

    monkeypatch.setattr(provider_reports, "apply_status", apply_status)


def test_a_report_whose_application_failed_is_applied_by_twilios_retry(sent_sms, monkeypatch):
    failing_once(monkeypatch)
    client = Client(raise_request_exception=False)
    params = report(sent_sms.provider_message_id, "undelivered", ErrorCode="30005")

    assert signed_post(client, params).status_code >= 500  # Twilio will try again
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status != ProviderStatus.UNDELIVERED
    assert signed_post(client, params).status_code == 200  # the retry: the same signed report

    sent_sms.refresh_from_db()
    assert (sent_sms.provider_status, sent_sms.provider_error) == (ProviderStatus.UNDELIVERED, "30005")
    assert ProviderCallback.objects.get().notification == sent_sms


def test_a_report_whose_application_failed_and_was_never_retried_is_applied_at_night(sent_sms, monkeypatch):
    failing_once(monkeypatch)
    with pytest.raises(OperationalError):
        provider_reports.record_status(message_id=sent_sms.provider_message_id, status="delivered")

    assert apply_stranded_provider_reports() == 1

    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ProviderStatus.DELIVERED
    assert apply_stranded_provider_reports() == 0


def test_the_night_finds_ours_among_many_reports_of_another_system(sent_sms, monkeypatch):
    foreign = [
        ProviderCallback(provider="twilio", digest=f"{n:064x}", message_id=f"SMf{n:031x}", status="delivered")
        for n in range(30)
    ]
    ProviderCallback.objects.bulk_create(foreign)
    failing_once(monkeypatch)
    with pytest.raises(OperationalError):
        provider_reports.record_status(message_id=sent_sms.provider_message_id, status="delivered")

    assert provider_reports.apply_stranded_reports(limit=10) == 1
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ProviderStatus.DELIVERED


def test_a_report_that_fails_again_at_night_leaves_the_others_applied(
    consenting_consumer, twilio, sent_sms, monkeypatch
):
    other = sms_sent_through(twilio, consenting_consumer)
    for row in (sent_sms, other):
        failing_once(monkeypatch)
        with pytest.raises(OperationalError):
            provider_reports.record_status(message_id=row.provider_message_id, status="delivered")
    failing_once(monkeypatch)  # the night's first application fails too

    assert apply_stranded_provider_reports() == 1

    statuses = set(
        Notification.objects.filter(pk__in=[sent_sms.pk, other.pk]).values_list("provider_status", flat=True)
    )
    assert ProviderStatus.DELIVERED in statuses and len(statuses) == 2
    assert apply_stranded_provider_reports() == 1  # the next night
    assert ProviderCallback.objects.filter(notification__isnull=True).count() == 0


# --- the signed address -----------------------------------------------------------------------------


def test_behind_a_path_prefix_a_genuine_report_is_accepted(client, sent_sms, settings):
    """The proxy serves the site under /concilia and passes SCRIPT_NAME; SITE_URL carries the prefix."""
    settings.SITE_URL = "https://gob.example/concilia"
    url = status_callback_url()
    assert url == "https://gob.example/concilia/notificaciones/twilio/estado/"
    params = report(sent_sms.provider_message_id, "delivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    response = client.post(
        "/notificaciones/twilio/estado/", params, SCRIPT_NAME="/concilia", headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ProviderStatus.DELIVERED


def test_the_callback_address_is_the_same_when_named_during_a_prefixed_request(settings):
    settings.SITE_URL = "https://gob.example/concilia"
    set_script_prefix("/concilia/")
    try:
        assert status_callback_url() == "https://gob.example/concilia/notificaciones/twilio/estado/"
    finally:
        set_script_prefix("/")


def test_a_webhook_signed_with_a_shared_key_is_refused(client, sent_sms):
    """Only auth-token signatures are accepted (docs/whatsapp-templates.md)."""
    params = report(sent_sms.provider_message_id, "delivered")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(URL, params, HMAC_SHA256)
    response = client.post(
        reverse("twilio_status_callback"),
        params,
        headers={
            "X-Twilio-Signature": signature,
            "X-Twilio-Webhooks-Signature-Settings": "key=k1,algorithm=HMAC_SHA256",
        },
    )
    assert response.status_code == 403
    assert not ProviderCallback.objects.exists()


def test_a_status_it_does_not_know_is_recorded_only(client, sent_sms):
    assert signed_post(client, report(sent_sms.provider_message_id, "partially_delivered")).status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.provider_status == ""
    assert ProviderCallback.objects.count() == 1


@pytest.mark.parametrize(
    "params",
    [
        {"AccountSid": ACCOUNT_SID},
        {"AccountSid": ACCOUNT_SID, "MessageSid": "", "MessageStatus": "delivered"},
        {"AccountSid": ACCOUNT_SID, "MessageSid": "SM\x00" + "1" * 31, "MessageStatus": "delivered"},
        {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "1" * 5000, "MessageStatus": "delivered"},
        {"AccountSid": ACCOUNT_SID, "MessageSid": ["SM1", "SM2"], "MessageStatus": ["delivered", "read"]},
        {"AccountSid": ACCOUNT_SID, "MessageSid": "SM1", "MessageStatus": "x" * 100_000},
        {"AccountSid": ACCOUNT_SID, "MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "\x00" * 500},
    ],
)
def test_malformed_signed_reports_never_get_a_500(client, params):
    assert signed_post(client, params).status_code in (200, 400)


def test_a_signed_empty_form_is_refused_for_want_of_our_account(client):
    assert signed_post(client, {}).status_code == 403


def test_a_get_or_a_body_that_is_not_a_form_is_not_a_500(client):
    assert client.get(reverse("twilio_status_callback")).status_code == 405
    response = client.post(
        reverse("twilio_status_callback"),
        b"\xff\xfe{not a form",
        content_type="application/json",
        headers={"X-Twilio-Signature": "x"},
    )
    assert response.status_code == 403


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.text(max_size=20), st.text(max_size=200), max_size=6), sign=st.booleans())
def test_no_form_gets_a_500(client, params, sign):
    params = {key: value for key, value in params.items() if key}
    if sign:
        response = signed_post(client, {"AccountSid": ACCOUNT_SID, **params})
    else:
        response = client.post(reverse("twilio_status_callback"), params, headers={"X-Twilio-Signature": "forged"})
    assert response.status_code in (200, 400, 403)
