class CaseError(Exception):
    """A refused move; the message is shown to the person as it is."""
