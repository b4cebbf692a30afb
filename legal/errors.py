from complaints.errors import CaseError


class LegalError(CaseError):
    """A refused move of a sanction proceeding; views show its message (it is a CaseError)."""
