"""Tamper evidence that holds against someone who can write to the database: every way of changing
a case's record behind the application's back shows as a break."""

from datetime import UTC, datetime
from hashlib import sha256

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.module_loading import import_string

from complaints import services
from complaints.integrity import seal_existing_chains, verify_all, verify_case
from complaints.models import CaseEvent, Complaint
from complaints.services.filing import draft_save_company
from complaints.states import State
from complaints.tasks_integrity import alert_supervisors, verify_case_chains
from config.celery import app
from notifications.models import Notification
from parties.models import Role, User
from tests.complaints.factories import draft_case, served_case, submitted_case
from tests.complaints.tampering import as_a_dba
from tests.config.test_settings_profiles import PRODUCTION, manage
from tests.conftest import make_user
from tests.notifications.helpers import rendered

on_postgresql = pytest.mark.postgres  # the trigger is PostgreSQL's


@pytest.fixture
def served(consumer, company, officer) -> Complaint:
    return served_case(consumer, company, officer)


def events_of(case: Complaint) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(complaint=case).order_by("pk"))


def kinds(case: Complaint) -> set[str]:
    return {found.kind for found in verify_case(Complaint.objects.get(pk=case.pk))}


def plain_sha256(event: CaseEvent, previous_hash: str) -> str:
    """The public algorithm: what anyone who reads the code can compute without the server key."""
    parts = [
        previous_hash,
        str(event.complaint_id),
        event.action,
        event.from_state,
        event.to_state,
        str(event.actor_id or ""),
        event.reason,
        event.created_at.isoformat(),
    ]
    return sha256("\x1f".join(parts).encode()).hexdigest()


# --- An intact record ----------------------------------------------------------------------------


def test_an_untouched_case_verifies_and_keeps_its_chain_head(served):
    events = events_of(served)
    served.refresh_from_db()

    assert verify_case(served) == []
    assert [event.key_id for event in events] == ["local"] * 3
    assert served.chain_length == 3
    assert served.chain_head_hash == events[-1].hash
    assert served.chain_seal.startswith("local:")


def test_an_unsubmitted_draft_has_nothing_to_seal_and_verifies(consumer, company):
    draft = draft_case(consumer, company)

    assert verify_case(draft) == []


# --- Each tampering -------------------------------------------------------------------------------


def test_it_catches_a_middle_event_edited(served):
    admitted = CaseEvent.objects.get(complaint=served, action="admit")

    with as_a_dba():
        CaseEvent.objects.filter(pk=admitted.pk).update(reason="Rechazado por duplicado.")

    [found] = verify_case(served)
    assert (found.kind, found.event_id, found.case_number) == ("edited", admitted.pk, served.number)


def test_it_catches_the_last_event_removed(served):
    with as_a_dba():
        CaseEvent.objects.filter(pk=events_of(served)[-1].pk).delete()

    assert {"length", "head", "status"} <= kinds(served)


def test_it_catches_the_last_event_removed_even_with_the_case_row_wound_back_to_match(served):
    *kept, last = events_of(served)

    with as_a_dba():
        CaseEvent.objects.filter(pk=last.pk).delete()
    Complaint.objects.filter(pk=served.pk).update(
        status=kept[-1].to_state, chain_length=len(kept), chain_head_hash=kept[-1].hash
    )

    assert kinds(served) == {"seal"}


def test_it_catches_a_whole_chain_rewritten_with_the_public_algorithm(served):
    previous = ""
    with as_a_dba():
        for event in events_of(served):
            if event.action == "admit":
                event.reason = "Rechazado por duplicado."
            digest = plain_sha256(event, previous)
            CaseEvent.objects.filter(pk=event.pk).update(
                reason=event.reason, previous_hash=previous, hash=digest, key_id=""
            )
            previous = digest
    Complaint.objects.filter(pk=served.pk).update(chain_head_hash=previous)

    # Each rewritten event passes for a legacy one, and the links hold: only the keyed seal knows.
    assert kinds(served) == {"seal"}


def test_it_catches_a_chain_rewritten_under_the_current_key_id_without_the_key(served):
    previous = ""
    with as_a_dba():
        for event in events_of(served):
            digest = plain_sha256(event, previous)
            CaseEvent.objects.filter(pk=event.pk).update(previous_hash=previous, hash=digest)
            previous = digest
    Complaint.objects.filter(pk=served.pk).update(chain_head_hash=previous)

    breaks = verify_case(served)
    assert [found.kind for found in breaks if found.kind == "edited"] == ["edited"] * 3
    assert "seal" in {found.kind for found in breaks}


