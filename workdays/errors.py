class CalendarError(Exception):
    """A change to the office calendar that cannot be made; the message is for the person."""
