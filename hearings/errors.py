from complaints.services import CaseError


class HearingError(CaseError):
    """A refused move on a hearing; views show its message (it is a CaseError, so they already do)."""
