"""The reviewer's findings on the legal directorate, each as behaviour: notices served before any
deadline runs, the appeal's result, paper writings filed in time, the referral reasons, the single
company case without agreement, anonymisation, stored files, form ids, and the calendar and reminders."""

from datetime import timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import timezone, translation

from complaints.models import CaseCompany, CaseEvent, PartStatus
from complaints.states import State
from hearings.models import Hearing
from hearings.services.absences import act_on_expired_part_absences
from hearings.services.outcome import CompanyOutcome, outcome_record
from legal import policy
from legal.errors import LegalError
from legal.models import AppealOutcome, Proceeding, ProceedingStatus, ReferralReason
from legal.receivers import part_referral_reason
from legal.services import (
    close_expired_appeal_windows,
    close_expired_defence_windows,
    proceeding_charge,
    proceeding_decide_appeal,
    proceeding_file_appeal,
    proceeding_file_defence,
    proceeding_finalize,
    proceeding_receive,
    proceeding_resolve,
    recompute_legal_deadlines,
    remind_companies_of_legal_deadlines,
)
from notifications.models import FormalNotice, Notification
from notifications.services import formal_notice_open
from parties.models import NonWorkingDay, Representation
from tests.hearings.test_outcome_support import compliance_day, hearing_under_way
from tests.hearings.test_several_companies import three  # noqa: F401  (the fixture)
from tests.legal.conftest import pdf, serve_charge, serve_resolution
from tests.notifications.helpers import rendered

S = ProceedingStatus


def events(proceeding: Proceeding, action: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(complaint_id=proceeding.complaint_id, action=action).order_by("pk"))


def legal_rows(event: CaseEvent):
    return Notification.objects.filter(event="legal_update", idempotency_key__startswith=f"case-event:{event.pk}:")


@pytest.fixture
def received(proceeding, legal_officer):
    return proceeding_receive(proceeding=proceeding, by=legal_officer)


@pytest.fixture
def sanctioned(received, legal_officer, representative):
    proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")
    proceeding_file_defence(proceeding=received, by=representative, text="Descargo.")
    proceeding_resolve(
        proceeding=received, by=legal_officer, sanction=True, text="Multa.", act_number="Disp. 9/2026", fine_units=900
    )
    return serve_resolution(received, representative)


# --- 1 and 2: served before any deadline runs -------------------------------------------------------


def test_it_refuses_to_charge_a_company_without_an_electronic_domicile(received, legal_officer, company, client_for):
    company.electronic_domicile = ""
    company.save(update_fields=["electronic_domicile"])
    received.refresh_from_db()
    with pytest.raises(LegalError, match=r"no electronic domicile.*Serve it on paper first"):
        proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")
    received.refresh_from_db()
    assert received.status == S.RECEIVED and not FormalNotice.objects.filter(idempotency_key__startswith="legal:")
    assert not events(received, "legal_charged")
    # The page says why instead of offering the charge.
    page = client_for(legal_officer).get(reverse("legal_proceeding", args=[received.pk])).content.decode()
    assert reverse("legal_charge", args=[received.pk]) not in page and "Serve it on paper first" in page


def test_the_defence_window_starts_when_the_notice_is_opened_through_the_served_signal(
    received, legal_officer, representative, django_capture_on_commit_callbacks
):
    proceeding = proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")
    assert proceeding.defence_due_at is None
    assert proceeding.charge_notice is not None
    # Opened an hour before it would be deemed served: "three days later" was after that deadline when
    # the charge was made just after midnight (the deadline ends a business day at 23:59:59).
    later = proceeding.charge_notice.deemed_served_at - timedelta(hours=1)
    assert later > timezone.now()
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        formal_notice_open(notice=proceeding.charge_notice, by=representative)
    proceeding.refresh_from_db()
    assert proceeding.defence_started_at == later
    assert proceeding.defence_due_at is not None and proceeding.defence_due_at > later
    assert len(events(proceeding, "legal_charge_served")) == 1


def test_the_beat_never_lapses_or_finalises_a_window_that_has_not_started(received, legal_officer, representative):
    proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")
    proceeding_file_defence(proceeding=received, by=representative, text="Descargo.")
    proceeding = proceeding_resolve(
        proceeding=received, by=legal_officer, sanction=True, text="Multa.", act_number="Disp. 1/2026", fine_units=50
    )
    assert proceeding.appeal_due_at is None
    with time_machine.travel(timezone.now() + timedelta(days=60), tick=False):
        assert close_expired_appeal_windows() == 0
        assert not policy.allowed(policy.FINALIZE, legal_officer, proceeding)
        with pytest.raises(LegalError, match="not been served"):
            proceeding_finalize(proceeding=proceeding, by=legal_officer)


