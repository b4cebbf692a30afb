"""Who may open what: every named URL in the URL configuration, answered for every role.

TABLE holds one row per named URL: which of the world's objects fills its kwargs, and what each of
nine people gets for GET (and, for a URL that acts on POST, what those who may not act get). Then:

- a new URL without a row fails `test_every_named_url_has_a_row_in_the_table`, naming it;
- every GET answers as the table says, and never with a 500;
- every refused POST answers as the table says and changes no row and stores no file;
- someone outside a case gets for its objects what they get for objects that do not exist."""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.models import WebhookDelivery
from api.services.endpoints import webhook_endpoint_create
from api.services.keys import api_key_create
from complaints import services as case_services
from complaints.models import ConsumerRepresentative, PaperNotice
from hearings.models import Instalment
from hearings.services.absences import absence_justify
from hearings.services.acta import acta_confirm
from hearings.services.approval import agreement_approve
from hearings.services.follow_up import compliance_proof_upload
from hearings.services.guests import guest_invite
from hearings.services.outcome import outcome_record
from hearings.services.room import recording_register
from notifications.models import BouncedAddress, FormalNotice, Notification
from parties.models import ConciliatorDayOff, NonWorkingDay, Representation, Role
from parties.services import invitation_create
from privacy.services.data_requests import data_request_create
from tests.complaints.factories import PDF_BYTES, draft_case, served_case
from tests.conftest import make_user
from tests.hearings.factories import make_conciliator, scheduled_hearing
from tests.hearings.test_outcome_support import agreement_at, attend, compliance_day, hearing_under_way
from tests.legal.conftest import refer_without_agreement

ROLES = (
    "anonymous",
    "owner",  # the consumer who filed the cases below
    "other_consumer",  # a consumer with a draft of her own against another company
    "representative",  # an admin representative of the company the cases are against
    "other_representative",  # an admin representative of another company
    "officer",
    "conciliator",  # holds every hearing below
    "other_conciliator",
    "supervisor",
)
STRANGERS = ("other_consumer", "other_representative", "other_conciliator")


# --- The world every row is answered in ---------------------------------------------------------


@dataclass
class World:
    people: dict[str, object]
    objects: dict[str, object] = field(default_factory=dict)


@pytest.fixture
def world(
    consumer,
    stranger,
    company,
    other_company,
    representative,
    officer,
    conciliator,
    supervisor,
    director,
    django_capture_on_commit_callbacks,
):
    """One consumer's cases against one company, at every stage a URL needs:

    draft      a draft with evidence, still being written
    case       served, a hearing scheduled next week (`hearing`), evidence, a pending offer, the cédula
    served     served, waiting for a hearing date
    held       its hearing ended in an agreement: acta confirmed by both, approved, a compliance proof
    absent     its hearing ended with the company absent, which sent a justification with a file"""
    other_representative = make_user("rosa@conectar.test", Role.REPRESENTATIVE, first_name="Rosa", last_name="Paz")
    Representation.objects.create(user=other_representative, company=other_company, is_admin=True)
    other_conciliator = make_conciliator("luis@oficina.test", "Luis", "Benítez")
    people = {
        "anonymous": None,
        "owner": consumer,
        "other_consumer": stranger,
        "representative": representative,
        "other_representative": other_representative,
        "officer": officer,
        "conciliator": conciliator,
        "other_conciliator": other_conciliator,
        "supervisor": supervisor,
    }
    # The stranger and the other company have lives of their own, so their pages are not empty.
    draft_case(stranger, other_company)

    draft = draft_case(consumer, company, evidence=True)
    case = served_case(consumer, company, officer, evidence=True)
    hearing = scheduled_hearing(consumer, company, officer, conciliator, complaint=case)
    guest, _guest_key = guest_invite(hearing=hearing, by=officer, kind="interpreter", name="Eva Sordi")
    offer = case_services.offer_make(
        complaint=case, by=representative, terms="Cambio de la heladera.", fulfil_by=compliance_day(20), amount=None
    )
    served = served_case(consumer, company, officer)

    held_hearing = hearing_under_way(consumer, company, officer, conciliator)
    start = held_hearing.starts_at
    attend(held_hearing, conciliator, "conciliator", joined=start - timedelta(minutes=3))
    attend(held_hearing, consumer, "consumer", joined=start + timedelta(minutes=2))
    attend(held_hearing, representative, "company", joined=start + timedelta(minutes=4))
    with django_capture_on_commit_callbacks(execute=True):
        agreement_at(held_hearing, conciliator)
    held_hearing.refresh_from_db()
    acta_confirm(hearing=held_hearing, by=consumer)
    acta_confirm(hearing=held_hearing, by=representative)
    agreement_approve(complaint=held_hearing.complaint, by=director)
    proof = compliance_proof_upload(
        complaint=held_hearing.complaint, by=representative, upload=SimpleUploadedFile("transferencia.pdf", PDF_BYTES)
    )
    # One instalment of its agreement (asked about, answered and proved on its own).
    instalment = Instalment.objects.create(
        agreement=held_hearing.complaint.agreements.get(), number=1, amount=1000, due_date=compliance_day(10)
    )
    recording = recording_register(
        hearing=held_hearing, by=conciliator, file=SimpleUploadedFile("grabacion.mp4", b"\x00\x00\x00\x18ftypmp42")
    )

    # Over before the held one began: a conciliator holds one hearing at a time.
    absent_hearing = hearing_under_way(consumer, company, officer, conciliator, minutes_ago=150)
    outcome_record(hearing=absent_hearing, by=conciliator, outcome="company_absent", notes="No se presentó.")
    justification = absence_justify(
        hearing=absent_hearing,
        by=representative,
        text="Nuestro apoderado estuvo internado.",
        file=SimpleUploadedFile("certificado.pdf", PDF_BYTES),
    )

    # Referred after a hearing without agreement (before the absent one): the company's proceeding.
    proceeding = refer_without_agreement(consumer, company, officer, conciliator, minutes_ago=300)

    # A second, non-admin representative the company's admin may revoke; an invitation it may cancel.
    clerk = make_user("paula@electrosur.test", Role.REPRESENTATIVE, first_name="Paula", last_name="Sosa")
    representation = Representation.objects.create(user=clerk, company=company, is_admin=False)
    invitation = invitation_create(company=company, email="nuevo@electrosur.test", is_admin=False, by=representative)
    day_off = ConciliatorDayOff.objects.create(
        conciliator=conciliator.conciliator_profile, date=compliance_day(40), reason="Licencia"
    )
    failure = Notification.objects.filter(recipient=consumer).exclude(channel="inbox").first()
    assert failure is not None
    Notification.objects.filter(pk=failure.pk).update(status="failed", last_error="SMTP 550")
    data_request = data_request_create(user=consumer, kind="access", details="Quiero ver mis datos.")
    non_working_day = NonWorkingDay.objects.create(date=compliance_day(60), reason="Asueto administrativo")

    notice = FormalNotice.objects.filter(case_number=case.number).first()
    consumer_rep = ConsumerRepresentative(
        complaint=case, user=make_user("apoderada@example.com"), kind="attorney", named_by=consumer
    )
    consumer_rep.power_document.save("poder.pdf", ContentFile(PDF_BYTES), save=True)
    assert notice is not None
    notice.document.save("cedula.pdf", ContentFile(b"%PDF-1.4 cedula"))
    # A paper notice on the case's company (the office's paper-service pages take a part and a notice).
    paper_notice = PaperNotice.objects.create(part=case.parts.get(), address="Av. Siempreviva 742", status="delivered")
    paper_notice.document.save("cedula.pdf", ContentFile(b"%PDF-1.4 cedula"))

    # The company's machine access (api/): a key, a webhook endpoint and one of its deliveries.
    api_key, _plaintext = api_key_create(company=company, by=representative, name="ERP", scopes=["read"])
    webhook_endpoint, _secret = webhook_endpoint_create(
        company=company, by=representative, url="https://erp.electrosur.test/hooks", events=["case.served"]
    )
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook_endpoint, event="case.served", source="case-event:0", payload={}, status="failed"
    )

    objects = {
        "draft": draft,
        "draft_evidence": draft.evidence.first(),
        "case": case,
        "evidence": case.evidence.first(),
        "hearing": hearing,
        "hearing_guest": guest,
        "offer": offer,
        "served": served,
        "held": held_hearing.complaint,
        "held_hearing": held_hearing,
        "proof": proof,
        "recording": recording,
        "absent": absent_hearing.complaint,
        "absent_hearing": absent_hearing,
        "justification": justification,
        "company": company,
        "representation": representation,
        "invitation": invitation,
        "conciliator_profile": conciliator.conciliator_profile,
        "day_off": day_off,
        "inbox_item": Notification.objects.filter(recipient=consumer, channel="inbox").first(),
        "failure": failure,
        "notice": notice,
        "consumer_rep": consumer_rep,
        "part": paper_notice.part,
        "paper_notice": paper_notice,
        "data_request": data_request,
        "non_working_day": non_working_day,
        "proceeding": proceeding,
        "instalment": instalment,
        "staff_member": officer,
        "api_key": api_key,
        "webhook_endpoint": webhook_endpoint,
        "webhook_delivery": webhook_delivery,
        "bounced": BouncedAddress.objects.create(address=consumer.email, reason="5.1.1 User unknown"),
    }
    missing = [name for name, obj in objects.items() if obj is None]
    assert not missing, f"the world lacks {missing}"
    return World(people=people, objects=objects)


