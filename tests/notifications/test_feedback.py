"""What happens to a message after it left us: statuses only move forward, a failure is terminal,
a failed formal message goes out again by a channel not tried yet, the supervisors are told once
(of formal failures and hard bounces only), and a message refused at hand-off follows the same rule."""

from smtplib import SMTPRecipientsRefused
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone, translation

from notifications.channels import DeliveryError
from notifications.channels.mail import AddressRefused, message_id
from notifications.feedback import apply_status, handover_failed, trim_error
from notifications.models import BouncedAddress, Channel, FormalNotice, Notification, ProviderStatus, Status
from notifications.rendering import ensure_rendered
from notifications.selectors import deliveries_for_case
from notifications.services import formal_notice_serve, notify, notify_address
from notifications.templatetags.notification_tags import when
from parties.models import Company, Role
from tests.conftest import make_user
from tests.notifications.conftest import local, run_in_threads

pytestmark = pytest.mark.django_db

CASE = "DC-2026-000123"
NOTICE_CONTEXT = {
    "company_name": "Electrodomésticos del Sur S.A.",
    "notice_subject": "Traslado del reclamo",
    "notice_body": "Se le corre traslado del reclamo.",
    "notice_url": "https://concilia.test/cedulas/1/",
    "deemed_served_at": local(2026, 12, 9, 23, 59),
    "case_url": "/cedulas/1/",
}


def sent(row: Notification, provider_message_id: str = "SM123") -> Notification:
    """The row as the worker leaves it once the provider accepted it."""
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENT, sent_at=timezone.now(), provider_message_id=provider_message_id
    )
    row.refresh_from_db()
    return row


def consumer_email(recipient, *, formal: bool = False, key: str = "complaint:1:admitted") -> Notification:
    [row] = notify(
        recipient=recipient,
        event="complaint_admitted",
        context={},
        idempotency_key=key,
        case_number=CASE,
        formal=formal,
        channels=[Channel.EMAIL],
    )
    return sent(row)


def domicile_notice(company: Company) -> Notification:
    [row] = notify_address(
        email=company.electronic_domicile,
        event="formal_notice",
        context=NOTICE_CONTEXT,
        idempotency_key="formal-notice:1",
        case_number=CASE,
        formal=True,
    )
    return sent(row, provider_message_id=message_id(row))


def office_messages() -> list[Notification]:
    rows = list(Notification.objects.filter(event="delivery_failed").select_related("recipient").order_by("pk"))
    ensure_rendered(rows)
    return rows


def reloaded(row: Notification) -> Notification:
    row.refresh_from_db()
    return row


@pytest.fixture
def office(supervisor, officer):
    """The supervisor, reading in English, is who is told; the officer and a conciliator are not."""
    make_user("ana@oficina.test", Role.CONCILIATOR)
    supervisor.preferred_language = "en"
    supervisor.save(update_fields=["preferred_language"])
    return [supervisor]


def office_email() -> Notification:
    return next(message for message in office_messages() if message.channel == Channel.EMAIL)


# --- The order of reports -----------------------------------------------------------------------


def test_reports_only_move_a_row_forward(consumer):
    row = consumer_email(consumer)
    assert apply_status(row, status="queued")
    assert apply_status(row, status="sent")
    assert not apply_status(row, status="queued")
    assert reloaded(row).provider_status == ProviderStatus.SENT
    assert apply_status(row, status="read")
    assert not apply_status(row, status="delivered")
    assert reloaded(row).provider_status == ProviderStatus.READ


def test_a_failure_never_replaces_delivered_or_read(consumer, office):
    row = consumer_email(consumer)
    apply_status(row, status="delivered")
    assert not apply_status(row, status="undelivered", error="30003 Unreachable")
    assert reloaded(row).provider_status == ProviderStatus.DELIVERED
    assert not Notification.objects.filter(event="delivery_failed").exists()


