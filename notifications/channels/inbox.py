"""The in-platform inbox: the row itself is the message, so delivering it only makes it available."""

from notifications.models import Notification


class InboxChannel:
    def send(self, notification: Notification) -> str:
        return ""
