"""Writing outbox rows: one per channel a person allows, queued for delivery after commit.

A row holds the event's declared context (notifications/codec.py), not its text: rendering is the
worker's job (notifications/rendering.py), so a case move pays for one INSERT, not for templates.
Delivery is queued with `transaction.on_commit`, as one task for the rows of one call, so nothing
leaves before the move is durable and nothing leaves at all if it rolls back.
"""

import hashlib
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from notifications import codec, delivery
from notifications.events import prepare_context
from notifications.models import Channel, Notification, Status
from notifications.rendering import supported_language
from parties.models import User

INLINE_ATTACHMENT_MAX = 256 * 1024
KEY_MAX = 255  # Notification.idempotency_key


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
    occurrence (e.g. f"case-event:{pk}"); it is scoped to the recipient and the event here, so one
    key serves every party and every event of the same move, and calling again with it writes
    nothing new.

    Returns the rows this call wrote (ids filled; their text is rendered by the worker), not those
    it found already written. One INSERT when the caller loaded the consumer profile with the user."""
    context = prepare_context(event, context)
    key = _stored_key(idempotency_key, scope=f"u{recipient.pk}", event=event)
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
    key = _stored_key(idempotency_key, scope="a" + hashlib.sha256(email.encode()).hexdigest()[:16], event=event)
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
    if undeliverable(email):
        return None
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
        next_attempt_at=timezone.now() + queue_grace(),
    )
    with transaction.atomic(savepoint=False):
        Notification.objects.bulk_create([row], ignore_conflicts=True)
        stored = Notification.objects.filter(idempotency_key=idempotency_key, channel=Channel.EMAIL).first()
        if stored is not None and stored.status == Status.PENDING:
            transaction.on_commit(partial(delivery.enqueue, [stored.pk]))
    return stored


def _stored_key(idempotency_key: str, *, scope: str, event: str) -> str:
    """The key a row is stored under: the caller's occurrence, scoped to one recipient and one
    event, so the parties of a move share a key and two events of one move never drop each other.
    The scope stays right after the caller's part (tests and reports split on ":u"). A key too long
    for the column keeps its start and ends in a digest of the whole, never merely cut."""
    if not idempotency_key:
        raise ValueError("An idempotency key is required.")
    key = f"{idempotency_key}:{scope}:{event}"
    if len(key) > KEY_MAX:
        digest = hashlib.sha256(key.encode()).hexdigest()
        key = f"{key[: KEY_MAX - len(digest) - 1]}:{digest}"
    return key


def queue_grace() -> timedelta:
    """How long a new row waits before delivery, so the enqueue after commit normally wins the sweeper."""
    return timedelta(seconds=settings.NOTIFICATION_QUEUE_GRACE_SECONDS)


def undeliverable(email: str) -> bool:
    """A placeholder address (the reserved .invalid top-level domain, RFC 2606), such as the one
    an account without e-mail gets at the desk (complaints/assisted.py): never written to."""
    return not email or email.strip().lower().endswith(".invalid")


def _channels_for(user: User) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str]] = []
    # A citizen without e-mail is reached by SMS, WhatsApp and the inbox only.
    if user.email and not user.has_no_email and not undeliverable(user.email):
        wanted.append((Channel.EMAIL, user.email))
    try:
        profile = user.consumer_profile
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
    """Insert the rows not yet written, with the event's context and no text (the worker renders
    them: notifications/rendering.py), and queue them as one task after commit."""
    cleaned_attachments = _clean_attachments(attachments)
    if not wanted:
        return []
    stored_context = codec.encode(context, language=language)
    now = timezone.now()
    rows = [
        Notification(
            recipient=recipient,
            address=address,
            channel=channel,
            event=event,
            case_number=case_number,
            language=language,
            subject="",
            body_text="",
            body_html="",
            context=stored_context,
            attachments=cleaned_attachments if channel == Channel.EMAIL else [],
            idempotency_key=key,
            formal=formal,
            created_at=now,
            next_attempt_at=now + queue_grace(),
        )
        for channel, address in wanted
    ]
    with transaction.atomic(savepoint=False):
        written = _insert_new(rows)
        if written:
            transaction.on_commit(partial(delivery.enqueue, [row.pk for row in written]))
    return written


def _insert_new(rows: list[Notification]) -> list[Notification]:
    """One statement: INSERT … ON CONFLICT DO NOTHING RETURNING id, channel. A retried move (or a
    concurrent call with the same key) finds its channels taken and gets nothing back for them.

    `bulk_create(ignore_conflicts=True)` does not say which rows it inserted, so this goes one level
    down, to the insert query `bulk_create` itself runs, asking for the new rows' ids."""
    opts = Notification._meta
    fields = [field for field in opts.concrete_fields if field is not opts.pk and not field.generated]
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    returned = Notification.objects._insert(  # type: ignore[attr-defined]
        rows,
        fields=fields,
        returning_fields=[opts.pk, opts.get_field("channel")],
        on_conflict=OnConflict.IGNORE,
    )
    # A single row that met a conflict comes back as None (nothing was returned for it).
    ids = {channel: pk for pk, channel in filter(None, returned)}
    written = []
    for row in rows:
        if row.channel in ids:
            row.pk = ids[row.channel]
            row._state.adding = False
            row._state.db = Notification.objects.db
            written.append(row)
    return written