def test_a_failure_is_terminal_and_keeps_the_providers_error(consumer, office):
    row = consumer_email(consumer)
    apply_status(row, status="sent")
    reported_at = local(2026, 12, 7, 10, 30)
    assert apply_status(row, status="failed", error="30008 Unknown error " + "x" * 400, at=reported_at)
    assert not apply_status(row, status="delivered")
    assert not apply_status(row, status="bounced")
    row = reloaded(row)
    assert row.provider_status == ProviderStatus.FAILED
    assert row.provider_status_at == reported_at
    assert row.provider_error.startswith("30008 Unknown error")
    assert len(row.provider_error) == 255
    # The delivery itself stays what it was: the provider did accept it.
    assert row.status == Status.SENT


def test_an_unknown_status_is_the_callers_mistake(consumer):
    with pytest.raises(ValueError):
        apply_status(consumer_email(consumer), status="lost")


# --- The office is told ---------------------------------------------------------------------------


def test_an_ordinary_message_that_fails_is_only_recorded(consumer, office):
    row = consumer_email(consumer)
    assert apply_status(row, status="undelivered", error="30003 Unreachable")
    assert reloaded(row).provider_status == ProviderStatus.UNDELIVERED
    assert not Notification.objects.filter(event="delivery_failed").exists()
    assert not reloaded(row).fallbacks.exists()


def test_a_formal_failure_tells_the_supervisors_once_in_their_inbox_and_by_email(consumer, officer, office):
    row = consumer_email(consumer, formal=True)
    apply_status(row, status="undelivered", error="550 mailbox full")
    apply_status(row, status="failed")

    told = office_messages()
    assert {(message.recipient, message.channel) for message in told} == {
        (member, channel) for member in office for channel in (Channel.INBOX, Channel.EMAIL)
    }
    assert officer not in {message.recipient for message in told}
    email = office_email()
    assert CASE in email.subject
    assert consumer.email in email.subject
    assert "E-mail" in email.body_text
    assert "550 mailbox full" in email.body_text
    assert f"?case_number={CASE}" in email.body_text


def test_the_office_messages_name_the_case_but_stay_out_of_its_delivery_record(consumer, office):
    row = consumer_email(consumer, formal=True)
    apply_status(row, status="failed")
    told = office_messages()
    assert told and all(message.case_number == "" for message in told)
    assert all(CASE in message.body_text for message in told)
    assert "delivery_failed" not in {delivery.event for delivery in deliveries_for_case(CASE, limit=200)}


def test_a_failed_message_to_the_office_does_not_tell_the_office_again(consumer, office):
    apply_status(consumer_email(consumer, formal=True), status="failed")
    first = office_messages()
    for message in first:
        apply_status(message, status="failed")
    assert len(office_messages()) == len(first)


def test_a_provider_error_is_kept_as_one_clean_line_that_fits():
    assert trim_error("30003", "Unreachable\r\n\x00\x07\thandset") == "30003 Unreachable handset"
    assert trim_error("5.1.1", "caf\udce9@x.test") == "5.1.1 caf?@x.test"
    assert len(trim_error("x" * 400)) == 255


# --- A formal notice sent again --------------------------------------------------------------------


def test_a_formal_notice_that_bounces_at_the_domicile_goes_to_each_representative(
    company, representative, second_representative, office
):
    row = domicile_notice(company)
    assert apply_status(row, status="bounced", error="5.1.1 User unknown")

    copies = list(reloaded(row).fallbacks.order_by("recipient_id", "channel"))
    assert {(copy.recipient, copy.channel) for copy in copies} == {
        (person, channel) for person in (representative, second_representative) for channel in ("email", "inbox")
    }
    assert all(copy.event == "formal_notice" and copy.formal for copy in copies)
    assert all(copy.context == row.context for copy in copies)
    assert all(copy.case_number == CASE for copy in copies)
    email = office_email()
    assert "bounced" in email.body_text
    assert "sent again by E-mail" in email.body_text
    assert company.electronic_domicile in email.body_text


def test_a_second_failure_report_writes_nothing_new(company, representative, office):
    row = domicile_notice(company)
    apply_status(row, status="bounced")
    written = Notification.objects.count()
    assert not apply_status(row, status="failed")
    assert not apply_status(row, status="bounced")
    assert Notification.objects.count() == written


