"""A referral through the legal directorate to a fine, with its notices and deadlines.

No agreement → the office refers → the company's proceeding is received → acknowledged → charged
(the company notified with its 5-business-day deadline) → defence by a representative who binds the
company → sanctioned with 500 UF (the appeal window opens) → final by the beat once the window passes,
once. And the archive path."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints.models import CaseEvent, PartStatus
from complaints.states import State
from legal.errors import LegalError
from legal.models import Proceeding, ProceedingStatus, ReferralReason
from legal.services import (
    close_expired_appeal_windows,
    close_expired_defence_windows,
    proceeding_archive,
    proceeding_charge,
    proceeding_file_appeal,
    proceeding_file_defence,
    proceeding_finalize,
    proceeding_receive,
    proceeding_resolve,
)
from notifications.models import FormalNotice, Notification
from parties.business_days import add_business_days
from tests.legal.conftest import pdf, refer_for_absence, serve_charge
from tests.notifications.helpers import rendered

S = ProceedingStatus


def events(proceeding: Proceeding, action: str) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(complaint_id=proceeding.complaint_id, action=action))


def rows_of(action_event: CaseEvent):
    """The outbox rows this move wrote (every recipient and channel, and the electronic domicile)."""
    return Notification.objects.filter(
        event="legal_update", idempotency_key__startswith=f"case-event:{action_event.pk}:"
    )


def told(action_event: CaseEvent) -> set[str]:
    """Who has an outbox row for this move (any channel)."""
    return set(rows_of(action_event).exclude(recipient=None).values_list("recipient__email", flat=True))


def end_of_business_day(start: datetime, days: int) -> datetime:
    due = add_business_days(timezone.localtime(start).date(), days)
    return timezone.make_aware(datetime.combine(due, time(23, 59, 59)))


def test_it_opens_a_received_proceeding_when_a_case_without_agreement_is_referred(proceeding, company):
    case = proceeding.complaint
    case.refresh_from_db()
    assert case.status == State.REFERRED
    assert proceeding.part.status == PartStatus.REFERRED
    assert (proceeding.status, proceeding.referral_reason) == (S.RECEIVED, ReferralReason.NO_AGREEMENT)
    assert (proceeding.company_name, proceeding.company_cuit) == (company.legal_name, company.cuit)
    assert proceeding.acknowledged_at is None
    assert "Sin acuerdo en la audiencia." in proceeding.referral_note


def test_it_takes_a_referral_through_charge_defence_and_fine_to_final(
    proceeding, legal_officer, representative, unvalidated_representative, consumer, company
):
    start = timezone.now()

    proceeding_receive(proceeding=proceeding, by=legal_officer)
    (received,) = events(proceeding, "legal_received")
    assert received.actor == legal_officer
    assert told(received) == {consumer.email, representative.email, unvalidated_representative.email}

    proceeding = proceeding_charge(proceeding=proceeding, by=legal_officer, text="Infracción al art. 19 LDC.")
    # Served as a formal notice on the electronic domicile: no deadline runs until it is served.
    assert (proceeding.status, proceeding.defence_due_at, proceeding.defence_started_at) == (S.CHARGED, None, None)
    notice = proceeding.charge_notice
    assert notice.address == company.electronic_domicile and "Infracción al art. 19 LDC." in notice.body
    assert Notification.objects.filter(event="formal_notice", address=company.electronic_domicile, formal=True)
    (charged,) = events(proceeding, "legal_charged")
    assert "Infracción al art. 19 LDC." in charged.reason and company.electronic_domicile in charged.reason
    assert told(charged) >= {consumer.email, representative.email}
    assert not rows_of(charged).filter(formal=True).exists()  # news; the formal notice is the cédula

    # Two days later a representative opens it: the 5 business days run from then.
    opened = start + timedelta(days=2)
    with time_machine.travel(opened, tick=False):
        proceeding = serve_charge(proceeding, representative)
    due = end_of_business_day(opened, 5)
    assert (proceeding.defence_started_at, proceeding.defence_due_at) == (opened, due)
    (served,) = events(proceeding, "legal_charge_served")
    assert f"{due:%d/%m/%Y}" in served.reason and served.actor is None
    body = rendered(rows_of(served).get(recipient=representative, channel="email")).body_text
    assert f"{due.day}" in body and "puede presentar su descargo" in body

    # A representative without a validated power does not bind the company: refused.
    with pytest.raises(LegalError, match=r"awaiting the office's validation|power"):
        proceeding_file_defence(proceeding=proceeding, by=unvalidated_representative, text="No fuimos.")
    proceeding = proceeding_file_defence(
        proceeding=proceeding, by=representative, text="La heladera fue reparada.", file=pdf()
    )
    assert proceeding.status == S.DEFENCE_FILED
    assert (proceeding.defence_filed_by, proceeding.defence_on_paper) == (representative, False)
    assert proceeding.defence_file.name.endswith(".pdf") and len(proceeding.defence_sha256) == 64
    (defence,) = events(proceeding, "defence_filed")
    assert defence.actor == representative

    proceeding = proceeding_resolve(
        proceeding=proceeding,
        by=legal_officer,
        sanction=True,
        text="Se acreditó la infracción.",
        act_number="Disposición 123/2026",
        fine_units=500,
    )
    assert (proceeding.status, proceeding.fine_units, proceeding.appeal_due_at) == (S.SANCTIONED, 500, None)
    assert (proceeding.act_number, proceeding.decided_by) == ("Disposición 123/2026", legal_officer)
    (sanctioned,) = events(proceeding, "legal_sanctioned")
    assert "Disposición 123/2026" in sanctioned.reason and "500" in sanctioned.reason
    assert told(sanctioned) >= {consumer.email, representative.email}
    assert proceeding.resolution_notice is not None and proceeding.resolution_notice.served_at is None
    # Never opened: deemed served after NOTICE_DEEMED_SERVED business days, the appeal window from then.
    with time_machine.travel(proceeding.resolution_notice.deemed_served_at + timedelta(minutes=1), tick=False):
        assert close_expired_appeal_windows() == 0
        from legal.services import start_served_windows
        from notifications.services import formal_notices_mark_deemed_served

        formal_notices_mark_deemed_served()
        assert start_served_windows() == 1
        assert start_served_windows() == 0
    proceeding.refresh_from_db()
    served_at = FormalNotice.objects.get(pk=proceeding.resolution_notice_id).served_at
    assert served_at is not None
    appeal_due = end_of_business_day(served_at, 10)
    assert (proceeding.appeal_started_at, proceeding.appeal_due_at) == (served_at, appeal_due)

    # Within the window the beat leaves it alone; after it, it is final — once.
    with time_machine.travel(appeal_due - timedelta(minutes=1), tick=False):
        assert close_expired_appeal_windows() == 0
    with time_machine.travel(appeal_due + timedelta(minutes=1), tick=False):
        assert close_expired_appeal_windows() == 1
        assert close_expired_appeal_windows() == 0
    proceeding.refresh_from_db()
    assert proceeding.status == S.FINAL and proceeding.final_at is not None
    (final,) = events(proceeding, "legal_final")
    assert final.actor is None
    assert told(final) == {consumer.email, representative.email, unvalidated_representative.email}


def test_it_refuses_a_company_absence_fine_outside_the_legal_range(
    consumer, company, representative, officer, conciliator, legal_officer
):
    proceeding = refer_for_absence(consumer, company, officer, conciliator, representative)
    assert proceeding.referral_reason == ReferralReason.COMPANY_ABSENT
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    proceeding_charge(proceeding=proceeding, by=legal_officer, text="Incomparecencia injustificada.")
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        assert close_expired_defence_windows() == 0  # never served: no window, nothing lapses
    serve_charge(proceeding, representative)
    with time_machine.travel(timezone.now() + timedelta(days=15), tick=False):
        assert close_expired_defence_windows() == 1
        assert close_expired_defence_windows() == 0
    proceeding.refresh_from_db()
    assert proceeding.status == S.AWAITING_RESOLUTION
    assert len(events(proceeding, "defence_lapsed")) == 1

    with pytest.raises(LegalError, match=r"between 300 and 20\.000 unidades fijas \(Ley 757, art\. 9 d\)"):
        proceeding_resolve(
            proceeding=proceeding,
            by=legal_officer,
            sanction=True,
            text="Multa.",
            act_number="Disp. 1/2026",
            fine_units=100,
        )
    proceeding.refresh_from_db()
    assert proceeding.status == S.AWAITING_RESOLUTION and not events(proceeding, "legal_sanctioned")

    proceeding_resolve(
        proceeding=proceeding, by=legal_officer, sanction=True, text="Multa.", act_number="Disp. 1/2026", fine_units=300
    )
    proceeding.refresh_from_db()
    assert (proceeding.status, proceeding.fine_units) == (S.SANCTIONED, 300)


def test_it_archives_a_referral_with_its_reason(proceeding, legal_officer, consumer, representative):
    with pytest.raises(LegalError, match="Acknowledge the receipt"):
        proceeding_archive(proceeding=proceeding, by=legal_officer, reason="No hay infracción.")
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    proceeding = proceeding_archive(proceeding=proceeding, by=legal_officer, reason="No hay infracción.")
    assert (proceeding.status, proceeding.archive_reason) == (S.ARCHIVED, "No hay infracción.")
    (archived,) = events(proceeding, "legal_archived")
    assert archived.reason.endswith("No hay infracción.")
    assert told(archived) >= {consumer.email, representative.email}
    # Nothing follows an archive.
    with pytest.raises(LegalError):
        proceeding_charge(proceeding=proceeding, by=legal_officer, text="Tarde.")


def test_it_refuses_a_defence_after_the_deadline_and_an_appeal_after_the_window(
    proceeding, legal_officer, representative
):
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    proceeding_charge(proceeding=proceeding, by=legal_officer, text="Imputación.")
    proceeding = serve_charge(proceeding, representative)
    with (
        time_machine.travel(proceeding.defence_due_at + timedelta(seconds=2), tick=False),
        pytest.raises(LegalError, match="deadline for the defence"),
    ):
        proceeding_file_defence(proceeding=proceeding, by=representative, text="Tarde.")


def test_an_appeal_within_the_window_waits_for_its_result(proceeding, legal_officer, representative):
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    proceeding_charge(proceeding=proceeding, by=legal_officer, text="Imputación.")
    proceeding_file_defence(
        proceeding=proceeding, by=legal_officer, text="Descargo en papel.", filed_on=timezone.localdate()
    )
    proceeding.refresh_from_db()
    assert proceeding.defence_on_paper and proceeding.defence_filed_on == timezone.localdate()
    proceeding_resolve(
        proceeding=proceeding, by=legal_officer, sanction=True, text="Multa.", act_number="Disp. 2/2026", fine_units=800
    )
    proceeding = proceeding_file_appeal(proceeding=proceeding, by=representative, text="Apelamos.")
    assert proceeding.status == S.APPEALED
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        assert close_expired_appeal_windows() == 0  # an appealed sanction waits for the appeal's result
    with pytest.raises(LegalError, match="no longer possible"):
        proceeding_finalize(proceeding=proceeding, by=legal_officer)
    assert len(events(proceeding, "appeal_filed")) == 1 and not events(proceeding, "legal_final")


def test_a_dismissal_ends_the_proceeding(proceeding, legal_officer, representative):
    proceeding_receive(proceeding=proceeding, by=legal_officer)
    proceeding_charge(proceeding=proceeding, by=legal_officer, text="Imputación.")
    proceeding_file_defence(proceeding=proceeding, by=representative, text="Descargo.")
    proceeding = proceeding_resolve(
        proceeding=proceeding, by=legal_officer, sanction=False, text="No se acreditó.", act_number="Disp. 3/2026"
    )
    assert (proceeding.status, proceeding.fine_units, proceeding.appeal_due_at) == (S.DISMISSED, None, None)
    assert len(events(proceeding, "legal_dismissed")) == 1
