from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications.receivers import queue_invitation_email
        from parties.signals import invitation_created

        invitation_created.connect(queue_invitation_email, dispatch_uid="notifications.invitation_email")

        # An address its owner just confirmed receives mail again: its bounce mark is cleared.
        from allauth.account.signals import email_changed, email_confirmed

        from notifications.addresses import clear_on_changed_address, clear_on_confirmed_address

        email_confirmed.connect(clear_on_confirmed_address, dispatch_uid="notifications.bounce_cleared_on_confirm")
        email_changed.connect(clear_on_changed_address, dispatch_uid="notifications.bounce_cleared_on_change")