# --- The URL configuration ----------------------------------------------------------------------

# Prefixes whose pages are not ours to judge here, each with the reason.
EXCLUDED_PREFIXES = {
    "admin/": "Django's admin: staff only, behind its own login and the second factor (test_auth_staff_mfa.py)",
    "cuenta/": "allauth's login, signup and account pages, covered by tests/security/test_auth_*.py",
    "i18n/": "Django's set_language view: changes only the visitor's own language cookie",
    "jsi18n/": "the JavaScript translation catalogue: public, the same for everyone",
    "static/": "static files, served by WhiteNoise to everyone",
    "media/": "never routed (test_media_private.py)",
}


def named_patterns(patterns=None, prefix: str = "", namespace: str = "") -> dict[str, str]:
    """Every named URL pattern below the root, as {name: route} ("namespace:name" inside a
    namespaced include, e.g. the public API's), outside the excluded prefixes."""
    found: dict[str, str] = {}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if any(route.startswith(excluded) for excluded in EXCLUDED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.update(named_patterns(entry.url_patterns, route, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            found[namespace + entry.name] = route
    return found


# --- The table ----------------------------------------------------------------------------------
#
# Each answer, in the order of ROLES:
#   200 403 404 405 401 410   that status
#   302                       a redirect elsewhere than the login page: a page moved on, or a refused
#                             move told as a message on the case page (nothing changes: checked)
#   login                     a redirect to the login page
#   -                         (POST only) this person may do it: not sent, the world would change
#   a|b                       either, where both are defensible (the comment says why)
#
# A 403 for someone outside the case is allowed only from a page closed to their whole role (the
# same answer for an object that does not exist): `test_a_stranger_learns_nothing_an_object_exists`.


@dataclass(frozen=True)
class Row:
    obj: str | None  # the world's object whose pk fills the URL's <pk>
    get: str
    post: str | None = None  # None: the view does nothing on POST worth asking about
    data: object = None  # World -> what the person who may act would post (so a refusal is about who)

    def answers(self, method: str) -> dict[str, str]:
        text = self.get if method == "GET" else self.post
        assert text is not None
        tokens = text.split()
        assert len(tokens) == len(ROLES), f"{len(tokens)} answers for {len(ROLES)} roles: {text!r}"
        return dict(zip(ROLES, tokens, strict=True))


def pdf_upload(name: str = "factura.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


NOBODY_GETS = "405   405   405   405   405   405   405   405   405"  # @require_POST ahead of the login
LOGIN_THEN_405 = "login 405   405   405   405   405   405   405   405"  # @login_required ahead of @require_POST
OFFICE_ONLY = "login 403   403   403   403   -     403   403   -"
SUPERVISOR_ONLY_404 = "login 404   404   404   404   404   404   404   -"
EVERYONE_SIGNED_IN = "login 200   200   200   200   200   200   200   200"
ANYONE = "200   200   200   200   200   200   200   200   200"
API_KEY_ONLY = "401   401   401   401   401   401   401   401   401"  # the company API: a key, not a session

# fmt: off
TABLE: dict[str, Row] = {
    #                                     anon  owner cons2 rep   rep2  offic conc  conc2 super
    # --- public pages and one's own ---
    "home":                    Row(None, ANYONE),
    "privacy":                 Row(None, ANYONE),
    "accessibility":           Row(None, ANYONE),
    "contact":                 Row(None, ANYONE),
    "profile":                 Row(None, EVERYONE_SIGNED_IN,
                                   post="login -     -     -     -     -     -     -     -"),
    "my_data":                 Row(None, EVERYONE_SIGNED_IN,
                                   post="login -     -     -     -     -     -     -     -"),
    "my_data_download":        Row(None, EVERYONE_SIGNED_IN),
    "inbox":                   Row(None, EVERYONE_SIGNED_IN),
    "inbox_detail":            Row("inbox_item",
                                   "login 200   404   404   404   404   404   404   404"),
    "inbox_mark_all_read":     Row(None, NOBODY_GETS,
                                   post="login -     -     -     -     -     -     -     -"),
    # --- providers' reports: Twilio's signature, not a session (notifications/twilio_views.py) ---
    "twilio_status_callback":  Row(None, NOBODY_GETS, post="403   403   403   403   403   403   403   403   403"),
    "twilio_inbound_message":  Row(None, NOBODY_GETS, post="403   403   403   403   403   403   403   403   403"),
    # The mail server's bounce reports carry a shared secret; with none configured the endpoint is off.
    "bounce_report":           Row(None, NOBODY_GETS, post="404   404   404   404   404   404   404   404   404"),
    # The bounced addresses page is for the office's staff, as the failures page; to anyone else it does not exist.
    "bounced_addresses":       Row(None, "login 404   404   404   404   200   200   200   200"),
    "bounced_address_clear":   Row("bounced", NOBODY_GETS,
                                   post="login 404   404   404   404   -     -     -     -"),
    # --- filing: the draft is the owner's alone (the office sees only drafts it filed) ---
    # A representative or a consumer without a profile is sent to fill in their details first.
    "complaint_new":           Row(None, "login 200   302   302   302   403   403   403   403",
                                   post="login -     302   302   302   403   403   403   403"),
    "complaint_step":          Row("draft", "login 200   404   404   404   404   404   404   404",
                                   post="login -     404   404   404   404   404   404   404",
                                   data=lambda w: {"product": "Otra cosa"}),
    "evidence_upload":         Row("draft", NOBODY_GETS,
                                   post="login -     404   404   404   404   404   404   404",
                                   data=lambda w: {"evidence_files": pdf_upload()}),
    "evidence_delete":         Row("draft_evidence", NOBODY_GETS,
                                   post="login -     404   404   404   404   404   404   404"),
    "complaint_submit":        Row("draft", NOBODY_GETS,
                                   post="login -     404   404   404   404   404   404   404",
                                   data=lambda w: {"declaration": "on"}),
    "complaint_resubmit":      Row("draft", NOBODY_GETS,
                                   post="login -     404   404   404   404   404   404   404",
                                   data=lambda w: {"declaration": "on"}),
    "complaint_receipt":       Row("case", "login 200   404   200   404   200   200   404   200"),
    "complaint_receipt_pdf":   Row("case", "login 200   404   200   404   200   200   404   200"),
    "company_lookup":          Row(None, EVERYONE_SIGNED_IN),
    "assisted_filing":         Row(None, "login 403   403   403   403   200   403   403   200",
                                   post=OFFICE_ONLY,
                                   data=lambda w: {"channel": "phone", "email": "nuevo@example.com"}),
    # --- the case file ---
    "complaint_list":          Row(None, EVERYONE_SIGNED_IN),
    "complaint_detail":        Row("case", "login 200   404   200   404   200   200   404   200"),
    # Closed to every role but the office's and the conciliators' before the case is looked up.
    "complaint_export_pdf":    Row("case", "login 403   403   403   403   200   200   404   200"),
    "evidence_download":       Row("evidence", "login 200   404   200   404   200   200   404   200"),
    # Those who see the case but may not withdraw it are told so on the case page.
    "complaint_withdraw":      Row("case", NOBODY_GETS,
                                   post="login -     404   302   404   302   302   404   302",
                                   data=lambda w: {"withdraw-confirm": "on", "withdraw-reason": "Ya no me interesa."}),
    # Who is not on the company's side is refused for who they are (complaints/policy.py).
    "company_answer":          Row("case", NOBODY_GETS,
                                   post="login 403   404   -     404   403   403   404   403",
                                   data=lambda w: {"answer-text": "La empresa no reconoce el reclamo."}),
    "offer_make":              Row("case", NOBODY_GETS,
                                   post="login 403   404   -     404   403   403   404   403",
                                   data=lambda w: {"offer-terms": "Reintegro.", "offer-amount": "1000",
                                                   "offer-fulfil_by": compliance_day(10).isoformat()}),
    # Only the consumer answers the company's offer; the others seeing the case get a 403.
    "offer_accept":            Row("offer", NOBODY_GETS,
                                   post="login -     404   403   404   403   403   404   403"),
    "offer_reject":            Row("offer", NOBODY_GETS,
                                   post="login -     404   403   404   403   403   404   403",
                                   data=lambda w: {"reject-counter_terms": "Quiero el doble."}),
    # --- powers (the office validates them) and the consumer's representative ---
    "power_queue":             Row(None, "login 403   403   403   403   200   403   403   200"),
    # The world's representation has no power uploaded: nobody finds a document.
    "power_document":          Row("representation", "login 404   404   404   404   404   404   404   404"),
    "power_decide":            Row("representation", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"decision": "validate"}),
    "power_upload":            Row("company", NOBODY_GETS,
                                   post="login 404   404   -     404   404   404   404   404",
                                   data=lambda w: {"kind": "general", "document": pdf_upload("poder.pdf")}),
    "consumer_rep_name":       Row("case", NOBODY_GETS,
                                   post="login -     404   403   404   -     403   404   -",
                                   data=lambda w: {"rep-email": "otro@example.com", "rep-kind": "attorney",
                                                   "rep-document": pdf_upload("poder.pdf")}),
    "consumer_rep_document":   Row("consumer_rep", "login 200   404   404   404   200   404   404   200"),
    "consumer_rep_decide":     Row("consumer_rep", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"decision": "validate"}),
    "consumer_rep_revoke":     Row("consumer_rep", NOBODY_GETS,
                                   post="login -     404   403   404   -     403   404   -"),
    # --- admission ---
    "admission_queue":         Row(None, "login 403   403   403   403   200   403   403   200"),
    # The queue's allocation: the supervisor assigns and spreads; any office member takes the next.
    "admission_assign":        Row(None, NOBODY_GETS,
                                   post="login 403   403   403   403   403   403   403   -",
                                   data=lambda w: {"case": w.objects["case"].pk, "officer": w.people["officer"].pk}),
    "admission_take_next":     Row(None, NOBODY_GETS, post=OFFICE_ONLY),
    "admission_balance":       Row(None, NOBODY_GETS,
                                   post="login 403   403   403   403   403   403   403   -"),
    # The at-risk / overdue list (oversight/): the office's, like the admission queue.
    "clock_list":              Row(None, "login 403   403   403   403   200   403   403   200"),
    "complaint_admit":         Row("case", NOBODY_GETS, post=OFFICE_ONLY),
    "complaint_observe":       Row("case", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"observation": "Falta la factura."}),
    "complaint_reject":        Row("case", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"reason": "duplicate", "detail": "Repetido."}),
    # --- serving on paper (complaints/views/paper.py): the office only ---
    "paper_service_list":      Row(None, "login 403   403   403   403   200   403   403   200"),
    "paper_part":              Row("part", "login 403   403   403   403   200   403   403   200"),
    "paper_notice_document":   Row("paper_notice", "login 403   403   403   403   200   403   403   200"),
    "paper_notice_print":      Row("part", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"print-kind": "cedula"}),
    "paper_notice_dispatch":   Row("part", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"dispatch-dispatched_on": "2026-01-02",
                                                   "dispatch-tracking_number": "CD1AR"}),
    "paper_notice_deliver":    Row("part", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"deliver-delivered_on": "2026-01-02"}),
    "paper_notice_fail":       Row("part", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"fail-failed_on": "2026-01-02", "fail-reason": "Se mudó"}),
    "complaint_refer_out":     Row("case", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"authority": "CB", "reason": "Compra en Córdoba."}),
    "complaint_vulnerable":    Row("case", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"categories": ["older_adult"], "note": "Tiene 82 años."}),
    # A possible duplicate (complaints/policy.py): whoever sees the case but is not the office, a 403.
    "duplicate_join":          Row("case", NOBODY_GETS,
                                   post="login 403   404   403   404   -     403   404   -"),
    "duplicate_reject":        Row("case", NOBODY_GETS,
                                   post="login 403   404   403   404   -     403   404   -",
                                   data=lambda w: {"note": "Repetido."}),
    "duplicate_dismiss":       Row("case", NOBODY_GETS,
                                   post="login 403   404   403   404   -     403   404   -",
                                   data=lambda w: {"note": "Otra compra."}),
    # --- companies and staff ---
    # Any staff role, conciliators included, may list, register and manage companies (see the report).
    "company_list":            Row(None, "login 403   403   403   403   200   200   200   200"),
    "company_create":          Row(None, "login 403   403   403   403   200   200   200   200",
                                   post="login 403   403   403   403   -     -     -     -",
                                   data=lambda w: {"cuit": "30500010912", "legal_name": "Nueva S.A."}),
    "company_detail":          Row("company", "login 404   404   200   404   200   200   200   200"),
    "company_invite":          Row("company", NOBODY_GETS,
                                   post="login 404   404   -     404   -     -     -     -",
                                   data=lambda w: {"email": "otro@electrosur.test"}),
    "company_set_sector":      Row("company", NOBODY_GETS,
                                   post="login 403   403   403   403   -     -     -     -",
                                   data=lambda w: {"sector": "telecom"}),
    "company_set_domicile":    Row("company", NOBODY_GETS,
                                   post="login 404   404   -     404   -     -     -     -",
                                   data=lambda w: {"electronic_domicile": "otra@electrosur.test"}),
    # One company: straight to its page.
    "my_companies":            Row(None, "login 403   403   302   302   403   403   403   403"),
    "representation_revoke":   Row("representation", NOBODY_GETS,
                                   post="login 404   404   -     404   -     -     -     -"),
    "invitation_cancel":       Row("invitation", NOBODY_GETS,
                                   post="login 404   404   -     404   -     -     -     -"),
    # The token in the link is what opens the page; accepting needs the invited address (none here),
    # so every POST is refused with a message. A visitor is sent to sign up with the invited address.
    "invitation_accept":       Row(None, "302   200   200   200   200   200   200   200   200",
                                   post="302   302   302   302   302   302   302   302   302"),
    # The survey's signed link is its credential (tests/reporting/test_surveys*.py): a token that is
    # not a survey's (here the invitation's) opens nothing, for anyone, and changes nothing.
    "survey_answer":           Row(None, "404   404   404   404   404   404   404   404   404",
                                   post="404   404   404   404   404   404   404   404   404"),
    # A company's own indicators (reporting/views/company.py): its representatives only, each for
    # the companies they represent (another company's id is a 404: tests/reporting/test_company_figures.py).
    "company_figures":         Row(None, "login 403   403   200   200   403   403   403   403"),
    # Open data (reporting/views/opendata.py): public. The world has no fact rows (the refresh has not
    # run), so no month has a file, for anyone; tests/reporting/test_opendata*.py cover the files.
    "open_data":               Row(None, ANYONE),
    "open_data_file":          Row(None, "404   404   404   404   404   404   404   404   404"),
    # Public transparency (reporting/views/public.py) and its JSON API (reporting/api.py): open to
    # anyone. The world's company has no published figures (the refresh has not run), so its page is a
    # 404 for everyone; tests/reporting/test_public*.py cover published companies.
    "transparency":            Row(None, ANYONE),
    "transparency_company":    Row(None, "404   404   404   404   404   404   404   404   404"),
    "transparency_sector":     Row(None, ANYONE),
    "public_api:companies":    Row(None, ANYONE),
    "public_api:company":      Row(None, "404   404   404   404   404   404   404   404   404"),
    "public_api:sectors":      Row(None, ANYONE),
    "public_api:sector":       Row(None, ANYONE),
    "public_api:openapi-json": Row(None, ANYONE),
    "public_api:openapi-view": Row(None, ANYONE),
    # django-ninja's root of the API: nothing there (the reference is at docs).
    "public_api:api-root":     Row(None, "404   404   404   404   404   404   404   404   404"),
    # The companies' API (api/company_api.py): a signed-in session is not an API key, so everyone
    # gets 401; tests/api/ cover keys, scopes and another company's ids.
    "company_api:cases":             Row(None, API_KEY_ONLY),
    "company_api:case":              Row("case", API_KEY_ONLY),
    "company_api:evidence_download": Row("evidence", API_KEY_ONLY),
    "company_api:hearings":          Row(None, API_KEY_ONLY),
    "company_api:hearing_ics":       Row("hearing", API_KEY_ONLY),
    "company_api:hearing_acta":      Row("held_hearing", API_KEY_ONLY),
    "company_api:hearing_acta_pdf":  Row("held_hearing", API_KEY_ONLY),
    "company_api:openapi-json":      Row(None, ANYONE),
    "company_api:openapi-view":      Row(None, ANYONE),
    "company_api:api-root":          Row(None, "404   404   404   404   404   404   404   404   404"),
    # Its moves (api/routers/actions.py): POST only (django-ninja answers 405 to a GET before asking
    # who), and only with an API key; tests/api/test_writes*.py cover the moves themselves.
    "company_api:case_answer":           Row("case", NOBODY_GETS, post=API_KEY_ONLY),
    "company_api:offer_make":            Row("case", NOBODY_GETS, post=API_KEY_ONLY),
    "company_api:offer_counter_answer":  Row("offer", NOBODY_GETS, post=API_KEY_ONLY),
    "company_api:hearing_acta_confirm":  Row("held_hearing", NOBODY_GETS, post=API_KEY_ONLY),
    "company_api:case_compliance_proof": Row("held", NOBODY_GETS, post=API_KEY_ONLY),
    "staff_list":              Row(None, "login 403   403   403   403   403   403   403   200",
                                   post="login 403   403   403   403   403   403   403   -",
                                   data=lambda w: {"email": "stranger@example.com", "role": "officer"}),
    # A conciliator reads only their own calendar; only a supervisor changes it.
    "conciliator_calendar":    Row("conciliator_profile",
                                   "login 403   403   403   403   403   200   404   200",
                                   post="login 403   403   403   403   403   200   404   -",
                                   data=lambda w: {"dayoff-date": compliance_day(50).isoformat()}),
    "day_off_delete":          Row("day_off", NOBODY_GETS,
                                   post="login 403   403   403   403   403   403   403   -"),
    # --- notifications ---
    # The failures page is for the office's staff; to anyone else it does not exist.
    "notification_failures":   Row(None, "login 404   404   404   404   200   200   200   200"),
    "notification_retry":      Row("failure", NOBODY_GETS,
                                   post="login 404   404   404   404   -     -     -     -"),
    "formal_notice_list":      Row(None, EVERYONE_SIGNED_IN),
    "formal_notice_detail":    Row("notice", "login 404   404   200   404   200   200   200   200"),
    "formal_notice_document":  Row("notice", "login 404   404   200   404   200   200   200   200"),
    # --- scheduling ---
    "hearing_schedule":        Row("served", "login 403   403   403   403   200   403   403   200",
                                   post=OFFICE_ONLY),
    "hearing_list":            Row(None, "login 403   403   403   403   200   403   403   200"),
    "hearing_reschedule":      Row("hearing", "login 403   403   403   403   200   403   403   200",
                                   post=OFFICE_ONLY,
                                   data=lambda w: {"reason": "Pedido de la empresa."}),
    "hearing_cancel":          Row("hearing", "login 403   403   403   403   200   403   403   200",
                                   post=OFFICE_ONLY,
                                   data=lambda w: {"reason": "Error de carga."}),
    "hearing_ics":             Row("hearing", "login 200   404   200   404   200   200   404   200"),
    "hearing_calendar":        Row(None, "login 403   403   403   403   200   200   200   200"),
    # Conciliators are people: a leave (the supervisor), the hearings it leaves without a conciliator
    # and their reassignment (the office), each person's load (the supervisor).
    "conciliator_leave":       Row("conciliator_profile",
                                   "login 403   403   403   403   403   403   403   200",
                                   post="login 403   403   403   403   403   403   403   -",
                                   data=lambda w: {"first_day": compliance_day(60).isoformat()}),
    "hearings_needing_conciliator": Row(None, "login 403   403   403   403   200   403   403   200"),
    "hearing_reassign":        Row("hearing", NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"conciliator": w.people["other_conciliator"].pk,
                                                   "reason": "Licencia de la conciliadora."}),
    "hearing_reassign_day":    Row(None, NOBODY_GETS, post=OFFICE_ONLY,
                                   data=lambda w: {"conciliator": w.people["conciliator"].pk,
                                                   "day": compliance_day(40).isoformat(), "reason": "Licencia."}),
    "people_load":             Row(None, "login 403   403   403   403   403   403   403   200"),
    # --- the room ---
    "hearing_room":            Row("hearing", "login 200   404   200   404   200   200   404   200"),
    # The office may look at the room but is no party: it reports no attendance.
    "hearing_attendance_report": Row("hearing", LOGIN_THEN_405,
                                   post="login -     404   -     404   404   -     404   404"),
    "hearing_attendance_edit": Row("hearing", "login 403   404   403   404   200   200   404   200",
                                   post="login 403   404   403   404   -     -     404   -"),
    "hearing_recording_consent": Row("hearing", LOGIN_THEN_405,
                                   post="login -     404   -     404   404   -     404   404",
                                   data=lambda w: {"consented": "yes"}),
    "hearing_recording_register": Row("hearing", "login 403   404   403   404   200   200   404   200",
                                   post="login 403   404   403   404   -     -     404   -",
                                   data=lambda w: {"url": "https://grabaciones.test/1"}),
    "hearing_recording_download": Row("recording", "login 200   404   200   404   200   200   404   200"),
    # Guests: the office and the hearing's conciliator invite them; the parties see the hearing (403).
    "hearing_guests":          Row("hearing", "login 403   404   403   404   200   200   404   200",
                                   post="login 403   404   403   404   -     -     404   -",
                                   data=lambda w: {"kind": "interpreter", "name": "Juan Señas"}),
    "hearing_guest_revoke":    Row("hearing_guest", LOGIN_THEN_405,
                                   post="login 403   404   403   404   -     -     404   -"),
    # The guest's link needs no account; a key that is nobody's opens nothing, for anyone.
    "hearing_guest_room":      Row(None, "403   403   403   403   403   403   403   403   403"),
    # The video server's endpoint: only its shared secret opens it.
    "jitsi_events":            Row(None, NOBODY_GETS,
                                   post="401   401   401   401   401   401   401   401   401"),
    "jitsi_events_path":       Row(None, NOBODY_GETS,
                                   post="401   401   401   401   401   401   401   401   401"),
    # --- the outcome ---
    "hearing_console":         Row("hearing", "login 403   404   403   404   200   200   404   200"),
    "hearing_outcome":         Row("hearing", NOBODY_GETS,
                                   post="login 403   404   403   404   -     -     404   -",
                                   data=lambda w: {"outcome": "no_agreement", "notes": "Sin acuerdo."}),
    "acta_download":           Row("held_hearing", "login 200   404   200   404   200   200   404   200"),
    # Both parties confirmed already (the conciliator has not): a second confirmation, or the
    # office's, is refused as a message.
    "acta_confirm":            Row("held_hearing", "login 200   404   200   404   200   200   404   200",
                                   post="login 302   404   302   404   302   -     404   302",
                                   data=lambda w: {"sha256": w.objects["held_hearing"].acta.sha256, "agree": "on"}),
    # Homologation: the director or a delegate (no column here: tests/hearings/test_homologation.py);
    # an officer or supervisor without the delegation is refused (403), a stranger sees no case (404).
    "agreement_approve":       Row("held", NOBODY_GETS,
                                   post="login 403   404   403   404   403   403   404   403"),
    "homologation_queue":      Row(None, "login 403   403   403   403   403   403   403   403"),
    "homologation_delegation": Row(None, "login 403   403   403   403   403   403   403   403"),
    "homologation_delegation_toggle": Row("staff_member", NOBODY_GETS,
                                   post="login 403   403   403   403   403   403   403   403",
                                   data=lambda w: {"grant": "1"}),
    "disposition_download":    Row("held", "login 200   404   200   404   200   200   404   200"),
    "instalment_answer":       Row("instalment", NOBODY_GETS,
                                   post="login -     404   403   404   -     403   404   -",
                                   data=lambda w: {"paid": "yes"}),
    "instalment_proof_upload": Row("instalment", NOBODY_GETS,
                                   post="login 403   404   -     404   403   403   404   403",
                                   data=lambda w: {"proof": pdf_upload("cuota.pdf")}),
    # No proof was uploaded for it: nothing to download, for anyone.
    "instalment_proof_download": Row("instalment", "login 404   404   404   404   404   404   404   404"),
    # The company was absent: only its side may justify (and it already did: a message).
    "absence_justify":         Row("absent_hearing", "login 403   404   302   404   403   403   404   403",
                                   post="login 403   404   302   404   403   403   404   403",
                                   data=lambda w: {"text": "Estuve enfermo.", "file": pdf_upload("certificado.pdf")}),
    "absence_decide":          Row("justification", "login 403   403   403   403   200   403   403   200",
                                   post=OFFICE_ONLY,
                                   data=lambda w: {"decision": "reject", "reason": "Sin respaldo."}),
    # The consumer does not read the company's justification file; for her it does not exist.
    "absence_justification_file": Row("justification", "login 404   404   200   404   200   200   404   200"),
    # The consumer (or the office, for her) answers whether the agreement was honoured.
    "compliance_answer":       Row("held", "login 200   404   403   404   200   403   404   200",
                                   post="login -     404   403   404   -     403   404   -",
                                   data=lambda w: {"complied": "yes"}),
    "compliance_proof_upload": Row("held", "login 403   404   200   404   403   403   404   403",
                                   post="login 403   404   -     404   403   403   404   403",
                                   data=lambda w: {"file": pdf_upload("transferencia.pdf"), "note": "Pagado."}),
    "compliance_proof_download": Row("proof", "login 200   404   200   404   200   200   404   200"),
    # A pending justification: the office is told it cannot refer the case yet.
    "case_refer":              Row("absent", "login 403   403   403   403   302   403   403   302",
                                   post=OFFICE_ONLY,
                                   data=lambda w: {"reason": "Incomparecencia."}),
    # --- the legal directorate (legal/): its pages are its own and the supervisor's; a received
    # proceeding, not yet acknowledged. Who sees the proceeding (the consumer, the company, the
    # supervisor) and may not make the directorate's moves gets a 403; the company's side is told
    # its defence or appeal is not possible now; who does not see it, a 404.
    "legal_queue":             Row(None, "login 403   403   403   403   403   403   403   200"),
    "legal_proceeding":        Row("proceeding", "login 403   403   403   403   403   403   403   200"),
    "legal_referral_file":     Row("proceeding", "login 403   403   403   403   403   403   403   200"),
    # No defence was filed: there is nothing to download, for anyone.
    "legal_defence_file":      Row("proceeding", "login 404   404   404   404   404   404   404   404"),
    "legal_receive":           Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   403   404   404   404   404   403"),
    "legal_charge":            Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   403   404   404   404   404   403",
                                   data=lambda w: {"charge-text": "Imputación."}),
    "legal_archive":           Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   403   404   404   404   404   403",
                                   data=lambda w: {"archive-reason": "Sin infracción."}),
    "legal_resolve":           Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   403   404   404   404   404   403"),
    "legal_finalize":          Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   403   404   404   404   404   403"),
    "legal_decide_appeal":     Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   403   404   404   404   404   403"),
    "legal_defence":           Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   302   404   404   404   404   403",
                                   data=lambda w: {"defence-text": "Descargo."}),
    "legal_appeal":            Row("proceeding", LOGIN_THEN_405,
                                   post="login 403   404   302   404   404   404   404   403",
                                   data=lambda w: {"appeal-text": "Apelamos."}),
    # --- personal data (Ley 25.326): the supervisor's pages do not exist for anyone else ---
    "access_log":              Row(None, "login 404   404   404   404   404   404   404   200"),
    "data_request_list":       Row(None, "login 404   404   404   404   404   404   404   200"),
    "data_request_close":      Row("data_request", NOBODY_GETS, post=SUPERVISOR_ONLY_404),
    # --- the office calendar (workdays/): its supervisors (and director) only; a 403 for the rest ---
    "office_calendar":         Row(None, "login 403   403   403   403   403   403   403   200"),
    "non_working_day_declare": Row(None, NOBODY_GETS, post="login 403   403   403   403   403   403   403   -"),
    "non_working_day_remove":  Row("non_working_day", "login 403   403   403   403   403   403   403   200",
                                   post="login 403   403   403   403   403   403   403   -"),
    # --- the office's indicators (reporting/views/dashboard.py): its supervisors and the director
    # (no column here: tests/reporting/test_dashboard.py); a 403 for the rest, as on the office pages.
    # The download without parameters is the whole dashboard as one workbook.
    "dashboard":               Row(None, "login 403   403   403   403   403   403   403   200"),
    "dashboard_export":        Row(None, "login 403   403   403   403   403   403   403   200"),
    # The survey answers and their comments (reporting/views/surveys.py): the same people, the same 403.
    "survey_answers":          Row(None, "login 403   403   403   403   403   403   403   200"),
    # --- the company's API keys and webhooks (api/views/): its administrators only. Whoever represents
    # no company (consumers, the office) is refused whatever the company, as on its indicators; another
    # company's administrator does not see the company (404).
    "company_api_keys":        Row("company", "login 403   403   200   404   403   403   403   403",
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"name": "Otra", "scopes": ["read"]}),
    "company_api_log":         Row("company", "login 403   403   200   404   403   403   403   403"),
    "company_api_key_revoke":  Row("api_key", "login 403   403   200   404   403   403   403   403",
                                   post="login 403   403   -     404   403   403   403   403"),
    "company_webhooks":        Row("company", "login 403   403   200   404   403   403   403   403",
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"url": "https://otro.electrosur.test/h", "events": ["case.served"]}),
    "company_webhook":         Row("webhook_endpoint", "login 403   403   200   404   403   403   403   403"),
    "company_webhook_edit":    Row("webhook_endpoint", "login 403   403   200   404   403   403   403   403",
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"url": "https://otro.electrosur.test/h", "events": ["acta.ready"]}),
    "company_webhook_rotate":  Row("webhook_endpoint", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403"),
    "company_webhook_disable": Row("webhook_endpoint", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403"),
    "company_webhook_enable":  Row("webhook_endpoint", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403"),
    "company_webhook_resend":  Row("webhook_delivery", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403"),
    # --- the company's desk (companydesk/): its representatives, each for their own company (another
    # company's id is a 404: tests/companydesk/); assigning and the rules are its administrators' (a
    # representative who is not one gets a 403: tests/companydesk/test_desk_bulk.py, test_rules_pages.py).
    "companydesk_cases":       Row("company", "login 403   403   200   404   403   403   403   403"),
    "companydesk_assign":      Row("company", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"scope": "all", "to": w.people["representative"].pk,
                                                   "confirm": "1"}),
    "companydesk_acknowledge": Row("company", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"scope": "all", "confirm": "1"}),
    "companydesk_export_csv":  Row("company", "login 403   403   200   404   403   403   403   403"),
    "companydesk_export_xlsx": Row("company", "login 403   403   200   404   403   403   403   403"),
    "companydesk_rules":       Row("company", "login 403   403   200   404   403   403   403   403",
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"assignee": w.people["representative"].pk}),
    "companydesk_rule_move":   Row("company", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"rule": "1", "direction": "down"}),
    "companydesk_rule_delete": Row("company", NOBODY_GETS,
                                   post="login 403   403   -     404   403   403   403   403",
                                   data=lambda w: {"rule": "1"}),
}
# fmt: on

