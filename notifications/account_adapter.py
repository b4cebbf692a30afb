"""allauth's e-mails (verification, password reset, security notices) through the outbox.

allauth renders the message exactly as it always does; instead of sending it at once we write it
as an outbox row, so it is retried, visible to staff when it fails, and never lost to a broker
or SMTP outage. Set ACCOUNT_ADAPTER = "notifications.account_adapter.AccountAdapter"."""

import uuid

from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import translation
from django.utils.html import strip_tags

from notifications.services import outbox_write_email
from parties.adapter import AccountAdapter as PartiesAccountAdapter
from parties.models import User


class AccountAdapter(PartiesAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        # The same context allauth's DefaultAccountAdapter.send_mail builds.
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        body_text, body_html = message.body, ""
        if isinstance(message, EmailMultiAlternatives):
            for content, mimetype in message.alternatives:
                if mimetype == "text/html":
                    body_html = str(content)
                    break
        elif message.content_subtype == "html":
            body_text, body_html = strip_tags(message.body), message.body
        recipient = User.objects.filter(email__iexact=email).first()
        with transaction.atomic():
            outbox_write_email(
                email=email,
                event="account_" + template_prefix.rsplit("/", 1)[-1],
                subject=message.subject,
                body_text=body_text,
                body_html=body_html,
                # allauth may legitimately send the same kind of mail twice (a resent link): each call is new.
                idempotency_key=f"account:{uuid.uuid4().hex}",
                recipient=recipient,
                language=translation.get_language() or "",
            )
