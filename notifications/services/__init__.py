"""Writes on the outbox and on formal notices. Keyword-only; called inside the caller's transaction.

    notify(...)              outbox rows for a user, one per channel they allow
    notify_address(...)      an e-mail row for an address without an account
    outbox_write_email(...)  an already-rendered e-mail (allauth's messages)
    notification_retry(...)  staff re-queue a failed or dead row (audited: NotificationRetry)
    notifications_apply_retention()  the retention job: delete or strip old history
    inbox_mark_read(...), inbox_mark_all_read(...)
    formal_notice_serve(...), formal_notice_open(...), formal_notices_mark_deemed_served()

Delivery is queued with `transaction.on_commit`, so nothing leaves before the move is durable and
nothing leaves at all if it rolls back.
"""

import hashlib
import logging
import mimetypes
import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import delivery
from notifications.events import prepare_context
from notifications.models import Channel, FormalNotice, Notification, NotificationRetry, Status
from notifications.rendering import Rendered, absolute_url, render_event, supported_language
from notifications.signals import formal_notice_served
from parties.business_days import deadline_after
from parties.models import Company, Representation, User

logger = logging.getLogger("notifications")

INLINE_ATTACHMENT_MAX = 256 * 1024


class NotificationError(Exception):
    """A refused action on notifications; its message is shown to the person as it is."""


class FormalNoticeError(NotificationError):
    pass


# --- Writing outbox rows ------------------------------------------------------------------------


def notify(
    *,
    recipient: User,
    event: str,
    context: dict,
    idempotency_key: str,
    case_number: str = "",
    attachments: Sequence[dict] | None = None,
    formal: bool = False,
    channels: Iterable[str] | None = None,
) -> list[Notification]:
    """Write one outbox row per channel the recipient allows and queue them after commit.

    E-mail always; SMS and WhatsApp when the consumer profile has consent and a phone; the inbox
    always. `channels` narrows that list (e.g. only the inbox). `idempotency_key` names the
    occurrence (e.g. f"complaint:{pk}:admitted"); it is scoped to the recipient here, so one key
    serves every party of the same move, and calling again with it writes nothing new.

    Returns the rows for the channels this call wanted and did not find already written."""
    context = prepare_context(event, context)
    key = _scoped_key(idempotency_key, f"u{recipient.pk}")
    only = set(channels) if channels is not None else None
    wanted = [(channel, address) for channel, address in _channels_for(recipient) if only is None or channel in only]
    return _write(
        recipient=recipient,
        wanted=wanted,
        event=event,
        context=context,
        key=key,
        case_number=case_number,
        attachments=attachments,
        formal=formal,
        language=supported_language(recipient.preferred_language),
    )


def notify_address(
    *,
    email: str,
    event: str,
    context: dict,
    idempotency_key: str,
    case_number: str = "",
    attachments: Sequence[dict] | None = None,
    formal: bool = False,
    language: str | None = None,
) -> list[Notification]:
    """An e-mail to someone without an account (a company's electronic domicile, an invitee).
    Written in `language`, else the office's language."""
    context = prepare_context(event, context)
    email = email.strip().lower()
    key = _scoped_key(idempotency_key, "a" + hashlib.sha256(email.encode()).hexdigest()[:16])
    return _write(
        recipient=None,
        wanted=[(Channel.EMAIL, email)],
        event=event,
        context=context,
        key=key,
        case_number=case_number,
        attachments=attachments,
        formal=formal,
        language=supported_language(language),
    )


