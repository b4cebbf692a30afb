"""E-mail bounces: a delivery status notification (RFC 3464) about one of our rows, naming the
address that row went to, marks that address and the row, through the mail server's POST or the
`process_bounce` command; the address is then refused until its owner or the office clears it.
Anyone can mail the bounce address: a report that does not prove itself changes nothing."""

import io
import sys
from datetime import timedelta
from unittest import mock

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_changed, email_confirmed
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from notifications.bounces import NotADeliveryReport, parse, process_report
from notifications.channels.mail import message_id, notification_pk_in
from notifications.models import BouncedAddress, Channel, Notification, ProviderStatus, Status
from notifications.services import notify, notify_address
from notifications.tasks import deliver_notification
from tests.notifications.test_feedback import NOTICE_CONTEXT

pytestmark = pytest.mark.django_db

SECRET = "a-bounce-secret-for-the-tests"

POSTFIX_DSN = """\
From: MAILER-DAEMON@mail.concilia.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: rebotes@concilia.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4F1A2B3C.1765112400/mail.concilia.example"

This is a MIME-encapsulated message.

--4F1A2B3C.1765112400/mail.concilia.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.concilia.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--4F1A2B3C.1765112400/mail.concilia.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.concilia.example
X-Postfix-Queue-ID: 4F1A2B3C
X-Postfix-Sender: rfc822; no-responder@concilia.example
Arrival-Date: Mon,  7 Dec 2026 10:00:00 -0300 (-03)

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822;{address}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <{address}>: Recipient address rejected:
    User unknown in virtual mailbox table

--4F1A2B3C.1765112400/mail.concilia.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <no-responder@concilia.example>
From: Concilia <no-responder@concilia.example>
To: {address}
Subject: Tu reclamo fue admitido
Message-ID: {message_id}

--4F1A2B3C.1765112400/mail.concilia.example--
"""

GMAIL_DSN = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: rebotes@concilia.example
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000e1a2b3"; report-type=delivery-status

--000000000000e1a2b3
Content-Type: multipart/related; boundary="000000000000e1a2c4"

--000000000000e1a2c4
Content-Type: text/plain; charset="UTF-8"

Address not found: your message wasn't delivered to {address} because the address couldn't be found.

--000000000000e1a2c4--

--000000000000e1a2b3
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; mail.concilia.example
Arrival-Date: Mon, 07 Dec 2026 05:00:00 -0800 (PST)
X-Original-Message-ID: {message_id}