def test_the_copy_is_delivered_by_the_worker(company, representative, office, django_capture_on_commit_callbacks):
    row = domicile_notice(company)
    with django_capture_on_commit_callbacks(execute=True):
        apply_status(row, status="bounced")
    delivered = [message for message in mail.outbox if representative.email in message.to]
    assert len(delivered) == 1
    assert "Se le corre traslado del reclamo." in delivered[0].body
    assert reloaded(reloaded(row).fallbacks.get(channel=Channel.EMAIL)).status == Status.SENT


def test_a_formal_message_to_a_person_goes_by_their_next_channel(consenting_consumer, office):
    row = consumer_email(consenting_consumer, formal=True)
    apply_status(row, status="bounced")
    [copy] = reloaded(row).fallbacks.all()
    assert copy.channel == Channel.SMS
    assert copy.address == consenting_consumer.consumer_profile.phone
    assert copy.recipient == consenting_consumer


def test_a_copy_that_fails_too_goes_by_a_channel_not_tried_yet(consenting_consumer, office):
    row = consumer_email(consenting_consumer, formal=True)
    apply_status(row, status="bounced")
    [by_sms] = reloaded(row).fallbacks.all()
    apply_status(sent(by_sms), status="undelivered")
    [by_whatsapp] = reloaded(by_sms).fallbacks.all()
    assert by_whatsapp.channel == Channel.WHATSAPP


def test_a_formal_notice_with_nobody_else_to_reach_tells_the_office_to_serve_it_on_paper(office):
    company = Company.objects.create(
        cuit="30500010912", legal_name="Sin Representantes S.R.L.", electronic_domicile="avisos@sinrep.test"
    )
    row = domicile_notice(company)
    apply_status(row, status="bounced", error="5.1.1 User unknown")
    assert not reloaded(row).fallbacks.exists()
    email = office_email()
    with translation.override("en"):
        assert "serve it on paper" in email.body_text
        assert "serve it on paper" in email.body_html


def test_a_copy_never_goes_by_a_channel_the_same_message_already_went_by(consenting_consumer, office):
    rows = notify(
        recipient=consenting_consumer,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:1:admitted",
        case_number=CASE,
        formal=True,
    )
    for row in rows:
        sent(row)
    email = next(row for row in rows if row.channel == Channel.EMAIL)
    apply_status(email, status="bounced")

    assert not reloaded(email).fallbacks.exists()
    assert Notification.objects.filter(recipient=consenting_consumer, channel=Channel.SMS).count() == 1
    # The office reads that it went by SMS too, not that it must be served on paper.
    body = office_email().body_text
    assert "It also went to the same party by SMS" in body
    assert "serve it on paper" not in body


def test_an_inactive_person_gets_no_copy(consenting_consumer, office):
    row = consumer_email(consenting_consumer, formal=True)
    consenting_consumer.is_active = False
    consenting_consumer.save(update_fields=["is_active"])
    apply_status(row, status="bounced")
    assert not reloaded(row).fallbacks.exists()
    assert "serve it on paper" in office_email().body_text


def test_a_cedula_that_fails_still_counts_as_served_on_its_deemed_service_date(company, representative, office):
    notice = formal_notice_serve(
        company=company,
        case_number=CASE,
        subject="Traslado del reclamo",
        body="Se le corre traslado del reclamo.",
        idempotency_key="complaint:1:served",
    )
    domicile = sent(Notification.objects.get(recipient=None, event="formal_notice"))
    apply_status(domicile, status="bounced", error="5.1.1 User unknown")

    email = office_email()
    day = when(FormalNotice.objects.get(pk=notice.pk).deemed_served_at)
    for body in (email.body_text, email.body_html):
        assert f"the notice still counts as served on {day}, its deemed-service date" in " ".join(body.split())


def test_an_ordinary_messages_failure_says_nothing_about_legal_effect(consumer, office):
    row = consumer_email(consumer, formal=True)
    apply_status(row, status="failed")
    assert "legal effect" not in office_email().body_text


# --- Refused at hand-off, or dead after every attempt ---------------------------------------------


