"""The case (expediente) and who takes part in it. case.py: the complaint, its workflow, evidence,
immutable events, the companies' answers and offers; parts.py: each company's part, paper notices,
the consumer's representative."""

from .assignment import AssignmentRule
from .case import (
    CaseEvent,
    CaseNumberSequence,
    Channel,
    ClaimType,
    CompanyAnswer,
    Complaint,
    Evidence,
    Offer,
    OfferStatus,
    RejectionReason,
    evidence_upload_to,
)
from .parts import (
    CLOSED_PART_STATUSES,
    OPEN_PART_STATUSES,
    CaseCompany,
    CompanyRole,
    ConsumerRepresentative,
    PaperNotice,
    PartStatus,
    ServiceMethod,
    paper_receipt_upload_to,
)

__all__ = [
    "CLOSED_PART_STATUSES",
    "OPEN_PART_STATUSES",
    "AssignmentRule",
    "CaseCompany",
    "CaseEvent",
    "CaseNumberSequence",
    "Channel",
    "ClaimType",
    "CompanyAnswer",
    "CompanyRole",
    "Complaint",
    "ConsumerRepresentative",
    "Evidence",
    "Offer",
    "OfferStatus",
    "PaperNotice",
    "PartStatus",
    "RejectionReason",
    "ServiceMethod",
    "evidence_upload_to",
    "paper_receipt_upload_to",
]
