"""The pages that read a case's personal data, declared once: every successful GET of one of these
URL names by a signed-in person leaves an AccessLog row (privacy.middleware).

Each entry says what kind of thing the page shows, which model its `pk` names, and how to reach the
case from that model, so the row can carry the case's id and number without a query of its own: the
lookups become sub-selects inside the one INSERT. A renamed URL fails tests/privacy/test_access_log.py.
"""

from dataclasses import dataclass

from django.db.models import Model

from complaints.models import Complaint, Evidence
from hearings.models import AbsenceJustification, ComplianceProof, Hearing, Recording
from notifications.models import FormalNotice
from privacy.models import AccessKind


@dataclass(frozen=True)
class Watched:
    kind: str
    # The model the URL's `pk` names.
    model: type[Model]
    # Lookup from that model to the case's id: "pk" when the object is the case; None when the model
    # names its case by number only (then the case is found by that number).
    case_id: str | None
    # Lookup from that model to the case's number.
    case_number: str


def _case(kind: str) -> Watched:
    return Watched(kind, Complaint, "pk", "number")


def _hearing(kind: str) -> Watched:
    return Watched(kind, Hearing, "complaint_id", "complaint__number")


WATCHED: dict[str, Watched] = {
    "complaint_detail": _case(AccessKind.CASE_FILE),
    "complaint_export_pdf": _case(AccessKind.CASE_EXPORT),
    "complaint_receipt": _case(AccessKind.RECEIPT),
    "complaint_receipt_pdf": _case(AccessKind.RECEIPT),
    "evidence_download": Watched(AccessKind.EVIDENCE, Evidence, "complaint_id", "complaint__number"),
    "acta_download": _hearing(AccessKind.ACTA),
    "acta_confirm": _hearing(AccessKind.ACTA),
    "hearing_recording_register": _hearing(AccessKind.RECORDING),
    "hearing_recording_download": Watched(
        AccessKind.RECORDING, Recording, "hearing__complaint_id", "hearing__complaint__number"
    ),
    "compliance_proof_download": Watched(
        AccessKind.COMPLIANCE_PROOF, ComplianceProof, "agreement__complaint_id", "agreement__complaint__number"
    ),
    "absence_justification_file": Watched(
        AccessKind.JUSTIFICATION, AbsenceJustification, "hearing__complaint_id", "hearing__complaint__number"
    ),
    # A cédula names its case by number only (notifications sits below complaints).
    "formal_notice_detail": Watched(AccessKind.FORMAL_NOTICE, FormalNotice, None, "case_number"),
    "formal_notice_document": Watched(AccessKind.FORMAL_NOTICE, FormalNotice, None, "case_number"),
}