# --- 5: the appeal's result -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "units", "status", "action", "fine"),
    [
        (AppealOutcome.CONFIRMED, None, S.FINAL, "sanction_confirmed", 900),
        (AppealOutcome.REDUCED, 400, S.FINAL, "fine_reduced", 400),
        (AppealOutcome.REVOKED, None, S.REVOKED, "sanction_revoked", None),
    ],
)
def test_it_records_the_appeals_result_as_its_own_outcome(
    sanctioned, legal_officer, representative, consumer, outcome, units, status, action, fine
):
    proceeding_file_appeal(proceeding=sanctioned, by=representative, text="Apelamos.")
    proceeding = proceeding_decide_appeal(
        proceeding=sanctioned, by=legal_officer, outcome=outcome, text="La Cámara resolvió.", fine_units=units
    )
    assert (proceeding.status, proceeding.appeal_outcome, proceeding.fine_units) == (status, outcome, fine)
    assert proceeding.fine_units_imposed == 900 and proceeding.appeal_result == "La Cámara resolvió."
    (event,) = events(proceeding, action)
    assert not events(proceeding, "legal_final")
    body = rendered(legal_rows(event).get(recipient=consumer, channel="email")).body_text
    if outcome == AppealOutcome.REVOKED:
        assert "se revocó la sanción" in body and "no hay multa" in body
    elif outcome == AppealOutcome.REDUCED:
        assert "se redujo a 400" in body and "400" in event.reason and "900" in event.reason
    else:
        assert "queda confirmada" in body


def test_a_reduced_fine_must_be_lower_than_the_one_imposed(sanctioned, legal_officer, representative):
    proceeding_file_appeal(proceeding=sanctioned, by=representative, text="Apelamos.")
    with pytest.raises(LegalError, match="less than the 900"):
        proceeding_decide_appeal(
            proceeding=sanctioned, by=legal_officer, outcome=AppealOutcome.REDUCED, text="x", fine_units=900
        )


# --- 6: writings filed on paper in time --------------------------------------------------------------


def test_a_paper_defence_filed_in_time_but_recorded_after_the_lapse_reopens_the_proceeding(
    received, legal_officer, representative
):
    proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")
    proceeding = serve_charge(received, representative)
    assert proceeding.defence_due_at is not None
    due_day = timezone.localdate(proceeding.defence_due_at)
    with time_machine.travel(proceeding.defence_due_at + timedelta(days=3), tick=False):
        assert close_expired_defence_windows() == 1
        proceeding.refresh_from_db()
        assert proceeding.status == S.AWAITING_RESOLUTION
        # The company itself can no longer file; the directorate records what the counter received.
        assert not policy.allowed(policy.FILE_DEFENCE, representative, proceeding)
        with pytest.raises(LegalError, match="after its deadline"):
            proceeding_file_defence(
                proceeding=proceeding, by=legal_officer, text="Tarde.", filed_on=due_day + timedelta(days=1)
            )
        proceeding = proceeding_file_defence(
            proceeding=proceeding, by=legal_officer, text="Descargo en mesa de entradas.", filed_on=due_day
        )
    assert (proceeding.status, proceeding.defence_filed_on, proceeding.defence_on_paper) == (
        S.DEFENCE_FILED,
        due_day,
        True,
    )
    (filed,) = events(proceeding, "defence_filed")
    assert f"{due_day:%d/%m/%Y}" in filed.reason and "Se presentó en término" in filed.reason


def test_a_paper_appeal_filed_in_time_is_recorded_even_after_the_beat_made_the_sanction_final(
    sanctioned, legal_officer
):
    due_day = timezone.localdate(sanctioned.appeal_due_at)
    with time_machine.travel(sanctioned.appeal_due_at + timedelta(days=2), tick=False):
        assert close_expired_appeal_windows() == 1
        sanctioned.refresh_from_db()
        assert sanctioned.status == S.FINAL
        proceeding = proceeding_file_appeal(proceeding=sanctioned, by=legal_officer, text="Recurso.", filed_on=due_day)
    assert (proceeding.status, proceeding.appeal_filed_on, proceeding.final_at) == (S.APPEALED, due_day, None)


