from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications.receivers import queue_invitation_email
        from parties.signals import invitation_created

        invitation_created.connect(queue_invitation_email, dispatch_uid="notifications.invitation_email")