def outbox_write_email(
    *,
    email: str,
    event: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    idempotency_key: str,
    recipient: User | None = None,
    language: str = "",
    case_number: str = "",
) -> Notification | None:
    """An e-mail rendered elsewhere (allauth's own messages) put through the outbox as it is."""
    row = Notification(
        recipient=recipient,
        address=email,
        channel=Channel.EMAIL,
        event=event,
        case_number=case_number,
        language=language,
        subject=" ".join(subject.split())[:255],
        body_text=body_text,
        body_html=body_html,
        idempotency_key=idempotency_key,
        next_attempt_at=timezone.now() + _grace(),
    )
    with transaction.atomic(savepoint=False):
        Notification.objects.bulk_create([row], ignore_conflicts=True)
        stored = Notification.objects.filter(idempotency_key=idempotency_key, channel=Channel.EMAIL).first()
        if stored is not None and stored.status == Status.PENDING:
            transaction.on_commit(partial(delivery.enqueue, [stored.pk]))
    return stored


def _scoped_key(idempotency_key: str, scope: str) -> str:
    if not idempotency_key:
        raise ValueError("An idempotency key is required.")
    return f"{idempotency_key}:{scope}"[:255]


def _grace() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_QUEUE_GRACE_SECONDS)


def _channels_for(user: User) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str]] = []
    if user.email:
        wanted.append((Channel.EMAIL, user.email))
    try:
        profile = user.consumer_profile  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        profile = None
    if profile is not None and profile.phone:
        if profile.sms_consent_at is not None:
            wanted.append((Channel.SMS, profile.phone))
        if profile.whatsapp_consent_at is not None:
            wanted.append((Channel.WHATSAPP, profile.phone))
    wanted.append((Channel.INBOX, user.email))
    return wanted


def _clean_attachments(attachments: Sequence[dict] | None) -> list[dict]:
    cleaned = []
    for attachment in attachments or []:
        if not attachment.get("filename") or not attachment.get("content_type"):
            raise ValueError("Each attachment needs a filename and a content_type.")
        has_path, has_content = bool(attachment.get("path")), "content" in attachment
        if has_path == has_content:
            raise ValueError("Each attachment needs either a storage path or inline content.")
        if has_content and len(str(attachment["content"]).encode()) > INLINE_ATTACHMENT_MAX:
            raise ValueError("Inline attachments are for small text (.ics); store larger files and pass a path.")
        item = {"filename": str(attachment["filename"]), "content_type": str(attachment["content_type"])}
        if has_path:
            item["path"] = str(attachment["path"])
        else:
            item["content"] = str(attachment["content"])
        cleaned.append(item)
    return cleaned


def _write(
    *,
    recipient: User | None,
    wanted: list[tuple[str, str]],
    event: str,
    context: dict,
    key: str,
    case_number: str,
    attachments: Sequence[dict] | None,
    formal: bool,
    language: str,
) -> list[Notification]:
    cleaned_attachments = _clean_attachments(attachments)
    if not wanted:
        return []
    with transaction.atomic(savepoint=False):
        # A retried move finds its rows already written: nothing new is rendered or queued.
        existing = set(
            Notification.objects.filter(idempotency_key=key, channel__in=[c for c, _a in wanted]).values_list(
                "channel", flat=True
            )
        )
        todo = [(channel, address) for channel, address in wanted if channel not in existing]
        if not todo:
            return []
        rendered = render_event(
            event=event,
            context=_full_context(context, recipient=recipient, case_number=case_number, formal=formal),
            language=language,
        )
        now = timezone.now()
        rows = [
            _row(
                recipient=recipient,
                channel=channel,
                address=address,
                event=event,
                case_number=case_number,
                language=language,
                rendered=rendered,
                attachments=cleaned_attachments,
                key=key,
                now=now,
                formal=formal,
            )
            for channel, address in todo
        ]
        # ignore_conflicts: a concurrent call with the same key wins the race quietly.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        written = list(
            Notification.objects.filter(idempotency_key=key, channel__in=[c for c, _a in todo]).order_by("pk")
        )
        to_send = [row.pk for row in written if row.status == Status.PENDING]
        if to_send:
            transaction.on_commit(partial(delivery.enqueue, to_send))
    return written