# Cells where the code answers otherwise than the table, each a bug reported to the lead. The matrix
# tests skip them; `test_a_known_bug_is_still_there` checks each one and fails once it is fixed.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}

# Rows no person acts on: changing nothing, they are not in the world's fingerprint.
UNTRACKED_MODELS = {"privacy.accesslog"}  # every signed-in request may add a row
UNTRACKED_FIELDS = {"last_login", "updated_at", "read_at"}


# --- Asking -------------------------------------------------------------------------------------


def url_of(name: str, route: str, world: World, *, pk: int | None = None) -> str:
    """The URL `name` with its kwargs filled from the world, by kwarg name and by the row's object."""
    kwargs: dict[str, object] = {}
    for kwarg in re.findall(r"<(?:\w+:)?(\w+)>", route):
        if kwarg == "pk" or kwarg in ("case_id", "hearing_id", "offer_id", "evidence_id"):  # the API's ids
            obj = TABLE[name].obj
            assert obj is not None, f"{name} takes a pk: name the world's object in its row"
            kwargs[kwarg] = pk if pk is not None else world.objects[obj].pk  # type: ignore[attr-defined]
        elif kwarg == "company_pk":  # the company of a company page's object (api/urls.py)
            kwargs["company_pk"] = world.objects["company"].pk  # type: ignore[attr-defined]
        elif kwarg == "step":
            kwargs["step"] = 1
        elif kwarg == "token":
            kwargs["token"] = world.objects["invitation"].token  # type: ignore[attr-defined]
        elif kwarg == "key":
            kwargs["key"] = "not-a-guest-key"
        elif kwarg == "suffix":
            kwargs["suffix"] = "events/occupant/joined"
        elif kwarg == "cuit":  # a company's public figures: the world's company
            kwargs["cuit"] = world.objects["company"].cuit  # type: ignore[attr-defined]
        elif kwarg == "sector":
            kwargs["sector"] = "telecom"
        elif kwarg in ("year", "month", "fmt"):  # an open-data file: January 2026, as CSV
            kwargs[kwarg] = {"year": 2026, "month": "01", "fmt": "csv"}[kwarg]
        else:
            raise AssertionError(f"{name}: no value for the URL kwarg <{kwarg}>; add one to url_of()")
    return reverse(name, kwargs=kwargs)


