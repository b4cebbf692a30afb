"""The legal directorate's waits have clocks too: a referral to decide, a resolution to give."""

import pytest
from django.utils import timezone

from oversight.models import Clock, Kind

pytestmark = pytest.mark.django_db


def _open(case, kind):
    return Clock.objects.filter(complaint=case, kind=kind, closed_at__isnull=True)


def test_a_referral_waits_on_the_directorate_until_it_decides(proceeding, legal_officer):
    from legal.services import proceeding_archive, proceeding_receive

    case = proceeding.complaint
    [waiting] = _open(case, Kind.LEGAL_DECISION)
    assert waiting.subject_id == proceeding.pk and waiting.who_acts == "legal"
    assert waiting.due_at > waiting.started_at

    proceeding_receive(proceeding=proceeding, by=legal_officer)
    assert _open(case, Kind.LEGAL_DECISION).exists()  # acknowledged, not yet decided
    proceeding.refresh_from_db()
    proceeding_archive(proceeding=proceeding, by=legal_officer, reason="No hay infracción.")

    assert not _open(case, Kind.LEGAL_DECISION).exists()
    assert Clock.objects.get(complaint=case, kind=Kind.LEGAL_DECISION).closed_at is not None


def test_a_declared_dia_inhabil_moves_the_descargo_window_on_the_case_record(
    proceeding, legal_officer, representative, supervisor
):
    from complaints.models import CaseEvent
    from legal.services import proceeding_charge, proceeding_receive
    from oversight.models import DeadlineChange
    from oversight.services.recompute import recompute_deadlines
    from parties.business_days import calendar_changed
    from parties.models import NonWorkingDay
    from tests.legal.conftest import serve_charge

    proceeding_receive(proceeding=proceeding, by=legal_officer)
    proceeding_charge(proceeding=proceeding, by=legal_officer, text="Imputación.")
    proceeding = serve_charge(proceeding, representative)
    old = proceeding.defence_due_at
    day = timezone.localdate(old)
    NonWorkingDay.objects.create(date=day, reason="Asueto", created_by=supervisor)
    calendar_changed()

    recompute_deadlines(day=day)

    proceeding.refresh_from_db()
    assert proceeding.defence_due_at > old
    change = DeadlineChange.objects.get(complaint=proceeding.complaint, what="legal:defence")
    assert (change.old_due, change.new_due) == (old, proceeding.defence_due_at)
    event = CaseEvent.objects.filter(complaint=proceeding.complaint, action="deadline_recomputed").latest("pk")
    assert proceeding.company_name in event.reason
    assert recompute_deadlines(day=day) == []  # once


def test_the_company_hears_its_descargo_window_moved_and_a_failed_record_moves_nothing(
    proceeding, legal_officer, representative, supervisor, monkeypatch
):
    from legal.services import proceeding_charge, proceeding_receive
    from notifications.models import Notification
    from oversight.models import DeadlineChange
    from oversight.services.recompute import recompute_deadlines
    from parties.business_days import calendar_changed
    from parties.models import NonWorkingDay
    from tests.legal.conftest import serve_charge

    proceeding_receive(proceeding=proceeding, by=legal_officer)
    proceeding_charge(proceeding=proceeding, by=legal_officer, text="Imputación.")
    proceeding = serve_charge(proceeding, representative)
    old = proceeding.defence_due_at
    day = timezone.localdate(old)
    NonWorkingDay.objects.create(date=day, reason="Asueto", created_by=supervisor)
    calendar_changed()

    def broken(**kwargs):
        raise RuntimeError("the record could not be written")

    with monkeypatch.context() as patched:
        patched.setattr(DeadlineChange.objects, "create", broken)
        with pytest.raises(RuntimeError):
            recompute_deadlines(day=day)
    proceeding.refresh_from_db()
    assert proceeding.defence_due_at == old  # the move and its record commit together, or neither

    before = Notification.objects.filter(recipient=representative, event="legal_update").count()
    recompute_deadlines(day=day)
    proceeding.refresh_from_db()
    assert proceeding.defence_due_at > old
    assert Notification.objects.filter(recipient=representative, event="legal_update").count() > before


def test_sync_clocks_also_covers_closed_cases_whose_proceedings_are_open(proceeding):
    from io import StringIO

    from django.core.management import call_command

    from complaints.models import Complaint
    from complaints.states import CLOSED_STATES

    case = proceeding.complaint
    Complaint.objects.filter(pk=case.pk).update(status=sorted(CLOSED_STATES & {"referred", "concluded"})[0])
    Clock.objects.filter(complaint=case).delete()
    call_command("sync_clocks", stdout=StringIO())
    assert _open(case, Kind.LEGAL_DECISION).exists()
