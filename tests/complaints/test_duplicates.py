"""Duplicates at admission: a complaint by the same consumer against a company in common, with
facts alike, submitted within the window of an earlier one, is flagged with a link to it; the
officer joins it into the earlier case, rejects it as a duplicate, or says it is not one."""

import re
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from complaints import services
from complaints.duplicates import content_words, likely_duplicates, similarity
from complaints.errors import CaseError
from complaints.models import CaseEvent, Complaint, Evidence, RejectionReason
from complaints.services.duplicates import duplicate_dismiss, duplicate_join, duplicate_reject
from complaints.states import State
from notifications.models import Notification
from parties.models import ConsumerProfile, Role
from tests.complaints.factories import draft_case
from tests.complaints.factories import submitted_case as submitted_without_commit
from tests.conftest import enrol_totp, make_user
from tests.notifications.helpers import rendered

pytestmark = pytest.mark.django_db

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
MONDAY = datetime(2026, 6, 1, 10, 0, tzinfo=BUENOS_AIRES)
FACTS = "La heladera dejó de enfriar a los 20 días y el service no vino a las dos visitas pactadas."
REWORDED = "Compré una heladera que dejó de enfriar a los 20 días. El service pactó dos visitas y no vino a ninguna."
UNRELATED = "Me cobraron dos veces la cuota del plan de celular en el resumen de la tarjeta de crédito."
QUEUE = reverse("admission_queue")