def clients_for(world: World, client_for) -> dict[str, Client]:
    return {
        role: Client(HTTP_ACCEPT_LANGUAGE="en") if person is None else client_for(person)
        for role, person in world.people.items()
    }


def answer_of(response) -> str:
    if response.status_code == 302:
        return "login" if response["Location"].startswith(reverse("account_login")) else "302"
    return str(response.status_code)


def ask(client: Client, method: str, url: str, name: str, world: World) -> str:
    if method == "GET":
        return answer_of(client.get(url))
    if name == "hearing_attendance_report":
        body = {"event": "joined", "event_id": "page-1", "display_name": "X"}
        return answer_of(client.post(url, body, content_type="application/json"))
    make_data = TABLE[name].data
    return answer_of(client.post(url, make_data(world) if callable(make_data) else {}))


def agrees(expected: str, got: str) -> bool:
    return got in expected.split("|")


def fingerprint() -> dict[str, list[tuple]]:
    """Every row of the project's own models (what a refused move must leave as it was), and the
    stored files."""
    state: dict[str, list[tuple]] = {}
    for label in ("parties", "complaints", "hearings", "notifications", "privacy", "legal", "api"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.label_lower in UNTRACKED_MODELS:
                continue
            fields = [f.attname for f in model._meta.concrete_fields if f.attname not in UNTRACKED_FIELDS]
            state[model._meta.label_lower] = list(model._default_manager.order_by("pk").values_list(*fields))
    media = Path(settings.MEDIA_ROOT)
    state["files"] = sorted((str(p), p.stat().st_size) for p in media.rglob("*") if p.is_file())
    return state


def changes(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [key for key in before if before[key] != after.get(key)]


# --- The tests ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _pdfs_are_not_drawn(monkeypatch):
    """Who gets a PDF is the question here, not how it looks (tests/complaints covers that): drawing
    each one would take most of this module's time."""
    for view in ("complaints.views.case_file", "complaints.views.receipt", "legal.views"):
        monkeypatch.setattr(f"{view}.render_pdf", lambda template, context, request=None: b"%PDF-1.4 stub")


def test_every_named_url_has_a_row_in_the_table(db):
    routes = named_patterns()
    missing = sorted(set(routes) - set(TABLE))
    assert not missing, "URLs with no row in TABLE (say who gets what): " + ", ".join(
        f"{name} (/{routes[name]})" for name in missing
    )
    stale = sorted(set(TABLE) - set(routes))
    assert not stale, f"rows for URLs that no longer exist: {stale}"


def test_every_row_has_an_answer_for_every_role():
    for row in TABLE.values():
        row.answers("GET")
        if row.post is not None:
            row.answers("POST")


def test_every_role_gets_what_the_table_says_on_get(world, client_for):
    clients = clients_for(world, client_for)
    wrong = []
    for name, route in sorted(named_patterns().items()):
        for role, expected in TABLE[name].answers("GET").items():
            if (name, "GET", role) in KNOWN_BUGS:
                continue
            got = ask(clients[role], "GET", url_of(name, route, world), name, world)
            if not agrees(expected, got):
                wrong.append(f"GET {name} as {role}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_a_refused_post_gets_what_the_table_says_and_changes_nothing(world, client_for):
    clients = clients_for(world, client_for)
    wrong = []
    for name, route in sorted(named_patterns().items()):
        if TABLE[name].post is None:
            continue
        refused = [
            (role, expected)
            for role, expected in TABLE[name].answers("POST").items()
            if expected != "-" and (name, "POST", role) not in KNOWN_BUGS
        ]
        before = fingerprint()
        for role, expected in refused:
            got = ask(clients[role], "POST", url_of(name, route, world), name, world)
            if not agrees(expected, got):
                wrong.append(f"POST {name} as {role}: expected {expected}, got {got}")
        if changed := changes(before, fingerprint()):
            wrong.append(f"POST {name}, refused to {[role for role, _ in refused]}, changed {changed}")
    assert not wrong, "\n".join(wrong)


def test_a_stranger_learns_nothing_an_object_exists(world, client_for):
    """Whatever the table refuses someone outside the case (the matrix tests check that they get
    it), they get the same for an object that does not exist: a 404, or the refusal their role meets
    on that page whatever the object. Never a 403 that a 404 elsewhere would tell apart."""
    clients = clients_for(world, client_for)
    wrong = []
    for name, route in sorted(named_patterns().items()):
        row = TABLE[name]
        if row.obj is None:
            continue
        for method in ("GET", "POST") if row.post is not None else ("GET",):
            for role, expected in row.answers(method).items():
                if role not in STRANGERS or expected in ("200", "302", "-"):
                    continue
                missing = ask(clients[role], method, url_of(name, route, world, pk=2_000_000_000), name, world)
                if expected != missing:
                    wrong.append(f"{method} {name} as {role}: {expected} for the object, {missing} for none")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "cell",
    [pytest.param(cell, marks=pytest.mark.xfail(strict=True, reason=reason)) for cell, reason in KNOWN_BUGS.items()]
    or [pytest.param(None, marks=pytest.mark.skip(reason="no known bugs"))],
)
def test_a_known_bug_is_still_there(cell, world, client_for):
    name, method, role = cell
    expected = TABLE[name].answers(method)[role]
    url = url_of(name, named_patterns()[name], world)

    assert agrees(expected, ask(clients_for(world, client_for)[role], method, url, name, world))