# --- 7: referral reasons without reading translated words --------------------------------------------


def test_a_company_referred_on_its_own_for_its_absence_keeps_that_reason_in_any_language(
    three,  # noqa: F811
    conciliator,
):
    hearing, parts, _reps = three
    a, b, c = parts
    with translation.override("es-ar"):
        outcome_record(
            hearing=hearing,
            by=conciliator,
            outcome=Hearing.Outcome.AGREEMENT,
            per_company={
                a.pk: CompanyOutcome(Hearing.Outcome.AGREEMENT, terms="Cambio.", compliance_due=compliance_day()),
                b.pk: CompanyOutcome(Hearing.Outcome.COMPANY_ABSENT),
                c.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT),
            },
        )
        with time_machine.travel(timezone.now() + timedelta(days=20), tick=False):
            assert act_on_expired_part_absences() == 1
    reasons = dict(Proceeding.objects.filter(complaint=hearing.complaint).values_list("part_id", "referral_reason"))
    assert reasons == {b.pk: ReferralReason.COMPANY_ABSENT, c.pk: ReferralReason.NO_AGREEMENT}
    # The reason's words do not matter: only the part's moves and outcomes do.
    referred = CaseEvent.objects.filter(complaint=hearing.complaint, action="part_referred").order_by("pk").last()
    assert referred is not None
    referred.reason = "Texto cualquiera"
    assert part_referral_reason(CaseCompany.objects.get(pk=b.pk), referred) == ReferralReason.COMPANY_ABSENT


def test_the_data_migration_opens_proceedings_for_parts_referred_on_their_own(three, conciliator):  # noqa: F811
    hearing, parts, _reps = three
    a, b, c = parts
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Hearing.Outcome.AGREEMENT,
        per_company={
            a.pk: CompanyOutcome(Hearing.Outcome.AGREEMENT, terms="Cambio.", compliance_due=compliance_day()),
            b.pk: CompanyOutcome(Hearing.Outcome.COMPANY_ABSENT),
            c.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT),
        },
    )
    Proceeding.objects.all().delete()  # as before the directorate had its queue
    import importlib

    migration = importlib.import_module("legal.migrations.0002_open_proceedings_for_earlier_referrals")
    migration.open_proceedings(django_apps, None)
    (proceeding,) = Proceeding.objects.all()
    assert (proceeding.part_id, proceeding.referral_reason) == (c.pk, ReferralReason.NO_AGREEMENT)
    assert proceeding.referral_note.startswith("Banco Cuotas S.A. (")  # its own referral's words


# --- 8: a single company case that ended without agreement -------------------------------------------


def test_a_case_without_agreement_reaches_the_queue_and_receiving_it_refers_the_case(
    consumer, company, officer, conciliator, legal_officer
):
    hearing = hearing_under_way(consumer, company, officer, conciliator)
    outcome_record(hearing=hearing, by=conciliator, outcome=Hearing.Outcome.NO_AGREEMENT, notes="Sin acuerdo.")
    case = hearing.complaint
    case.refresh_from_db()
    assert case.status == State.NO_AGREEMENT  # the case stays as it was
    (proceeding,) = Proceeding.objects.filter(complaint=case)
    assert (proceeding.status, proceeding.referral_reason) == (S.RECEIVED, ReferralReason.NO_AGREEMENT)

    proceeding_receive(proceeding=proceeding, by=legal_officer)
    case.refresh_from_db()
    assert case.status == State.REFERRED
    assert CaseCompany.objects.get(pk=proceeding.part_id).status == PartStatus.REFERRED
    (refer,) = CaseEvent.objects.filter(complaint=case, action="refer")
    assert refer.actor is None and "dirección jurídica" in refer.reason
    assert Notification.objects.filter(event="complaint_referred", recipient=consumer).exists()
    assert Proceeding.objects.filter(complaint=case).count() == 1


# --- 10: anonymisation -------------------------------------------------------------------------------


