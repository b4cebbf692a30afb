"""Whatever a consumer or a company representative types or uploads, the answer is never a 500, a
refused move leaves the case exactly as it was (status, events, evidence, offers) and a refused
upload leaves no file behind.

Every form and query string they can reach is fed arbitrary text (any unicode, NUL included, very
long), dates far in the past and the future, negative and huge amounts, and files that are no PDF or
image. A NUL byte anywhere is refused with a 400 before any view runs (config/middleware.py)."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from complaints import services as case_services
from complaints.models import Complaint, OfferStatus
from hearings.models import AbsenceJustification, ActaConfirmation, ComplianceProof
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.outcome import outcome_record
from tests.complaints.factories import PDF_BYTES, PNG_BYTES, draft_case, served_case
from tests.hearings.test_outcome_support import agreement_at, attend, hearing_under_way

examples = hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- What people type -------------------------------------------------------------------------------

# Any character a browser can send (lone surrogates cannot be encoded as UTF-8 at all).
any_char = st.characters(exclude_categories=["Cs"])
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "Ñandú ñoño",
    "'; DROP TABLE complaints_complaint; --",
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    "\u202eevil",
    "\U0001d54f" * 50,  # a letter outside the Basic Multilingual Plane
    "DC-2026-000001",
    "DC-9999-999999",
    "2026-1",
    "30-71234567-1",
    "30.123.456",
    "99999999999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "a" * 100_000,
    "Ω" * 20_000,
]
text = st.one_of(
    st.text(any_char, max_size=300),
    st.sampled_from(NASTY),
    st.text(any_char, min_size=1, max_size=5).map(lambda piece: piece * 5_000),
)
far_dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)
near_dates = st.integers(min_value=-800, max_value=800).map(
    lambda days: (timezone.localdate() + timedelta(days=days)).isoformat()
)
dates = st.one_of(
    far_dates,
    near_dates,
    st.sampled_from(["0000-00-00", "2026-02-30", "99999-01-01", "31/12/2026", "12/31/2026", "-2026-01-01", "hoy"]),
    text,
)
amounts = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
    st.sampled_from(
        ["1.000.000,50", "1,000,000.50", "-0", "0,01", "1e6", "1E-7", "$ 100", "١٢٣", "\uff11\uff12\uff13"]
    ),
    text,
)
numbers = st.one_of(st.integers(min_value=-(10**25), max_value=10**25).map(str), text)


def uploads(allowed_name: str = "prueba.pdf") -> st.SearchStrategy[SimpleUploadedFile]:
    """A file: random bytes, or a real PDF/PNG, under any name and any declared type."""
    content = st.one_of(
        st.binary(max_size=2_000),
        st.sampled_from([PDF_BYTES, PNG_BYTES, b"", b"%PDF", b"MZ\x90\x00", b"GIF89a", b"<svg onload=alert(1)>"]),
    )
    name = st.one_of(
        st.just(allowed_name),
        st.sampled_from(["a.exe", "../../etc/passwd", "x.pdf.exe", ".pdf", "foto.PNG", "sin-extension", "ñ.pdf"]),
        # "." and ".." name no file: Django's upload refuses them before any form sees them.
        st.text(any_char.filter(lambda c: c not in '\x00"\r\n/\\'), min_size=1, max_size=300).filter(
            lambda n: n not in {".", ".."}
        ),
    )
    declared = st.sampled_from(["application/pdf", "image/png", "image/jpeg", "text/html", "application/x-msdownload"])
    return st.builds(lambda c, n, t: SimpleUploadedFile(n, c, content_type=t), content, name, declared)


# --- What must hold after every answer -------------------------------------------------------------


def never_500(response) -> None:
    # The test client raises what a view raises; a handled error must not answer 500 either.
    assert response.status_code < 500, response.status_code


def has_nul(*values: object) -> bool:
    return any("\x00" in value if isinstance(value, str) else has_nul(*value) for value in values)  # type: ignore[misc]


def refused(response) -> bool:
    """Not carried out: the form again (200), bad input (400), not for you (403/404), or a redirect
    that brings an error message."""
    if response.status_code != 302:
        return True
    return any(message.level >= message_levels.WARNING for message in get_messages(response.wsgi_request))


def case_state(case: Complaint) -> tuple:
    case = Complaint.objects.get(pk=case.pk)
    return (
        case.status,
        case.events.count(),
        case.evidence.count(),
        list(case.offers.order_by("pk").values_list("status", "amount", "terms")),
        case.answers.count(),
    )


def stored_files() -> list[Path]:
    media = Path(settings.MEDIA_ROOT)
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def post_and_check(client: Client, url: str, data: dict, case: Complaint) -> Any:
    """POST; never a 500; if refused, the case and the stored files are as they were."""
    before, files_before = case_state(case), stored_files()
    response = client.post(url, data)
    never_500(response)
    if refused(response):
        assert case_state(case) == before, f"a refused POST to {url} changed the case"
        assert stored_files() == files_before, f"a refused POST to {url} left a file behind"
    return response


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def served(consumer, company, officer):
    return served_case(consumer, company, officer, evidence=True)


@pytest.fixture
def held(consumer, company, representative, officer, conciliator, django_capture_on_commit_callbacks):
    """A hearing both parties attended, ended in an agreement, its acta generated."""
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    attend(hearing, consumer, "consumer", joined=hearing.starts_at + timedelta(minutes=2))
    attend(hearing, representative, "company", joined=hearing.starts_at + timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(hearing, conciliator)
    hearing.refresh_from_db()
    return hearing


# --- The list, the search boxes ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["consumer", "representative"])
@examples
@given(
    q=text,
    date_from=dates,
    date_to=dates,
    status=st.lists(st.one_of(st.sampled_from(["draft", "submitted", "company_notified"]), text), max_size=3),
    page=numbers,
    company=numbers,
)
def test_the_case_list_answers_any_filter_without_a_500(
    request, served, client_for, role, q, date_from, date_to, status, page, company
):
    client = client_for(request.getfixturevalue(role))
    query = {"q": q, "date_from": date_from, "date_to": date_to, "status": status, "page": page, "company": company}

    response = client.get(reverse("complaint_list"), query)

    never_500(response)
    assert response.status_code == (400 if has_nul(*query.values()) else 200)


@pytest.mark.parametrize("role", ["consumer", "representative"])
@examples
@given(q=text)
def test_the_company_lookup_answers_any_text_without_a_500(request, company, client_for, role, q):
    response = client_for(request.getfixturevalue(role)).get(reverse("company_lookup"), {"q": q})

    never_500(response)
    assert response.status_code == (400 if "\x00" in q else 200)


@examples
@given(pk=st.one_of(st.integers(min_value=0, max_value=10**40), st.integers(max_value=-1)))
def test_an_address_with_any_number_for_a_case_is_a_404_not_a_500(consumer, client_for, pk):
    """The URL's <int:pk> takes any run of digits, far beyond what the database's integers hold."""
    client = client_for(consumer)
    for url in (f"/reclamos/{pk}/", f"/reclamos/{pk}/paso/1/", f"/pruebas/{pk}/", f"/audiencias/{pk}/"):
        response = client.get(url)
        never_500(response)
        assert response.status_code == 404


# --- Filing ---------------------------------------------------------------------------------------


@examples
@given(
    step=st.integers(min_value=1, max_value=6),
    fields=st.fixed_dictionaries(
        {},
        optional={
            "company": st.one_of(st.sampled_from(["unregistered", "1", "0", "-1", "99999999999"]), text),
            "company_cuit": st.one_of(st.sampled_from(["30-71234567-1", "20301234567"]), numbers),
            "company_name": text,
            "product": text,
            "purchase_date": dates,
            "amount_paid": amounts,
            "facts": text,
            "claim_type": st.one_of(st.sampled_from(["refund", "repair", "replacement", "other"]), text),
            "claim_amount": amounts,
            "claim_detail": text,
            "return": st.one_of(st.just("review"), text),
        },
    ),
)
def test_any_input_to_any_filing_step_never_gives_a_500_nor_breaks_the_draft(
    consumer, company, client_for, step, fields
):
    draft = Complaint.objects.filter(consumer=consumer, status="draft").first() or draft_case(consumer, company)
    client = client_for(consumer)

    post_and_check(client, reverse("complaint_step", args=[draft.pk, step]), fields, draft)

    # Whatever was kept, the step and the review page (which shows it all) still open.
    for page in {step, 6}:
        response = client.get(reverse("complaint_step", args=[draft.pk, page]))
        assert response.status_code == 200, (page, response.status_code)


@examples
@given(files=st.lists(uploads(), min_size=1, max_size=3))
def test_an_upload_that_is_refused_stores_no_file(consumer, company, client_for, files):
    draft = Complaint.objects.filter(consumer=consumer, status="draft").first() or draft_case(consumer, company)
    before, files_before = draft.evidence.count(), len(stored_files())

    response = post_and_check(
        client_for(consumer), reverse("evidence_upload", args=[draft.pk]), {"evidence_files": files}, draft
    )

    # One file per stored piece of evidence: a batch is stored whole or not at all. (Django drops
    # a part whose file name is empty once cleaned, e.g. control characters only: not sent.)
    received = len(response.wsgi_request.FILES.getlist("evidence_files"))
    added = draft.evidence.count() - before
    assert added in (0, received)
    assert len(stored_files()) - files_before == added
    if refused(response):
        assert added == 0


@examples
@given(declaration=st.one_of(st.just("on"), text))
def test_submitting_with_any_declaration_never_gives_a_500(consumer, company, client_for, declaration):
    draft = draft_case(consumer, company)

    post_and_check(
        client_for(consumer), reverse("complaint_submit", args=[draft.pk]), {"declaration": declaration}, draft
    )


# --- Before the hearing: the company's answer and offers, the consumer's counter-offer ---------------


@examples
@given(answer=text)
def test_the_company_answer_takes_any_text_without_a_500(served, representative, client_for, answer):
    post_and_check(
        client_for(representative), reverse("company_answer", args=[served.pk]), {"answer-text": answer}, served
    )


@examples
@given(amount=amounts, terms=text, fulfil_by=dates)
def test_an_offer_with_any_amount_terms_and_date_never_gives_a_500(
    served, representative, client_for, amount, terms, fulfil_by
):
    # An accepted offer waits for the consumer; the next example starts without one.
    served.offers.filter(status=OfferStatus.PENDING).update(status=OfferStatus.REJECTED)
    data = {"offer-amount": amount, "offer-terms": terms, "offer-fulfil_by": fulfil_by}

    post_and_check(client_for(representative), reverse("offer_make", args=[served.pk]), data, served)

    offer = served.offers.order_by("-pk").first()
    if offer is not None and offer.amount is not None:
        assert Decimal("0") <= offer.amount < Decimal("1e12")


@examples
@given(counter_terms=text, counter_amount=amounts)
def test_a_counter_offer_with_any_terms_and_amount_never_gives_a_500(
    served, consumer, representative, client_for, counter_terms, counter_amount
):
    offer = served.offers.filter(status=OfferStatus.PENDING).first() or case_services.offer_make(
        complaint=served,
        by=representative,
        terms="Cambio de la heladera.",
        fulfil_by=timezone.localdate() + timedelta(days=20),
        amount=Decimal("1000"),
    )
    data = {"reject-counter_terms": counter_terms, "reject-counter_amount": counter_amount}

    post_and_check(client_for(consumer), reverse("offer_reject", args=[offer.pk]), data, served)


# --- The profile --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["consumer", "representative"])
@examples
@given(
    fields=st.fixed_dictionaries(
        {},
        optional={
            "first_name": text,
            "last_name": text,
            "dni": numbers,
            "cuil": numbers,
            "phone": st.one_of(st.sampled_from(["+5491123456789", "11 2345-6789"]), numbers),
            "street_address": text,
            "city": text,
            "postal_code": text,
            "province": st.one_of(st.sampled_from(["CABA", "BA", "XX"]), text),
            "preferred_language": st.one_of(st.sampled_from(["es-ar", "en", "xx"]), text),
            "notify_sms": text,
            "notify_whatsapp": text,
            "next": text,
        },
    )
)
def test_the_profile_form_takes_anything_and_what_it_keeps_still_renders(request, client_for, role, fields):
    client = client_for(request.getfixturevalue(role))

    response = client.post(reverse("profile"), fields)

    never_500(response)
    for url in (reverse("profile"), reverse("home")):
        assert client.get(url).status_code == 200, url


# --- After the hearing: the acta, an absence, compliance ------------------------------------------


@examples
@given(sha256=st.one_of(text, st.text("0123456789abcdef", min_size=64, max_size=64)), agree=text)
def test_confirming_the_acta_with_any_input_never_gives_a_500(held, consumer, client_for, sha256, agree):
    confirmations = ActaConfirmation.objects.count()

    response = post_and_check(
        client_for(consumer),
        reverse("acta_confirm", args=[held.pk]),
        {"sha256": sha256, "agree": agree},
        held.complaint,
    )

    if refused(response):
        assert ActaConfirmation.objects.count() == confirmations


@pytest.fixture
def company_absent(consumer, company, officer, conciliator):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    return outcome_record(hearing=hearing, by=conciliator, outcome="company_absent", notes="No se presentó.")


@examples
@given(justification=text, file=st.one_of(st.none(), uploads("certificado.pdf")))
def test_justifying_an_absence_with_any_text_and_file_never_gives_a_500(
    company_absent, representative, client_for, justification, file
):
    hearing = company_absent
    # An accepted justification awaits the office; the next example justifies afresh.
    AbsenceJustification.objects.filter(hearing=hearing).delete()
    data = {"text": justification} | ({"file": file} if file is not None else {})

    response = post_and_check(
        client_for(representative), reverse("absence_justify", args=[hearing.pk]), data, hearing.complaint
    )

    if refused(response):
        assert not AbsenceJustification.objects.filter(hearing=hearing).exists()


@pytest.fixture
def approved(held, consumer, representative, officer, director):
    """The agreement, its acta confirmed by both parties and approved by the office."""
    acta_confirm(hearing=held, by=consumer)
    acta_confirm(hearing=held, by=representative)
    return agreement_approve(complaint=held.complaint, by=director).complaint


@examples
@given(complied=st.one_of(st.sampled_from(["yes", "no"]), text), details=text)
def test_answering_compliance_with_any_input_never_gives_a_500(approved, consumer, client_for, complied, details):
    case = approved

    post_and_check(
        client_for(consumer),
        reverse("compliance_answer", args=[case.pk]),
        {"complied": complied, "details": details},
        case,
    )


@examples
@given(file=uploads("transferencia.pdf"), note=text)
def test_a_compliance_proof_that_is_refused_stores_no_file(approved, representative, client_for, file, note):
    proofs = ComplianceProof.objects.count()

    response = post_and_check(
        client_for(representative),
        reverse("compliance_proof_upload", args=[approved.pk]),
        {"file": file, "note": note},
        approved,
    )

    if refused(response):
        assert ComplianceProof.objects.count() == proofs