def _full_context(context: dict, *, recipient: User | None, case_number: str, formal: bool) -> dict:
    full = dict(context)
    full.setdefault("recipient", recipient)
    full.setdefault("case_number", case_number)
    full["case_url"] = absolute_url(str(context.get("case_url") or ""))
    full["site_url"] = settings.SITE_URL
    full["formal"] = formal
    return full


def _row(
    *,
    recipient: User | None,
    channel: str,
    address: str,
    event: str,
    case_number: str,
    language: str,
    rendered: Rendered,
    attachments: list[dict],
    key: str,
    now: datetime,
    formal: bool,
) -> Notification:
    short = channel in (Channel.SMS, Channel.WHATSAPP)
    # The inbox row is delivered by being committed: it is born sent, with nothing to queue.
    inbox = channel == Channel.INBOX
    return Notification(
        recipient=recipient,
        address=address,
        channel=channel,
        event=event,
        case_number=case_number,
        language=language,
        subject=rendered.subject,
        body_text=rendered.short_text if short else rendered.body_text,
        body_html="" if short else rendered.body_html,
        attachments=attachments if channel == Channel.EMAIL else [],
        idempotency_key=key,
        formal=formal,
        status=Status.SENT if inbox else Status.PENDING,
        sent_at=now if inbox else None,
        created_at=now,
        next_attempt_at=now + _grace(),
    )


# --- Staff and the inbox ------------------------------------------------------------------------


def notification_retry(*, notification: Notification, by: User) -> Notification:
    """Send a failed or dead row again now, with a fresh set of attempts. Who asked, when, and the
    attempts and error it had until then are kept in a NotificationRetry row."""
    if not by.has_staff_role:
        raise NotificationError(_("Only office staff can send a message again."))
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification.pk)
        if notification.status not in (Status.FAILED, Status.DEAD):
            raise NotificationError(_("Only messages that failed can be sent again."))
        if notification.redacted_at is not None:
            raise NotificationError(_("This message is past its retention period and its text was removed."))
        now = timezone.now()
        NotificationRetry.objects.create(
            notification=notification,
            retried_by=by,
            retried_at=now,
            previous_status=notification.status,
            previous_attempts=notification.attempts,
            previous_error=notification.last_error,
        )
        notification.status = Status.PENDING
        notification.attempts = 0
        notification.next_attempt_at = now + _grace()
        notification.save(update_fields=["status", "attempts", "next_attempt_at"])
        logger.info("Notification %s re-queued by user %s.", notification.pk, by.pk)
        transaction.on_commit(partial(delivery.enqueue, [notification.pk]))
    return notification