def test_it_catches_the_status_edited_on_the_case_row(served):
    Complaint.objects.filter(pk=served.pk).update(status=State.REFERRED)

    assert kinds(served) == {"status", "seal"}


def test_it_catches_a_draft_moved_on_without_an_event(consumer, company):
    draft = draft_case(consumer, company)

    Complaint.objects.filter(pk=draft.pk).update(status=State.ADMITTED)

    assert kinds(draft) == {"seal"}


def test_it_catches_a_filed_case_wound_back_to_an_empty_draft(served):
    with as_a_dba():
        CaseEvent.objects.filter(complaint=served).delete()
    Complaint.objects.filter(pk=served.pk).update(status=State.DRAFT, chain_length=0, chain_head_hash="", chain_seal="")

    assert kinds(served) == {"seal"}


def test_it_catches_a_case_moved_to_another_company_or_consumer(served, other_company, stranger):
    Complaint.objects.filter(pk=served.pk).update(company=other_company)
    assert kinds(served) == {"seal"}

    Complaint.objects.filter(pk=served.pk).update(company=served.company, consumer=stranger)
    assert kinds(served) == {"seal"}


def test_a_case_being_corrected_may_name_another_company_and_still_verifies(consumer, company, officer):
    case = services.complaint_observe(
        complaint=submitted_case(consumer, company), by=officer, observation="Name the seller, not the brand."
    )

    draft_save_company(
        complaint=case, registered=None, cuit="30703088534", name="Otra S.R.L.", by=consumer, reached_step=2
    )

    case.refresh_from_db()
    assert case.company is not None and case.company.pk != company.pk
    assert verify_case(case) == []


def test_it_catches_an_event_inserted_in_the_middle(served, officer):
    first = events_of(served)[0]

    forged = CaseEvent(
        complaint=served,
        action="observe",
        from_state=State.SUBMITTED,
        to_state=State.OBSERVED,
        actor=officer,
        reason="",
        created_at=first.created_at,
        previous_hash=first.hash,
    )
    forged.save()

    assert {"link", "length"} <= kinds(served)


@on_postgresql
def test_postgresql_refuses_to_update_or_delete_an_event(served):
    event = events_of(served)[1]

    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(reason="edited later")
    with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).delete()

    assert CaseEvent.objects.get(pk=event.pk).reason == event.reason
    assert verify_case(served) == []


# --- Keys: rotation and legacy events ---------------------------------------------------------------


def test_events_written_with_an_old_key_still_verify_after_a_new_key_goes_first(settings, consumer, company, officer):
    settings.CASE_EVENT_HMAC_KEYS = {"k1": "the-first-key-" + "1" * 32}
    case = served_case(consumer, company, officer)

    settings.CASE_EVENT_HMAC_KEYS = {"k2": "the-second-key-" + "2" * 32, "k1": "the-first-key-" + "1" * 32}
    services.complaint_withdraw(complaint=Complaint.objects.get(pk=case.pk), by=consumer)

    assert [event.key_id for event in events_of(case)] == ["k1", "k1", "k1", "k2"]
    assert Complaint.objects.get(pk=case.pk).chain_seal.startswith("k2:")
    assert verify_case(case) == []

    settings.CASE_EVENT_HMAC_KEYS = {"k2": "the-second-key-" + "2" * 32}
    assert kinds(case) == {"unknown_key"}


def test_legacy_events_hashed_before_the_keys_still_verify_once_sealed(served, consumer):
    # As the events written before migration 0005 are: plain SHA-256, no key id, no chain head.
    previous = ""
    with as_a_dba():
        for event in events_of(served):
            digest = plain_sha256(event, previous)
            CaseEvent.objects.filter(pk=event.pk).update(previous_hash=previous, hash=digest, key_id="")
            previous = digest
    Complaint.objects.filter(pk=served.pk).update(chain_length=0, chain_head_hash="", chain_seal="")
    assert "seal" in kinds(served)

    assert seal_existing_chains() == 1

    assert verify_case(served) == []
    services.complaint_withdraw(complaint=Complaint.objects.get(pk=served.pk), by=consumer)
    assert [event.key_id for event in events_of(served)] == ["", "", "", "local"]
    assert verify_case(served) == []


def test_a_plain_hash_after_a_keyed_one_is_a_rewrite(served):
    last = events_of(served)[-1]

    with as_a_dba():
        CaseEvent.objects.filter(pk=last.pk).update(key_id="", hash=plain_sha256(last, last.previous_hash))
    Complaint.objects.filter(pk=served.pk).update(chain_head_hash=plain_sha256(last, last.previous_hash))

    assert kinds(served) == {"unkeyed", "seal"}