def test_anonymising_the_case_blanks_the_proceedings_words_and_removes_the_defence_after_commit(
    received, legal_officer, representative, django_capture_on_commit_callbacks
):
    from privacy.services.anonymisation import case_anonymise

    proceeding_charge(proceeding=received, by=legal_officer, text="Imputación a Juan Pérez, DNI 20.123.456.")
    proceeding = proceeding_file_defence(proceeding=received, by=representative, text="Descargo.", file=pdf())
    storage, name, digest = proceeding.defence_file.storage, proceeding.defence_file.name, proceeding.defence_sha256
    assert name is not None and storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert case_anonymise(complaint_id=proceeding.complaint_id) is not None
    proceeding.refresh_from_db()
    assert (proceeding.charge_text, proceeding.defence_text, proceeding.referral_note) == ("", "", "")
    assert not proceeding.defence_file and proceeding.defence_sha256 == digest
    assert not storage.exists(name)


# --- 11: stored files and form ids ------------------------------------------------------------------


def test_a_defence_document_stored_by_a_move_that_rolls_back_leaves_the_storage(
    received, legal_officer, representative, monkeypatch, settings
):
    proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("legal.services.moves.tell", broken)
    with pytest.raises(RuntimeError):
        proceeding_file_defence(proceeding=received, by=representative, text="Descargo.", file=pdf())
    folder = settings.MEDIA_ROOT / "legal" / "defences"
    assert not folder.exists() or not list(folder.iterdir())
    received.refresh_from_db()
    assert received.status == S.CHARGED and not received.defence_file


def test_one_person_sees_each_proceedings_form_with_its_own_ids(three, conciliator, legal_officer, client_for):  # noqa: F811
    hearing, parts, reps = three
    a, b, c = parts
    outcome_record(
        hearing=hearing,
        by=conciliator,
        outcome=Hearing.Outcome.AGREEMENT,
        per_company={
            a.pk: CompanyOutcome(Hearing.Outcome.AGREEMENT, terms="Cambio.", compliance_due=compliance_day()),
            b.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT),
            c.pk: CompanyOutcome(Hearing.Outcome.NO_AGREEMENT),
        },
    )
    lawyer = reps[1]  # the maker's representative also represents the bank
    Representation.objects.create(
        user=lawyer, company=c.company, is_admin=True, power_kind="special", power_status="validated"
    )
    proceedings = list(Proceeding.objects.filter(complaint=hearing.complaint).order_by("pk"))
    assert len(proceedings) == 2
    for proceeding in proceedings:
        proceeding_receive(proceeding=proceeding, by=legal_officer)
        proceeding_charge(proceeding=proceeding, by=legal_officer, text="Imputación.")
    page = client_for(lawyer).get(reverse("complaint_detail", args=[hearing.complaint_id])).content.decode()
    for proceeding in proceedings:
        assert f'id="id_defence-{proceeding.pk}-text"' in page
    response = client_for(lawyer).post(
        reverse("legal_defence", args=[proceedings[1].pk]), {f"defence-{proceedings[1].pk}-text": "Descargo."}
    )
    assert response.status_code == 302
    assert [Proceeding.objects.get(pk=p.pk).status for p in proceedings] == [S.CHARGED, S.DEFENCE_FILED]


# --- 3 and 9: the calendar and the reminders --------------------------------------------------------


def test_a_day_declared_non_working_extends_an_open_defence_window(received, legal_officer, representative, supervisor):
    proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")
    proceeding = serve_charge(received, representative)
    old = proceeding.defence_due_at
    assert old is not None
    day = timezone.localdate(old)
    NonWorkingDay.objects.create(date=day, reason="Asueto", created_by=supervisor)
    from parties.business_days import calendar_changed

    calendar_changed()
    (changed,) = recompute_legal_deadlines(day=day)
    assert changed[1:3] == ("defence", old) and changed[3] > old
    proceeding.refresh_from_db()
    assert proceeding.defence_due_at == changed[3]
    assert recompute_legal_deadlines(day=day) == []


def test_the_company_is_reminded_once_before_its_window_closes(received, legal_officer, representative, consumer):
    proceeding_charge(proceeding=received, by=legal_officer, text="Imputación.")
    proceeding = serve_charge(received, representative)
    assert proceeding.defence_due_at is not None
    assert remind_companies_of_legal_deadlines() == 0  # five business days ahead: not yet
    with time_machine.travel(proceeding.defence_due_at - timedelta(days=1), tick=False):
        assert remind_companies_of_legal_deadlines() == 1
        assert remind_companies_of_legal_deadlines() == 0
    rows = Notification.objects.filter(event="legal_update", idempotency_key__startswith=f"legal:{proceeding.pk}:")
    assert set(rows.values_list("recipient__email", flat=True)) == {representative.email}
    assert "Recordatorio" in rendered(rows.get(channel="email")).body_text