def after_commit():
    """Run what the moves leave for after their commit (the flag's task, the evidence copies): the
    test's own transaction never commits."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def submitted_case(consumer, company, **fields) -> Complaint:
    """A submitted complaint, with the flag the task computes after the commit."""
    with after_commit():
        case = submitted_without_commit(consumer, company, **fields)
    case.refresh_from_db()
    return case


def submit(draft: Complaint, by) -> Complaint:
    with after_commit():
        case = services.complaint_submit(complaint=draft, by=by)
    case.refresh_from_db()
    return case


def another_consumer(email: str = "lucas@example.com", dni: str = "28999111"):
    user = make_user(email, first_name="Lucas", last_name="Díaz")
    ConsumerProfile.objects.create(
        user=user, dni=dni, phone="+5491155554444", street_address="Calle 1", city="CABA", province="CABA"
    )
    return user


def a_pair(consumer, company, *, evidence: bool = False) -> tuple[Complaint, Complaint]:
    """An earlier complaint, and a later one that repeats it in other words (flagged)."""
    with time_machine.travel(MONDAY, tick=False):
        earlier = submitted_case(consumer, company)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        later = submitted_case(consumer, company, facts=REWORDED, evidence=evidence)
    assert later.duplicate_of_id == earlier.pk
    return earlier, later


# --- How alike two accounts are ------------------------------------------------------------------


def test_it_reads_words_without_case_accents_plurals_or_common_words():
    assert content_words("Dejó de ENFRIAR las heladeras") == {"dejo", "enfria", "helade"}
    assert content_words("Enfriaba la heladera") == {"enfria", "helade"}


def test_it_finds_the_same_facts_told_in_other_words_alike():
    assert similarity(FACTS, REWORDED) >= 0.8
    assert similarity(FACTS, FACTS) == 1.0


def test_it_finds_unrelated_facts_unlike():
    assert similarity(FACTS, UNRELATED) < 0.2


def test_it_does_not_match_two_terse_accounts_on_a_couple_of_words():
    assert similarity("No anda la heladera", "La heladera no enfría") < 0.5


def test_a_longer_retelling_still_matches_the_first_account():
    longer = (
        FACTS + " Llamé cinco veces al centro de atención, me dieron tres números de reclamo y nadie resolvió nada."
    )
    assert similarity(FACTS, longer) >= 0.75


# --- The flag at submission -------------------------------------------------------------------------


def test_it_flags_a_complaint_repeating_an_earlier_one_of_the_same_consumer_and_company(consumer, company):
    earlier, later = a_pair(consumer, company)
    later.refresh_from_db()
    assert later.duplicate_of == earlier
    earlier.refresh_from_db()
    assert earlier.duplicate_of is None  # the earlier one is the original


def test_it_does_not_flag_a_complaint_against_another_company(consumer, company, other_company):
    submitted_case(consumer, company)
    later = submitted_case(consumer, other_company, facts=REWORDED)
    assert later.duplicate_of is None


def test_it_flags_a_complaint_naming_a_company_in_common_among_others(consumer, company, other_company):
    earlier = submitted_case(consumer, company)
    draft = draft_case(consumer, other_company, facts=REWORDED)
    services.case_parts.name_company(draft, company=company, position=2)
    later = submit(draft, consumer)
    assert later.duplicate_of == earlier


def test_it_does_not_flag_another_consumers_complaint(consumer, company):
    submitted_case(consumer, company)
    later = submitted_case(another_consumer(), company, facts=REWORDED)
    assert later.duplicate_of is None


def test_it_does_not_flag_a_complaint_with_other_facts(consumer, company):
    submitted_case(consumer, company)
    later = submitted_case(consumer, company, facts=UNRELATED)
    assert later.duplicate_of is None


def test_it_does_not_flag_a_complaint_outside_the_window(consumer, company, settings):
    settings.DUPLICATE_WINDOW_DAYS = 90
    with time_machine.travel(MONDAY, tick=False):
        submitted_case(consumer, company)
    with time_machine.travel(MONDAY + timedelta(days=91), tick=False):
        later = submitted_case(consumer, company, facts=REWORDED)
    assert later.duplicate_of is None
    with time_machine.travel(MONDAY + timedelta(days=89), tick=False):
        within = submitted_case(consumer, company, facts=REWORDED)
    assert within.duplicate_of is not None


def test_a_draft_is_never_what_a_complaint_duplicates(consumer, company):
    draft_case(consumer, company)
    later = submitted_case(consumer, company, facts=REWORDED)
    assert later.duplicate_of is None


def test_the_threshold_is_a_setting(consumer, company, settings):
    settings.DUPLICATE_SIMILARITY = 1.0
    submitted_case(consumer, company)
    later = submitted_case(consumer, company, facts=REWORDED, purchase_date=date(2025, 12, 1))
    assert later.duplicate_of is None
    settings.DUPLICATE_SIMILARITY = 0.9
    again = submitted_case(consumer, company, facts=REWORDED, purchase_date=date(2025, 12, 1))
    assert again.duplicate_of is not None


def test_the_most_alike_earlier_case_is_the_one_flagged(consumer, company):
    with time_machine.travel(MONDAY, tick=False):
        exact = submitted_case(consumer, company, facts=REWORDED)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        submitted_case(consumer, company, facts=FACTS)  # alike, but less (and itself flagged)
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        later = submitted_case(consumer, company, facts=REWORDED)
    assert later.duplicate_of == exact
    assert [m.score for m in likely_duplicates(later)] == sorted(
        (m.score for m in likely_duplicates(later)), reverse=True
    )


@pytest.mark.postgres
def test_the_candidates_are_read_with_the_consumers_index(consumer, company):
    _earlier, later = a_pair(consumer, company)
    from complaints.duplicates import _companies_in_common

    query = (
        Complaint.objects.filter(consumer_id=later.consumer_id, created_at__lte=later.created_at, pk__lt=later.pk)
        .filter(_companies_in_common(later))
        .order_by("-created_at", "-pk")[:100]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = query.explain()
        cursor.execute("RESET enable_seqscan")
    assert "complaint_consumer_recent" in plan


def test_a_resubmitted_complaint_is_flagged_again_unless_the_office_said_it_is_not(consumer, company, officer):
    earlier, later = a_pair(consumer, company)
    duplicate_dismiss(complaint=later, by=officer, note="Es otra heladera.")
    services.complaint_observe(complaint=later, by=officer, observation="Falta la factura.")
    with time_machine.travel(MONDAY + timedelta(days=4), tick=False), after_commit():
        later = services.complaint_resubmit(complaint=later, by=consumer)
    later.refresh_from_db()
    assert later.duplicate_of is None

    # Without that decision, a resubmitted complaint is compared again.
    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        third = submitted_case(consumer, company, facts=FACTS)
    assert third.duplicate_of == earlier  # the very same words
    services.complaint_observe(complaint=third, by=officer, observation="Falta la factura.")
    with time_machine.travel(MONDAY + timedelta(days=6), tick=False), after_commit():
        third = services.complaint_resubmit(complaint=third, by=consumer)
    third.refresh_from_db()
    assert third.duplicate_of == earlier


# --- What the office sees ---------------------------------------------------------------------------


def test_the_review_page_shows_the_possible_duplicate_side_by_side(consumer, company, officer, client_for):
    earlier, later = a_pair(consumer, company)
    page = client_for(officer).get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert (
        f'Possible duplicate of <a href="{reverse("complaint_detail", args=[earlier.pk])}">{earlier.number}</a>' in page
    )
    assert "The earlier case" in page
    assert "dejó de enfriar a los 20 días y el service no vino" in page  # the earlier facts
    assert "Compré una heladera" in page  # this one's
    for name in ("duplicate_join", "duplicate_reject", "duplicate_dismiss"):
        assert reverse(name, args=[later.pk]) in page


def test_the_consumer_never_sees_the_flag(consumer, company, client_for):
    _earlier, later = a_pair(consumer, company)
    page = client_for(consumer).get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert "Possible duplicate" not in page
    assert reverse("duplicate_join", args=[later.pk]) not in page


def test_the_queue_shows_a_badge_and_filters_the_possible_duplicates(consumer, company, officer, client_for):
    earlier, later = a_pair(consumer, company)
    client = client_for(officer)
    page = client.get(QUEUE).content.decode()
    assert page.count("Possible duplicate<span") == 1
    only = client.get(QUEUE, {"duplicates": "1"}).content.decode()
    assert str(later.number) in only
    assert earlier.number not in only
    assert "Clear filters" in only


def test_the_queue_runs_the_same_queries_for_2_flagged_rows_as_for_20(
    consumer, company, officer, client_for, django_assert_max_num_queries
):
    client = client_for(officer)
    with time_machine.travel(MONDAY, tick=False):
        submitted_case(consumer, company)
        for _ in range(2):
            submitted_case(consumer, company, facts=REWORDED)
    with django_assert_max_num_queries(7) as few:
        client.get(QUEUE)
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(18):
            submitted_case(consumer, company, facts=REWORDED)
    # 1 session, 2 user, 3 the staff MFA check, 4 the pager's COUNT, 5 one page of complaints with
    # their companies (the badge reads the flag's column: nothing per row), and the page's chrome.
    with django_assert_max_num_queries(7) as many:
        response = client.get(QUEUE)
    assert response.content.decode().count("Possible duplicate<span") == 20
    assert len(many) == len(few)


# --- Join -------------------------------------------------------------------------------------------


def test_joining_closes_the_later_complaint_into_the_earlier_one(consumer, company, officer, client_for):
    earlier, later = a_pair(consumer, company, evidence=True)
    before = Notification.objects.count()

    with after_commit():
        response = client_for(officer).post(reverse("duplicate_join", args=[later.pk]), {"note": "Mismo reclamo."})

    assert response.status_code == 302
    later.refresh_from_db()
    assert later.status == State.REJECTED
    assert later.rejection_reason == RejectionReason.DUPLICATE
    assert later.duplicate_of == earlier  # the link stays
    assert str(earlier.number) in later.rejection_detail
    earlier.refresh_from_db()
    assert earlier.status == State.SUBMITTED and not earlier.is_closed

    # The evidence: a copy of each file in the earlier case, under its own stored name.
    copies = list(earlier.evidence.all())
    originals = list(later.evidence.all())
    assert (
        [c.original_name for c in copies]
        == [o.original_name for o in originals]
        == ["factura.pdf", "foto-heladera.png"]
    )
    assert [c.sha256 for c in copies] == [o.sha256 for o in originals]
    assert {c.file.name for c in copies}.isdisjoint({o.file.name for o in originals})
    assert all(c.description.startswith(str(later.number)) for c in copies)
    # Removing the later case's files (as anonymisation would) leaves the earlier case's intact.
    for item in originals:
        item.file.storage.delete(item.file.name or "")
    for item in copies:
        with item.file.open("rb") as handle:
            assert handle.read(4) in (b"%PDF", b"\x89PNG")

    # An event on each case: the rejection (with the note) on the later one; on the earlier one only
    # which case was joined and how many files came: never the later facts, nor the note.
    rejected = CaseEvent.objects.get(complaint=later, action="reject")
    assert rejected.actor == officer and str(earlier.number) in rejected.reason
    assert "Mismo reclamo." in later.rejection_detail
    joined = CaseEvent.objects.get(complaint=earlier, action="duplicate_joined")
    assert joined.actor == officer
    assert joined.reason == f"Se unió {later.number} a este expediente; archivos de prueba agregados: 2."

    # The consumer is told, with the earlier case's address.
    told = Notification.objects.filter(recipient=consumer, event="complaint_rejected", case_number=later.number)
    assert Notification.objects.count() > before
    assert told.exists()
    assert all(str(earlier.number) in n.body_text and f"/reclamos/{earlier.pk}/" in n.body_text for n in told)


def test_joining_twice_joins_once(consumer, company, officer, client_for):
    earlier, later = a_pair(consumer, company, evidence=True)
    client = client_for(officer)
    with after_commit():
        client.post(reverse("duplicate_join", args=[later.pk]))
    second = client.post(reverse("duplicate_join", args=[later.pk]), follow=True)
    assert second.status_code == 200
    assert "decided only while it awaits admission" in second.content.decode()
    assert CaseEvent.objects.filter(complaint=earlier, action="duplicate_joined").count() == 1
    assert CaseEvent.objects.filter(complaint=later, action="reject").count() == 1
    assert Evidence.objects.filter(complaint=earlier).count() == 2


def test_joining_into_a_closed_case_is_refused(consumer, company, officer, client_for):
    earlier, later = a_pair(consumer, company)
    services.complaint_withdraw(complaint=earlier, by=consumer, reason="Ya lo resolví.")
    client = client_for(officer)

    page = client.get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert reverse("duplicate_join", args=[later.pk]) not in page  # not offered
    assert "is a new filing, not a duplicate" in page  # and why
    assert reverse("duplicate_reject", args=[later.pk]) not in page  # a refiling, not a duplicate
    assert reverse("duplicate_dismiss", args=[later.pk]) in page

    response = client.post(reverse("duplicate_join", args=[later.pk]), follow=True)
    assert "is closed" in response.content.decode()
    later.refresh_from_db()
    assert later.status == State.SUBMITTED
    assert not CaseEvent.objects.filter(complaint=earlier, action="duplicate_joined").exists()
    with pytest.raises(CaseError):
        duplicate_join(complaint=later, by=officer)


# --- Reject as duplicate, and not a duplicate -----------------------------------------------------------


def test_rejecting_as_a_duplicate_tells_the_consumer_which_case_it_repeats(consumer, company, officer, client_for):
    earlier, later = a_pair(consumer, company)
    response = client_for(officer).post(reverse("duplicate_reject", args=[later.pk]), {"note": "Ya está en trámite."})
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.status == State.REJECTED and later.rejection_reason == RejectionReason.DUPLICATE
    assert later.duplicate_of == earlier
    earlier.refresh_from_db()
    assert earlier.status == State.SUBMITTED and earlier.evidence.count() == 0
    assert CaseEvent.objects.get(complaint=later, action="reject").actor == officer
    assert CaseEvent.objects.get(complaint=earlier, action="duplicate_rejected").reason == later.number
    assert "que sigue su trámite con lo que pediste allí" in later.rejection_detail
    told = rendered(
        Notification.objects.filter(recipient=consumer, event="complaint_rejected", case_number=later.number)
    )
    assert told
    assert all(str(earlier.number) in n.body_text and "Ya está en trámite." in n.body_text for n in told)


def test_not_a_duplicate_clears_the_flag_and_records_who_decided(consumer, company, officer, client_for):
    earlier, later = a_pair(consumer, company)
    before = Notification.objects.count()
    response = client_for(officer).post(reverse("duplicate_dismiss", args=[later.pk]), {"note": "Otra compra."})
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.duplicate_of is None and later.status == State.SUBMITTED
    event = CaseEvent.objects.get(complaint=later, action="duplicate_dismissed")
    assert event.actor == officer
    assert re.match(rf"^{earlier.number}\. Otra compra\.$", event.reason)
    assert Notification.objects.count() == before  # nothing changed for the consumer
    page = client_for(officer).get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert "Possible duplicate of" not in page


# --- Who may ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["duplicate_join", "duplicate_reject", "duplicate_dismiss"])
def test_only_the_office_decides_and_strangers_learn_nothing(
    name, consumer, company, representative, stranger, client_for
):
    earlier, later = a_pair(consumer, company, evidence=True)
    url = reverse(name, args=[later.pk])
    assert client_for(consumer).post(url).status_code == 403  # sees the case, may not decide
    assert client_for(representative).post(url).status_code == 404  # the company is not served yet
    assert client_for(stranger).post(url).status_code == 404
    assert client_for(stranger).post(reverse(name, args=[10**12])).status_code == 404
    later.refresh_from_db()
    assert later.status == State.SUBMITTED and later.duplicate_of == earlier
    assert not CaseEvent.objects.filter(action__startswith="duplicate_").exists()
    assert earlier.evidence.count() == 0


def test_a_supervisor_may_decide_too(consumer, company, supervisor, client_for):
    _earlier, later = a_pair(consumer, company)
    client_for(supervisor).post(reverse("duplicate_dismiss", args=[later.pk]))
    later.refresh_from_db()
    assert later.duplicate_of is None


# --- Two officers at once (PostgreSQL: SQLite serialises every write) ----------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_joining_at_once_leave_one_join(consumer, company, officer):
    second_officer = make_user("lucia@oficina.test", Role.OFFICER, first_name="Lucía", last_name="Benítez")
    enrol_totp(second_officer)
    earlier, later = a_pair(consumer, company, evidence=True)
    officers = [officer, second_officer]
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):
                results[index] = duplicate_join(complaint=later, by=officers[index])
        except Exception as error:  # the test inspects it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], CaseError), results
    assert CaseEvent.objects.filter(complaint=earlier, action="duplicate_joined").count() == 1
    assert CaseEvent.objects.filter(complaint=later, action="reject").count() == 1
    assert Evidence.objects.filter(complaint=earlier).count() == 2


# --- Join only what the earlier case can take (review findings 1-4) ------------------------------------

SECRET_FACTS = REWORDED + " Mi diagnóstico médico está en el PDF."


def test_joining_into_a_case_already_served_is_refused_and_the_panel_says_why(consumer, company, officer, client_for):
    with time_machine.travel(MONDAY, tick=False):
        earlier = services.complaint_admit(complaint=submitted_case(consumer, company), by=officer)
    assert earlier.status == State.COMPANY_NOTIFIED
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        later = submitted_case(consumer, company, facts=SECRET_FACTS, evidence=True)
    assert later.duplicate_of == earlier
    client = client_for(officer)
    page = client.get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert reverse("duplicate_join", args=[later.pk]) not in page
    assert "was already served on a company" in page
    assert reverse("duplicate_reject", args=[later.pk]) in page
    assert reverse("duplicate_dismiss", args=[later.pk]) in page
    response = client.post(reverse("duplicate_join", args=[later.pk]), follow=True)
    assert "was already served on a company" in response.content.decode()
    assert not Evidence.objects.filter(complaint=earlier).exists()
    later.refresh_from_db()
    assert later.status == State.SUBMITTED
    with pytest.raises(CaseError):
        duplicate_join(complaint=later, by=officer)


def test_a_case_admitted_but_not_yet_served_can_take_the_join(consumer, other_company, officer):
    with time_machine.travel(MONDAY, tick=False):
        earlier = services.complaint_admit(complaint=submitted_case(consumer, other_company), by=officer)
    assert earlier.status == State.ADMITTED  # no electronic domicile: nobody served yet
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        later = submitted_case(consumer, other_company, facts=REWORDED)
    duplicate_join(complaint=later, by=officer)
    later.refresh_from_db()
    assert later.status == State.REJECTED


def test_the_earlier_record_never_holds_the_later_facts_or_the_note(consumer, company, officer):
    from privacy.services.anonymisation import case_anonymise

    with time_machine.travel(MONDAY, tick=False):
        earlier = submitted_case(consumer, company)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        later = submitted_case(consumer, company, facts=SECRET_FACTS + " SECRETO-123")
    duplicate_join(complaint=later, by=officer, note="Nota para la consumidora")
    later.refresh_from_db()
    assert "Nota para la consumidora" in later.rejection_detail  # the note stays on the joined complaint
    assert not CaseEvent.objects.filter(complaint=earlier, reason__contains="SECRETO-123").exists()
    assert not CaseEvent.objects.filter(complaint=earlier, reason__contains="Nota para").exists()
    services.complaint_withdraw(complaint=earlier, by=consumer, reason="")
    assert case_anonymise(complaint_id=later.pk) is not None
    assert not CaseEvent.objects.filter(reason__contains="SECRETO-123").exists()


def test_join_and_reject_are_refused_when_the_later_complaint_names_a_company_the_earlier_does_not(
    consumer, company, other_company, officer, client_for
):
    with time_machine.travel(MONDAY, tick=False):
        earlier = submitted_case(consumer, company)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        draft = draft_case(consumer, company, facts=REWORDED)
        services.case_parts.name_company(draft, company=other_company, position=2)
        later = submit(draft, consumer)
    assert later.duplicate_of == earlier
    page = client_for(officer).get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert "also names Conectar Telecomunicaciones S.A., which" in page
    assert reverse("duplicate_join", args=[later.pk]) not in page
    assert reverse("duplicate_reject", args=[later.pk]) not in page
    assert reverse("duplicate_dismiss", args=[later.pk]) in page
    for decide in (duplicate_join, duplicate_reject):
        with pytest.raises(CaseError, match="would drop the claim"):
            decide(complaint=later, by=officer)
    later.refresh_from_db()
    assert later.status == State.SUBMITTED


def test_a_later_complaint_naming_fewer_companies_is_joined_and_the_consumer_told_its_claim_is_not_carried(
    consumer, company, other_company, officer
):
    with time_machine.travel(MONDAY, tick=False):
        draft = draft_case(consumer, company)
        services.case_parts.name_company(draft, company=other_company, position=2)
        earlier = submit(draft, consumer)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        later = submitted_case(consumer, company, facts=REWORDED, claim_amount=Decimal("999999.00"))
    assert later.duplicate_of == earlier
    duplicate_join(complaint=later, by=officer)
    later.refresh_from_db()
    assert "Lo que pediste en este reclamo no se traslada" in later.rejection_detail
    told = rendered(
        Notification.objects.filter(recipient=consumer, event="complaint_rejected", case_number=later.number)
    )
    assert told and all("no se traslada" in n.body_text for n in told)


def test_joining_past_the_evidence_limit_is_refused_with_the_count(consumer, company, officer, client_for, settings):
    settings.EVIDENCE_MAX_FILES = 3
    with time_machine.travel(MONDAY, tick=False):
        earlier = submitted_case(consumer, company, evidence=True)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        later = submitted_case(consumer, company, facts=REWORDED, evidence=True)
    page = client_for(officer).get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert "would hold 4 evidence files; a case holds up to 3" in page
    assert reverse("duplicate_join", args=[later.pk]) not in page
    with pytest.raises(CaseError, match="holds up to 3"):
        duplicate_join(complaint=later, by=officer)
    assert Evidence.objects.filter(complaint=earlier).count() == 2


def test_a_join_rolled_back_after_the_service_leaves_no_file_in_storage(consumer, company, officer, settings):
    earlier, later = a_pair(consumer, company, evidence=True)
    with pytest.raises(RuntimeError), after_commit(), transaction.atomic():
        duplicate_join(complaint=later, by=officer)
        raise RuntimeError("an outer step fails")
    assert not Evidence.objects.filter(complaint=earlier).exists()
    folder = settings.MEDIA_ROOT / "evidence" / str(earlier.pk)
    assert not folder.exists() or not any(folder.iterdir())


def test_a_copy_that_fails_after_the_commit_loses_its_row_and_keeps_the_others(consumer, company, officer):
    earlier, later = a_pair(consumer, company, evidence=True)
    with after_commit():
        duplicate_join(complaint=later, by=officer)
        first = later.evidence.order_by("pk").first()
        assert first is not None and first.file.name
        first.file.storage.delete(first.file.name)  # gone between the commit and the copy
    assert [e.original_name for e in Evidence.objects.filter(complaint=earlier)] == ["foto-heladera.png"]


# --- Realistic accounts (review finding 5) ----------------------------------------------------------------

TV_FIRST = (
    "El 10 de abril compré un televisor Smart 55 pulgadas en la tienda. A la semana la pantalla empezó a "
    "parpadear y después quedó negra. Lo llevé al service oficial, me dijeron que es la placa y que la "
    "garantía no la cubre porque el equipo tiene un golpe, pero llegó así en la caja."
)
TV_AGAIN = (
    "Compré un Smart TV de 55 pulgadas y a los siete días la pantalla quedó negra después de parpadear. "
    "El service oficial dice que es la placa y no lo cubre la garantía por un golpe, pero el golpe venía "
    "de fábrica, dentro de la caja. Quiero que me lo cambien."
)
OUTAGE = (
    "Desde el 3 de marzo no tengo servicio de internet en mi domicilio. Llamé al servicio técnico de la empresa "
    "varias veces, me dieron número de reclamo y nunca vinieron. Igual me siguen cobrando la factura completa."
)
BILLING = (
    "En la factura de mayo la empresa me cobró un servicio de televisión que nunca contraté. Llamé varias veces "
    "al servicio de atención, me dieron número de reclamo y me dijeron que lo daban de baja, pero me siguen cobrando."
)
SHORT = "La heladera nueva llegó con la puerta rota y el vendedor no quiere cambiarla."
LONG = (
    "Compré un lavarropas en la tienda online. Llegó tarde, el repartidor lo dejó en la vereda y la puerta "
    "vino rota. Llamé al vendedor, que no quiere cambiarlo ni devolverme el dinero; dice que la garantía no "
    "cubre el flete. También tengo una heladera de ellos que anda bien. Pedí hablar con un supervisor, nueva "
    "respuesta negativa, y llegó una factura con intereses."
)


def test_the_same_incident_told_twice_is_flagged(consumer, company):
    tv = {
        "product": "Televisor Smart 55 pulgadas",
        "purchase_date": date(2026, 4, 10),
        "amount_paid": Decimal("720000"),
    }
    with time_machine.travel(MONDAY, tick=False):
        earlier = submitted_case(consumer, company, facts=TV_FIRST, **tv)
    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        later = submitted_case(
            consumer,
            company,
            facts=TV_AGAIN,
            **{**tv, "product": "Smart TV 55 pulgadas", "purchase_date": date(2026, 4, 11)},
        )
    assert later.duplicate_of == earlier


def test_two_different_incidents_against_the_same_telecom_are_not_flagged(consumer, other_company):
    with time_machine.travel(MONDAY, tick=False):
        submitted_case(
            consumer,
            other_company,
            facts=OUTAGE,
            product="Internet hogar 300 Mb",
            purchase_date=date(2024, 8, 1),
            amount_paid=Decimal("32000"),
        )
    with time_machine.travel(MONDAY + timedelta(days=40), tick=False):
        later = submitted_case(
            consumer,
            other_company,
            facts=BILLING,
            product="Televisión por cable",
            purchase_date=date(2026, 5, 1),
            amount_paid=Decimal("18500"),
        )
        # Even with the same dates and amounts (the form's defaults), the boilerplate does not match them.
        same_purchase = submitted_case(consumer, other_company, facts=BILLING, product="Televisión por cable")
    assert later.duplicate_of is None
    assert same_purchase.duplicate_of is None or same_purchase.duplicate_of == later


def test_a_long_account_does_not_match_a_short_unrelated_one(consumer, company):
    assert similarity(SHORT, LONG) < 0.5
    with time_machine.travel(MONDAY, tick=False):
        submitted_case(consumer, company, facts=LONG, product="Lavarropas 8 kg", amount_paid=Decimal("610000"))
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        later = submitted_case(consumer, company, facts=SHORT)
    assert later.duplicate_of is None


def test_only_the_first_5000_characters_are_compared():
    assert "placa" not in content_words("a " * 2500 + "placa")


def test_the_panel_shows_product_purchase_date_and_amount_of_both(consumer, company, officer, client_for):
    _earlier, later = a_pair(consumer, company)
    page = client_for(officer).get(reverse("complaint_detail", args=[later.pk])).content.decode()
    panel = page[page.index('id="duplicate-panel"') : page.index('id="admit-title"')]
    assert panel.count("Heladera No Frost 360 L") == 2
    assert panel.count('datetime="2026-03-02"') == 2
    assert panel.count("Amount paid</dt>") == 2
    assert "Purchase dates: 0 days apart." in panel


# --- Open cases only (review finding 6) -------------------------------------------------------------------


@pytest.mark.parametrize("close", ["withdraw", "reject"])
def test_a_refiling_after_a_closed_case_is_not_flagged(close, consumer, company, officer):
    with time_machine.travel(MONDAY, tick=False):
        earlier = submitted_case(consumer, company)
        if close == "withdraw":
            services.complaint_withdraw(complaint=earlier, by=consumer, reason="")
        else:
            services.complaint_reject(complaint=earlier, by=officer, reason=RejectionReason.values[0])
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        later = submitted_case(consumer, company, facts=REWORDED)
    assert later.duplicate_of is None


def test_the_flag_points_to_the_original_not_to_an_undecided_copy(consumer, company):
    with time_machine.travel(MONDAY, tick=False):
        first = submitted_case(consumer, company, facts=FACTS)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        copy = submitted_case(consumer, company, facts=REWORDED)
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        third = submitted_case(consumer, company, facts=REWORDED)
    assert copy.duplicate_of == first
    assert third.duplicate_of == first


# --- The flag never fails nor slows the submission (review finding 7) -----------------------------------


def test_the_submission_succeeds_when_the_finder_fails(consumer, company, monkeypatch):
    import complaints.services.duplicates as module

    def broken(case):
        raise RuntimeError("finder bug")

    monkeypatch.setattr(module, "best_match", broken)
    later = submitted_case(consumer, company)
    assert later.status == State.SUBMITTED and later.number and later.duplicate_of is None


def test_the_submission_succeeds_when_the_broker_is_down(consumer, company, monkeypatch):
    from complaints.tasks_duplicates import flag_duplicate

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(flag_duplicate, "delay", down)
    submitted_case(consumer, company)
    later = submitted_case(consumer, company, facts=REWORDED)
    assert later.status == State.SUBMITTED and later.duplicate_of is None


def test_the_review_page_computes_a_flag_the_task_never_set(consumer, company, officer, client_for):
    earlier = submitted_case(consumer, company)
    later = submitted_without_commit(consumer, company, facts=REWORDED)  # the task never ran
    later.refresh_from_db()
    assert later.duplicate_of is None
    page = client_for(officer).get(reverse("complaint_detail", args=[later.pk])).content.decode()
    assert "Possible duplicate of" in page
    later.refresh_from_db()
    assert later.duplicate_of == earlier


# --- The record's language, the queue's filter, long case numbers ------------------------------------------


def test_the_record_is_written_in_the_offices_language_whoever_clicked(consumer, company, officer, settings):
    earlier, later = a_pair(consumer, company)
    settings.LANGUAGE_CODE = "en"
    with translation.override("es-ar"):
        duplicate_join(complaint=later, by=officer)
    event = CaseEvent.objects.get(complaint=later, action="reject")
    assert event.reason.startswith("Duplicate of another complaint. It was joined into")
    later.refresh_from_db()
    assert later.rejection_detail.startswith(f"It was joined into {earlier.number}")


def test_the_duplicates_filter_lists_only_complaints_awaiting_review(consumer, company, officer, client_for):
    _earlier, later = a_pair(consumer, company)
    services.complaint_observe(complaint=later, by=officer, observation="Falta la factura.")
    page = client_for(officer).get(QUEUE, {"duplicates": "1", "status": ""}).content.decode()
    assert str(later.number) not in page


def test_a_dismissal_is_remembered_for_case_numbers_past_six_digits(consumer, company, officer):
    from complaints.duplicates import CASE_NUMBER_AT_START

    match = CASE_NUMBER_AT_START.match("DC-2026-1234567. Otra compra.")
    assert match is not None and match.group(1) == "DC-2026-1234567"