def test_a_formal_notice_refused_for_good_at_hand_off_marks_the_address_and_goes_out_again(
    company, representative, office
):
    [notice] = notify_address(
        email=company.electronic_domicile,
        event="formal_notice",
        context=NOTICE_CONTEXT,
        idempotency_key="formal-notice:9",
        case_number=CASE,
        formal=True,
    )
    Notification.objects.filter(pk=notice.pk).update(status=Status.DEAD, attempts=1)

    assert handover_failed(notice, AddressRefused(notice.address, code=550, reason="5.1.1 User unknown"))

    notice = reloaded(notice)
    assert notice.provider_status == ProviderStatus.BOUNCED
    assert notice.provider_error == "550 5.1.1 User unknown"
    assert BouncedAddress.objects.get(address=company.electronic_domicile).is_active
    assert {(copy.recipient, copy.channel) for copy in notice.fallbacks.all()} == {
        (representative, Channel.EMAIL),
        (representative, Channel.INBOX),
    }
    assert "bounced" in office_email().body_text


def test_the_mail_channel_refuses_a_recipient_for_good_only_on_a_5xx(consumer):
    from notifications.channels.mail import EmailChannel

    [row] = notify(recipient=consumer, event="complaint_admitted", context={}, idempotency_key="k", channels=["email"])
    ensure_rendered([row])
    for code, refused in ((550, True), (452, False)):
        error = SMTPRecipientsRefused({consumer.email: (code, b"No such user")})
        with (
            mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=error),
            pytest.raises(DeliveryError) as raised,
        ):
            EmailChannel().send(row)
        assert isinstance(raised.value, AddressRefused) is refused


def test_a_formal_message_dead_after_every_attempt_goes_out_again_and_the_office_is_told(consenting_consumer, office):
    row = consumer_email(consenting_consumer, formal=True)
    Notification.objects.filter(pk=row.pk).update(status=Status.DEAD, attempts=3)

    assert handover_failed(row, DeliveryError("SMTPServerDisconnected: Connection unexpectedly closed"))

    [copy] = reloaded(row).fallbacks.all()
    assert copy.channel == Channel.SMS
    assert reloaded(row).provider_status == ""  # the provider never had it
    email = office_email()
    assert "could not be sent" in email.body_text
    assert "SMTPServerDisconnected" in email.body_text
    assert "sent again by SMS" in email.body_text
    assert not BouncedAddress.objects.exists()


def test_a_message_dead_again_after_a_retry_by_hand_is_not_sent_again_twice(consenting_consumer, office):
    row = consumer_email(consenting_consumer, formal=True)
    handover_failed(row, DeliveryError("timeout"))
    written = Notification.objects.count()
    handover_failed(row, DeliveryError("timeout again"))
    assert Notification.objects.count() == written
    assert reloaded(row).fallbacks.count() == 1


def test_an_ordinary_message_dead_after_every_attempt_is_left_to_the_failures_page(consenting_consumer, office):
    row = consumer_email(consenting_consumer)
    assert not handover_failed(row, DeliveryError("timeout"))
    assert not reloaded(row).fallbacks.exists()
    assert not Notification.objects.filter(event="delivery_failed").exists()


def test_a_message_the_channel_refused_as_bounced_is_not_acted_on_twice(company, representative, office):
    BouncedAddress.objects.create(address=company.electronic_domicile, reason="5.1.1 User unknown")
    row = domicile_notice(company)
    apply_status(row, status="bounced", error="The address bounced before")  # what the channel does
    written = Notification.objects.count()
    assert not handover_failed(row, DeliveryError("The address bounced before"))
    assert Notification.objects.count() == written


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_failure_reports_at_once_send_the_notice_again_once(company, representative, office):
    row = domicile_notice(company)

    def report() -> bool:
        return apply_status(Notification.objects.get(pk=row.pk), status="bounced")

    assert sorted(bool(changed) for changed in run_in_threads(report)) == [False, True]
    assert reloaded(row).fallbacks.count() == 2  # the representative's e-mail and inbox
    assert Notification.objects.filter(event="delivery_failed").count() == 2  # the supervisor's inbox and e-mail
