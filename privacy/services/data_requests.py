"""A person's request to correct or delete their data, and the office closing it."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.services import outbox_write_email
from parties.models import Role, User
from privacy.models import DataRequest


class DataRequestError(Exception):
    """A refused change; the message is shown to the person as it is."""


def data_request_create(*, user: User, kind: str, details: str, case_number: str = "") -> DataRequest:
    """Record the request and e-mail the office's data-protection address through the outbox, in
    the office's language (the e-mail carries no personal data beyond who asked and a link)."""
    with transaction.atomic():
        request = DataRequest.objects.create(
            user=user, kind=kind, details=details.strip(), case_number=case_number.strip().upper()
        )
        if settings.PRIVACY_OFFICE_EMAIL:
            with translation.override(settings.LANGUAGE_CODE):
                context = {
                    "data_request": request,
                    "list_url": settings.SITE_URL + reverse("data_request_list"),
                    "office_name": settings.PRIVACY_OFFICE_NAME,
                }
                outbox_write_email(
                    email=settings.PRIVACY_OFFICE_EMAIL,
                    event="privacy_data_request",
                    subject=_("New request about personal data (no. %(number)s)") % {"number": request.pk},
                    body_text=render_to_string("privacy/email/data_request.txt", context),
                    idempotency_key=f"privacy-data-request:{request.pk}",
                    language=settings.LANGUAGE_CODE,
                )
    return request


def data_request_close(*, data_request: DataRequest, by: User, resolution: str = "") -> DataRequest:
    """The supervisor marks the request done, saying what was done. Twice is refused."""
    if by.role != Role.SUPERVISOR:
        raise DataRequestError(_("Only a supervisor can close a request about personal data."))
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=data_request.pk)
        if locked.status == DataRequest.Status.DONE:
            raise DataRequestError(_("This request was already marked as done."))
        locked.status = DataRequest.Status.DONE
        locked.handled_by = by
        locked.handled_at = timezone.now()
        locked.resolution = resolution.strip()
        locked.save(update_fields=["status", "handled_by", "handled_at", "resolution"])
    return locked
