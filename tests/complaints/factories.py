"""Cases built through the real services, for any test that needs one in a given state.

    case = submitted_case(consumer, company)           # status "submitted", with a number
    case = served_case(consumer, company, officer)     # admitted and served: "company_notified"

The company must have an electronic domicile for `served_case` (the `company` fixture has one)."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import services
from complaints.models import ClaimType, Complaint
from complaints.states import State
from complaints.uploads import evidence_add
from parties.models import Company, User

# The smallest file each sniffer accepts: a PDF header, and a real one-pixel PNG.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc8!'\x07\x00\x02\xb6\x01\x054\xa6u\xaa\x00\x00\x00\x00IEND\xaeB`\x82"
)


def draft_case(consumer: User, company: Company, *, evidence: bool = False, **fields: object) -> Complaint:
    """A complete draft, ready to submit (the consumer's profile fills their snapshot)."""
    case = services.complaint_start_draft(consumer=consumer)
    services.case_parts.name_company(case, company=company, position=1)
    values: dict[str, object] = {
        "product": "Heladera No Frost 360 L",
        "purchase_date": date(2026, 3, 2),
        "amount_paid": Decimal("850000.00"),
        "facts": "La heladera dejó de enfriar a los 20 días y el service no vino a las dos visitas pactadas.",
        "claim_type": ClaimType.REPLACEMENT,
        "claim_amount": Decimal("850000.00"),
        "claim_detail": "Cambio por una unidad nueva o devolución del dinero.",
        "declaration_accepted_at": timezone.now(),
        **fields,
    }
    for name, value in values.items():
        setattr(case, name, value)
    case.save(update_fields=[*values, "updated_at"])
    if evidence:
        evidence_add(
            complaint=case,
            upload=SimpleUploadedFile("factura.pdf", PDF_BYTES, content_type="application/pdf"),
            by=consumer,
            description="Factura de compra",
        )
        evidence_add(
            complaint=case,
            upload=SimpleUploadedFile("foto-heladera.png", PNG_BYTES, content_type="image/png"),
            by=consumer,
        )
    return case


def submitted_case(consumer: User, company: Company, *, evidence: bool = False, **fields: object) -> Complaint:
    case = draft_case(consumer, company, evidence=evidence, **fields)
    return services.complaint_submit(complaint=case, by=consumer)


def served_case(
    consumer: User, company: Company, officer: User, *, evidence: bool = False, **fields: object
) -> Complaint:
    case = submitted_case(consumer, company, evidence=evidence, **fields)
    case = services.complaint_admit(complaint=case, by=officer)
    assert case.status == State.COMPANY_NOTIFIED, "served_case needs a company with an electronic domicile"
    return case