Final-Recipient: rfc822; {address}
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com. (142.250.0.27, the server for the domain gmail.com.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
Last-Attempt-Date: Mon, 07 Dec 2026 05:00:01 -0800 (PST)

--000000000000e1a2b3
Content-Type: message/rfc822

Message-ID: {message_id}
From: Concilia <no-responder@concilia.example>
To: {address}
Subject: Tu reclamo fue admitido
Content-Type: text/plain; charset="utf-8"

Hola, María:

--000000000000e1a2b3--
"""

SOFT_DSN = """\
From: MAILER-DAEMON@mail.concilia.example
To: rebotes@concilia.example
Subject: Delayed Mail (still being retried)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message is still being retried.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.concilia.example

Final-Recipient: rfc822; {address}
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B
Content-Type: text/rfc822-headers

Message-ID: {message_id}

--B--
"""

NOT_A_DSN = b"From: someone@example.com\r\nSubject: Out of office\r\n\r\nI am on holiday until Monday.\r\n"

# What anyone can write to the bounce address.
BARE_DSN = """\
From: someone@elsewhere.test
To: rebotes@concilia.example
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; elsewhere.test

Final-Recipient: rfc822; {address}
Action: {action}
Status: {status}

--B
Content-Type: text/rfc822-headers

Message-ID: {message_id}

--B--
"""


def sent_email(recipient) -> Notification:
    """An e-mail the mail server accepted (as the worker leaves it)."""
    [row] = notify(
        recipient=recipient,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:1:admitted",
        case_number="DC-2026-000123",
        channels=[Channel.EMAIL],
    )
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENT, sent_at=timezone.now(), provider_message_id=message_id(row)
    )
    row.refresh_from_db()
    return row


def report(
    template: str,
    row: Notification,
    *,
    address: str | None = None,
    message_id_header: str | None = None,
    action: str = "failed",
    status: str = "5.1.1",
):
    text = template.format(
        address=address or row.address,
        message_id=message_id(row) if message_id_header is None else message_id_header,
        action=action,
        status=status,
    )
    return text.replace("\n", "\r\n").encode()


def reloaded(row: Notification) -> Notification:
    row.refresh_from_db()
    return row


@pytest.fixture
def row(consumer) -> Notification:
    return sent_email(consumer)


# --- Reading a report -----------------------------------------------------------------------------


@pytest.mark.parametrize("template", [POSTFIX_DSN, GMAIL_DSN], ids=["postfix", "gmail"])
def test_a_hard_bounce_marks_the_address_and_the_row(row, template):
    process_report(report(template, row, address=row.address.upper()))

    bounced = BouncedAddress.objects.get()
    assert bounced.address == row.address.lower()
    assert bounced.reason.startswith("5.1.1 550")
    assert bounced.notification == row
    assert bounced.is_active
    row = reloaded(row)
    assert row.provider_status == ProviderStatus.BOUNCED
    assert row.provider_error == bounced.reason


def test_it_reads_the_failed_recipient_and_the_original_message_id(row):
    parsed = parse(report(POSTFIX_DSN, row))
    [recipient] = parsed.recipients
    assert (recipient.address, recipient.action, recipient.status) == (row.address, "failed", "5.1.1")
    assert "User unknown in virtual mailbox table" in recipient.diagnostic
    assert parsed.original_message_id == message_id(row)


# --- A report proves itself or changes nothing ---------------------------------------------------


def test_our_message_id_names_its_row_only_with_its_mac(row):
    ours = message_id(row)
    assert ours.startswith(f"<notification.{row.pk}.") and ours.endswith("@concilia.example>")
    assert notification_pk_in(f"Message-ID: {ours}") == row.pk
    mac = ours.split(".")[2].split("@")[0]
    forged = ours.replace(mac, "0" * len(mac))
    for header in (forged, f"<notification.{row.pk}@concilia.example>", ours.replace("concilia.example", "evil.test")):
        assert notification_pk_in(header) is None


def test_our_message_id_still_names_its_row_after_the_secret_key_is_rotated(row, settings):
    before = message_id(row)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-tests-" + "x" * 40
    assert message_id(row) != before
    assert notification_pk_in(before) == row.pk


@pytest.mark.parametrize(
    "message_id_header",
    [
        "",
        "<CAF1234@mail.gmail.com>",
        "<notification.{pk}@concilia.example>",
        "<notification.{pk}.0000000000000000@concilia.example>",
    ],
    ids=["none", "not-ours", "without-mac", "forged-mac"],
)
def test_a_report_that_does_not_name_our_row_by_its_message_id_marks_nothing(row, message_id_header):
    outcome = process_report(report(POSTFIX_DSN, row, message_id_header=message_id_header.format(pk=row.pk)))
    assert outcome.ignored == [row.address]
    assert not BouncedAddress.objects.exists()
    assert reloaded(row).provider_status == ""


def test_a_report_about_our_row_that_names_another_address_marks_nothing(row):
    outcome = process_report(report(BARE_DSN, row, address="attacker@evil.test"))
    assert outcome.ignored == ["attacker@evil.test"]
    assert not BouncedAddress.objects.exists()
    assert reloaded(row).provider_status == ""


def test_a_delivered_report_is_ignored_and_a_later_bounce_still_sends_the_cedula_again(
    company, representative, supervisor
):
    [notice] = notify_address(
        email=company.electronic_domicile,
        event="formal_notice",
        context=NOTICE_CONTEXT,
        idempotency_key="formal-notice:1",
        case_number="DC-2026-000123",
        formal=True,
    )
    Notification.objects.filter(pk=notice.pk).update(status=Status.SENT, sent_at=timezone.now())
    outcome = process_report(report(BARE_DSN, notice, action="delivered", status="2.0.0"))
    assert outcome.ignored == [notice.address]
    assert reloaded(notice).provider_status == ""

    process_report(report(POSTFIX_DSN, notice))
    assert reloaded(notice).provider_status == ProviderStatus.BOUNCED
    assert reloaded(notice).fallbacks.exists()


@pytest.mark.parametrize(
    "address", ["a" * 300 + "@x.test", "a\x00b@x.test", "a\x07b@x.test"], ids=["too-long", "nul", "control"]
)
def test_a_recipient_that_is_not_an_address_is_dropped(row, address):
    with pytest.raises(NotADeliveryReport):
        process_report(report(BARE_DSN, row, address=address))
    assert not BouncedAddress.objects.exists()


def test_a_recipient_that_is_not_an_address_is_dropped_and_the_others_read(row):
    raw = report(BARE_DSN, row).replace(
        b"\r\n\r\n--B\r\nContent-Type: text/rfc822-headers",
        b"\r\n\r\nFinal-Recipient: rfc822; " + b"a" * 300 + b"@x.test\r\nAction: failed\r\nStatus: 5.1.1"
        b"\r\n\r\n--B\r\nContent-Type: text/rfc822-headers",
    )
    assert len(parse(raw).recipients) == 1
    process_report(raw)
    assert BouncedAddress.objects.get().address == row.address


def test_a_bounce_of_mail_sent_before_the_mark_was_cleared_does_not_mark_it_again(row):
    BouncedAddress.objects.create(address=row.address, reason="old", cleared_at=row.sent_at + timedelta(minutes=5))
    process_report(report(POSTFIX_DSN, row))
    assert not BouncedAddress.objects.get().is_active
    assert reloaded(row).provider_status == ProviderStatus.BOUNCED  # the row did bounce


def test_a_soft_bounce_records_nothing_permanent(row):
    outcome = process_report(report(SOFT_DSN, row))
    assert outcome.transient == [row.address]
    assert not BouncedAddress.objects.exists()
    assert reloaded(row).provider_status == ""


def test_a_bounce_of_mail_sent_after_the_mark_was_cleared_marks_it_again(row):
    BouncedAddress.objects.create(address=row.address, reason="old", cleared_at=row.sent_at - timedelta(minutes=5))
    process_report(report(POSTFIX_DSN, row))
    assert BouncedAddress.objects.get().is_active


@pytest.mark.parametrize(
    "raw",
    [b"", b"garbage", NOT_A_DSN, b"Content-Type: multipart/report; report-type=disposition-notification\r\n\r\n"],
)
def test_anything_but_a_delivery_report_is_refused(raw):
    with pytest.raises(NotADeliveryReport):
        process_report(raw)


# --- The mail server's POST -------------------------------------------------------------------------


def post(client, body: bytes, **headers):
    return client.post(reverse("bounce_report"), data=body, content_type="message/rfc822", headers=headers)


def test_the_endpoint_records_a_report_posted_with_the_secret(client, row, settings):
    settings.BOUNCE_WEBHOOK_SECRET = SECRET
    response = post(client, report(POSTFIX_DSN, row), Authorization=f"Bearer {SECRET}")
    assert response.status_code == 202
    assert BouncedAddress.objects.filter(address=row.address).exists()


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-secret", f"Basic {SECRET}", SECRET])
def test_the_endpoint_refuses_a_report_without_the_right_secret(client, row, settings, authorization):
    settings.BOUNCE_WEBHOOK_SECRET = SECRET
    headers = {"Authorization": authorization} if authorization else {}
    assert post(client, report(POSTFIX_DSN, row), **headers).status_code == 403
    assert not BouncedAddress.objects.exists()


def test_the_endpoint_is_off_while_the_secret_is_empty(client, row, settings):
    settings.BOUNCE_WEBHOOK_SECRET = ""
    assert post(client, report(POSTFIX_DSN, row), Authorization="Bearer ").status_code == 404
    assert not BouncedAddress.objects.exists()


def test_the_endpoint_answers_400_with_the_reason_to_a_body_that_is_not_a_report(client, settings):
    settings.BOUNCE_WEBHOOK_SECRET = SECRET
    response = post(client, NOT_A_DSN, Authorization=f"Bearer {SECRET}")
    assert response.status_code == 400
    assert b"multipart/report" in response.content


def test_the_endpoint_refuses_a_body_over_the_size_limit(client, settings):
    settings.BOUNCE_WEBHOOK_SECRET = SECRET
    response = post(client, b"x" * (1024 * 1024 + 1), Authorization=f"Bearer {SECRET}")
    assert response.status_code == 413


def test_the_endpoint_takes_only_posts(client, settings):
    settings.BOUNCE_WEBHOOK_SECRET = SECRET
    assert client.get(reverse("bounce_report"), headers={"Authorization": f"Bearer {SECRET}"}).status_code == 405


@pytest.mark.parametrize(
    "address",
    [b"a" * 300 + b"@x.test", b"a\x00b@x.test", b"caf\xe9@x.test"],
    ids=["too-long", "nul", "not-utf8"],
)
def test_the_endpoint_answers_400_to_a_report_whose_only_recipient_is_not_an_address(client, settings, address):
    settings.BOUNCE_WEBHOOK_SECRET = SECRET
    raw = report(BARE_DSN, Notification(pk=1, address="x@x.test"), address="PLACEHOLDER").replace(
        b"PLACEHOLDER", address
    )
    response = post(client, raw, Authorization=f"Bearer {SECRET}")
    assert response.status_code == 400
    assert not BouncedAddress.objects.exists()


def test_the_endpoint_answers_400_to_a_report_nested_thousands_deep(client, settings):
    settings.BOUNCE_WEBHOOK_SECRET = SECRET
    head = 'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b0"\r\n\r\n'
    nested = "".join(
        f'--b{depth - 1}\r\nContent-Type: multipart/mixed; boundary="b{depth}"\r\n\r\n' for depth in range(1, 3000)
    )
    response = post(client, (head + nested).encode(), Authorization=f"Bearer {SECRET}")
    assert response.status_code == 400


# --- Postfix's pipe transport ------------------------------------------------------------------------


def run_command(raw: bytes, monkeypatch) -> tuple[str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out, err = io.StringIO(), io.StringIO()
    call_command("process_bounce", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_records_a_report_read_from_stdin(row, monkeypatch):
    out, _err = run_command(report(GMAIL_DSN, row), monkeypatch)
    assert row.address in out
    assert reloaded(row).provider_status == ProviderStatus.BOUNCED


def test_the_command_drops_mail_that_is_not_a_report_without_failing(monkeypatch):
    _out, err = run_command(NOT_A_DSN, monkeypatch)
    assert "Ignored" in err
    assert not BouncedAddress.objects.exists()


def test_the_command_drops_a_report_naming_no_address_without_asking_for_a_retry(row, monkeypatch):
    _out, err = run_command(report(BARE_DSN, row, address="a" * 300 + "@x.test"), monkeypatch)
    assert "Ignored" in err
    assert not BouncedAddress.objects.exists()


def test_the_command_asks_the_mail_server_to_retry_while_the_database_is_away(row, monkeypatch):
    with (
        mock.patch("notifications.bounces.process_report", side_effect=OperationalError("connection refused")),
        pytest.raises(CommandError) as raised,
    ):
        run_command(report(POSTFIX_DSN, row), monkeypatch)
    assert raised.value.returncode == 75


def test_the_command_drops_and_logs_a_report_it_cannot_read_for_another_reason(row, monkeypatch, caplog):
    with mock.patch("notifications.bounces.process_report", side_effect=ValueError("unforeseen")):
        _out, err = run_command(report(POSTFIX_DSN, row), monkeypatch)
    assert "Dropped" in err
    assert "could not be read" in caplog.text


# --- After the bounce -----------------------------------------------------------------------------------


def test_a_later_email_to_the_bounced_address_dies_at_once_with_the_reason(row, consumer):
    process_report(report(POSTFIX_DSN, row))
    [later] = notify(
        recipient=consumer,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:2:admitted",
        channels=[Channel.EMAIL],
    )
    deliver_notification.delay(later.pk)

    later = reloaded(later)
    assert later.status == Status.DEAD
    assert later.attempts == 1
    assert "The address bounced on" in later.last_error
    assert "5.1.1" in later.last_error
    assert later.provider_status == ProviderStatus.BOUNCED
    assert mail.outbox == []


def test_the_office_told_of_the_bounce_is_not_told_again_for_each_message_refused(row, consumer, supervisor):
    process_report(report(POSTFIX_DSN, row))
    told = Notification.objects.filter(event="delivery_failed").count()
    assert told == 2  # the supervisor's inbox and e-mail
    [later] = notify(
        recipient=consumer,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:2:admitted",
        channels=[Channel.EMAIL],
    )
    deliver_notification.delay(later.pk)
    assert reloaded(later).status == Status.DEAD
    assert Notification.objects.filter(event="delivery_failed").count() == told


def test_a_formal_notice_to_a_bounced_domicile_goes_to_the_representatives_at_once(company, representative):
    BouncedAddress.objects.create(address=company.electronic_domicile, reason="5.1.1 User unknown")
    [notice] = notify_address(
        email=company.electronic_domicile,
        event="formal_notice",
        context={
            "company_name": company.legal_name,
            "notice_subject": "Traslado del reclamo",
            "notice_body": "Se le corre traslado del reclamo.",
            "notice_url": "https://concilia.test/cedulas/1/",
            "deemed_served_at": timezone.now(),
        },
        idempotency_key="formal-notice:1",
        formal=True,
    )
    deliver_notification.delay(notice.pk)

    notice = reloaded(notice)
    assert notice.status == Status.DEAD
    assert notice.provider_status == ProviderStatus.BOUNCED
    assert {(copy.recipient, copy.channel) for copy in notice.fallbacks.all()} == {
        (representative, Channel.EMAIL),
        (representative, Channel.INBOX),
    }


def test_confirming_the_address_again_clears_the_mark_and_mail_flows(row, consumer):
    process_report(report(POSTFIX_DSN, row))
    email_confirmed.send(sender=EmailAddress, request=None, email_address=EmailAddress.objects.get(user=consumer))

    bounced = BouncedAddress.objects.get()
    assert bounced.cleared_at is not None
    assert bounced.cleared_by == consumer
    [later] = notify(
        recipient=consumer,
        event="complaint_admitted",
        context={},
        idempotency_key="complaint:2:admitted",
        channels=[Channel.EMAIL],
    )
    deliver_notification.delay(later.pk)
    assert reloaded(later).status == Status.SENT
    assert [message.to for message in mail.outbox] == [[consumer.email]]


def test_making_a_bounced_address_the_primary_one_again_clears_its_mark(row, consumer):
    process_report(report(POSTFIX_DSN, row))
    address = EmailAddress.objects.get(user=consumer)
    email_changed.send(
        sender=EmailAddress, request=None, user=consumer, from_email_address=None, to_email_address=address
    )
    assert not BouncedAddress.objects.get().is_active


def test_confirming_another_address_leaves_the_bounced_one_marked(row, consumer):
    process_report(report(POSTFIX_DSN, row))
    other = EmailAddress.objects.create(user=consumer, email="maria.nueva@example.com", verified=True)
    email_confirmed.send(sender=EmailAddress, request=None, email_address=other)
    assert BouncedAddress.objects.get().is_active
