"""The refusals the notification services raise; their messages are shown to people as they are."""


class NotificationError(Exception):
    """A refused action on notifications; its message is shown to the person as it is."""


class FormalNoticeError(NotificationError):
    pass
