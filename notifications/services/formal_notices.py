"""Formal notices (cédulas) served on a company's electronic domicile, their opening, their deemed
service when nobody opens them, and the documents a rolled-back move left in storage."""

import mimetypes
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Channel, FormalNotice
from notifications.rendering import absolute_url
from notifications.services.errors import FormalNoticeError
from notifications.services.outbox import notify, notify_address
from notifications.signals import formal_notice_served
from parties.business_days import deadline_after
from parties.models import Company, Representation, User


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

            # A function, not functools.partial: a failing robust callback is logged by its __qualname__.
            def announce(ids: list[int] = ids) -> None:
                _announce_deemed_served(ids)

            transaction.on_commit(announce, robust=True)
        total += len(ids)
        if len(ids) < batch_size:
            return total


def _announce_deemed_served(ids: list[int]) -> None:
    for notice in FormalNotice.objects.filter(pk__in=ids).select_related("company"):
        formal_notice_served.send(sender=FormalNotice, notice=notice, how="deemed")


def formal_notice_documents_sweep(*, now: datetime | None = None, grace: timedelta = timedelta(days=1)) -> int:
    """Delete cédula documents that no notice names: a move that stored one and then rolled back
    (storage is not transactional). Only this month's and last month's folders are read, and only
    folders older than `grace`, so a document of a transaction still open is never touched.
    Returns how many files were deleted."""
    now = now or timezone.now()
    storage = FormalNotice._meta.get_field("document").storage
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