def test_the_migration_seals_moved_cases_and_leaves_untouched_drafts_alone(served, consumer, company):
    draft = draft_case(consumer, company)
    Complaint.objects.update(chain_length=0, chain_head_hash="", chain_seal="")

    assert seal_existing_chains() == 1

    assert verify_case(served) == []
    assert Complaint.objects.get(pk=draft.pk).chain_seal == ""


def test_production_refuses_to_start_without_a_case_event_key():
    result = manage("check", **{**PRODUCTION, "CASE_EVENT_HMAC_KEYS": ""})

    assert result.returncode != 0
    assert "CASE_EVENT_HMAC_KEYS must name keys of 32 or more characters in production" in result.stderr


# --- The nightly check ----------------------------------------------------------------------------


def test_the_command_passes_on_intact_records_and_fails_on_a_break(served, consumer, company):
    draft_case(consumer, company)
    out: list[str] = []

    call_command("verify_case_chains", "--batch-size", "1", stdout=_Collect(out))
    assert "Checked 2 cases and 3 events" in "".join(out)

    Complaint.objects.filter(pk=served.pk).update(status=State.REFERRED)
    out.clear()
    with pytest.raises(CommandError) as refused:
        call_command("verify_case_chains", stdout=_Collect(out))

    assert refused.value.returncode == 1
    assert f"BROKEN {served.number}" in "".join(out)
    assert "1 broken" in "".join(out)


def test_the_batched_check_finds_every_broken_case_across_batches(consumer, company, officer):
    cases = [served_case(consumer, company, officer) for _ in range(3)]
    Complaint.objects.filter(pk__in=[cases[0].pk, cases[2].pk]).update(status=State.REFERRED)

    report = verify_all(batch_size=2)

    assert (report.cases, report.events, report.broken_cases) == (3, 9, 2)
    assert {found.case_id for found in report.breaks} == {cases[0].pk, cases[2].pk}


def test_beat_runs_the_check_every_night():
    [entry] = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if "verify_case_chains" in entry["task"]]

    assert entry["schedule"].hour == {2}
    assert import_string(entry["task"]).name == entry["task"]
    # What a worker imports when it starts (autodiscovery only finds each app's tasks.py).
    assert "complaints.tasks_integrity" in app.loader.default_modules


def test_the_nightly_task_alerts_each_supervisor_once_a_day(served, supervisor):
    other = make_user("raul@oficina.test", Role.SUPERVISOR, first_name="Raúl")
    make_user("retired@oficina.test", Role.SUPERVISOR, is_active=False)
    User.objects.filter(pk__in=[supervisor.pk, other.pk]).update(preferred_language="en")  # each reads their own

    def alerts() -> list[tuple[str, str]]:
        rows = rendered(
            Notification.objects.filter(event="integrity_alert", channel="email").select_related("recipient")
        )
        return sorted((row.address, row.subject) for row in rows)

    with time_machine.travel(datetime(2026, 12, 7, 5, 30, tzinfo=UTC), tick=False):
        verify_case_chains.apply()
    assert alerts() == []

    Complaint.objects.filter(pk=served.pk).update(status=State.REFERRED)
    with time_machine.travel(datetime(2026, 12, 8, 5, 30, tzinfo=UTC), tick=False):
        verify_case_chains.apply()
        verify_case_chains.apply()
    subject = "Integrity alert: 1 case record does not match its chain"
    assert alerts() == [(other.email, subject), (supervisor.email, subject)]
    body = Notification.objects.filter(recipient=supervisor, event="integrity_alert", channel="email").get().body_text
    assert f"{served.number}: the case's status differs from its last move" in body

    with time_machine.travel(datetime(2026, 12, 9, 5, 30, tzinfo=UTC), tick=False):
        verify_case_chains.apply()
    assert len(alerts()) == 4


def test_no_alert_is_written_for_a_clean_report(supervisor):
    assert alert_supervisors(verify_all()) == 0


# --- The case page ----------------------------------------------------------------------------------


def test_the_case_page_says_verified_for_an_intact_record_and_warns_for_a_broken_one(served, officer, client_for):
    page = client_for(officer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "Record integrity verified" in page

    Complaint.objects.filter(pk=served.pk).update(status=State.REFERRED)

    page = client_for(officer).get(reverse("complaint_detail", args=[served.pk])).content.decode()
    assert "Record integrity broken" in page
    assert "Record integrity verified" not in page


class _Collect:
    """A stdout for call_command that keeps what was written."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def write(self, text: str) -> None:
        self.into.append(text)

    def flush(self) -> None:
        pass