def inbox_mark_read(*, notification: Notification, user: User) -> None:
    Notification.objects.filter(pk=notification.pk, recipient=user, channel=Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def inbox_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- Retention ----------------------------------------------------------------------------------


def notifications_apply_retention(*, batch_size: int = 500, max_batches: int = 1000) -> dict[str, int]:
    """Take old history out of the outbox, in small transactions that skip rows someone holds.

    Past NOTIFICATION_RETENTION_DAYS (0 keeps everything) a row is due when it is sent (by
    `sent_at`) or dead (by `created_at`); pending, failed and sending rows are never touched. Then:
    - a formal row (a cédula, a citation e-mailed to an electronic domicile) stays whole, for ever;
    - a row of a case keeps what the case file shows (event, channel, recipient, address, status,
      sent_at) and loses its text: body, HTML and inline attachment content (`redacted_at` is set);
    - a row of no case (account e-mails, invitations) is deleted, with its retry audit.
    Returns how many rows were deleted and how many were stripped."""
    done = {"deleted": 0, "redacted": 0}
    days = settings.NOTIFICATION_RETENTION_DAYS
    if not days:
        return done
    now = timezone.now()
    cutoff = now - timedelta(days=days)
    due = Notification.objects.filter(
        (Q(status=Status.SENT) & (Q(sent_at__lt=cutoff) | Q(sent_at__isnull=True))) | Q(status=Status.DEAD),
        # The partial index notification_retention_idx: oldest first, formal and stripped rows left out.
        redacted_at__isnull=True,
        formal=False,
        created_at__lt=cutoff,
    )
    for _batch in range(max_batches):
        with transaction.atomic():
            rows = list(
                due.select_for_update(skip_locked=True)
                .order_by("created_at")
                .values_list("pk", "case_number", "attachments")[:batch_size]
            )
            if not rows:
                break
            caseless = [pk for pk, case_number, _attachments in rows if not case_number]
            of_a_case = [pk for pk, case_number, _attachments in rows if case_number]
            if caseless:
                Notification.objects.filter(pk__in=caseless).delete()
            if of_a_case:
                Notification.objects.filter(pk__in=of_a_case).update(body_text="", body_html="", redacted_at=now)
                inline = [
                    Notification(pk=pk, attachments=[_without_content(item) for item in attachments])
                    for pk, case_number, attachments in rows
                    if case_number and any("content" in item for item in attachments or [])
                ]
                Notification.objects.bulk_update(inline, ["attachments"])
        done["deleted"] += len(caseless)
        done["redacted"] += len(of_a_case)
        if len(rows) < batch_size:
            break
    if done["deleted"] or done["redacted"]:
        logger.info("Retention: %(deleted)s notifications deleted, %(redacted)s stripped of their text.", done)
    return done


def _without_content(attachment: dict) -> dict:
    """What was attached (name, type, stored path), without the inline text itself."""
    return {key: value for key, value in attachment.items() if key != "content"}


# --- Formal notices (cédulas) -------------------------------------------------------------------


def formal_notice_serve(
    *,
    company: Company,
    case_number: str,
    subject: str,
    body: str,
    idempotency_key: str,
    document: File | None = None,
) -> FormalNotice:
    """Serve a notice on the company's electronic domicile: the notice, an e-mail to the domicile
    and an inbox row for each active representative, all in the caller's transaction. Serving
    again with the same key returns the first notice."""
    if not company.electronic_domicile:
        raise FormalNoticeError(
            _("%(company)s has no electronic domicile yet; it must set one up before it can be served.")
            % {"company": company.legal_name}
        )
    existing = FormalNotice.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    now = timezone.now()
    notice = FormalNotice(
        company=company,
        case_number=case_number,
        subject=subject,
        body=body,
        address=company.electronic_domicile,
        idempotency_key=idempotency_key,
        sent_at=now,
        deemed_served_at=deadline_after(now, settings.DEADLINES["NOTICE_DEEMED_SERVED"]),
    )
    with transaction.atomic(savepoint=False):
        stored = ""
        if document is not None:
            # Written now, so a committed notice never lacks its document. Removed again if saving
            # the notice fails here; if the caller's transaction rolls back later the file is left
            # behind (storage is not transactional): an orphan file, never a notice without one.
            notice.document.save(os.path.basename(document.name or "document"), document, save=False)
            stored = notice.document.name or ""
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:
            _delete_stored(notice, stored)
            return FormalNotice.objects.get(idempotency_key=idempotency_key)
        except BaseException:
            _delete_stored(notice, stored)
            raise
        _queue_notice_messages(notice)
    return notice


def _delete_stored(notice: FormalNotice, name: str) -> None:
    if name:
        notice.document.storage.delete(name)


def _queue_notice_messages(notice: FormalNotice) -> None:
    context = {
        "company_name": notice.company.legal_name,
        "notice_subject": notice.subject,
        "notice_body": notice.body,
        "notice_url": absolute_url(reverse("formal_notice_detail", args=[notice.pk])),
        "deemed_served_at": notice.deemed_served_at,
        "case_url": reverse("formal_notice_detail", args=[notice.pk]),
    }
    attachments = []
    if notice.document and notice.document.name:
        name = notice.document.name
        attachments.append({"filename": os.path.basename(name), "content_type": _guess_type(name), "path": name})
    key = f"formal-notice:{notice.pk}"
    notify_address(
        email=notice.address,
        event="formal_notice",
        context=context,
        idempotency_key=key,
        case_number=notice.case_number,
        attachments=attachments,
        formal=True,
    )
    representatives = Representation.objects.active().filter(company=notice.company).select_related("user")
    for representation in representatives:
        notify(
            recipient=representation.user,
            event="formal_notice",
            context=context,
            idempotency_key=key,
            case_number=notice.case_number,
            formal=True,
            channels=[Channel.INBOX],
        )


def _guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def is_active_representative(user: User, company_id: int) -> bool:
    return Representation.objects.active().filter(user=user, company_id=company_id).exists()


def formal_notice_open(*, notice: FormalNotice, by: User) -> FormalNotice:
    """Record the first opening by a representative of the company; later openings change nothing.
    Served at the opening, unless the notice had already been deemed served earlier."""
    if not by.is_authenticated or not is_active_representative(by, notice.company_id):
        raise FormalNoticeError(_("Only the company's representatives can open its notices."))
    with transaction.atomic():
        notice = FormalNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.opened_at is not None:
            return notice
        now = timezone.now()
        notice.opened_at = now
        notice.opened_by = by
        fields = ["opened_at", "opened_by"]
        newly_served = notice.served_at is None
        if newly_served:
            notice.served_at = min(now, notice.deemed_served_at)
            fields.append("served_at")
        notice.save(update_fields=fields)
        if newly_served:
            served = notice
            transaction.on_commit(
                lambda: formal_notice_served.send(sender=FormalNotice, notice=served, how="opened"),
                robust=True,
            )
    return notice


def formal_notices_mark_deemed_served(*, batch_size: int = 500) -> int:
    """Notices nobody opened are served when their deadline passes. Returns how many."""
    now = timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                FormalNotice.objects.select_for_update(skip_locked=True)
                .filter(served_at__isnull=True, deemed_served_at__lte=now)
                .order_by("deemed_served_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            FormalNotice.objects.filter(pk__in=ids, served_at__isnull=True).update(served_at=F("deemed_served_at"))
            transaction.on_commit(partial(_announce_deemed_served, ids), robust=True)
        total += len(ids)
        if len(ids) < batch_size:
            return total


def _announce_deemed_served(ids: list[int]) -> None:
    for notice in FormalNotice.objects.filter(pk__in=ids).select_related("company"):
        formal_notice_served.send(sender=FormalNotice, notice=notice, how="deemed")


# --- Documents left behind ----------------------------------------------------------------------


def formal_notice_documents_sweep(*, now: datetime | None = None, grace: timedelta = timedelta(days=1)) -> int:
    """Delete cédula documents that no notice names: a move that stored one and then rolled back
    (storage is not transactional). Only this month's and last month's folders are read, and only
    folders older than `grace`, so a document of a transaction still open is never touched.
    Returns how many files were deleted."""
    now = now or timezone.now()
    storage = FormalNotice._meta.get_field("document").storage  # type: ignore[attr-defined]
    first_of_month = timezone.localtime(now).date().replace(day=1)
    months = {first_of_month, (first_of_month - timedelta(days=1)).replace(day=1)}
    deleted = 0
    for month in months:
        root = f"formal-notices/{month:%Y/%m}"
        if not storage.exists(root):
            continue
        folders, _files = storage.listdir(root)
        for folder in folders:
            names = [f"{root}/{folder}/{name}" for name in storage.listdir(f"{root}/{folder}")[1]]
            unused = [name for name in names if not FormalNotice.objects.filter(document=name).exists()]
            for name in unused:
                if storage.get_modified_time(name) < now - grace:
                    storage.delete(name)
                    deleted += 1
    return deleted
