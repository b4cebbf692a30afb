"""When a case ends, the consumer and each company served are asked for a survey: once per party per
case, by a task queued after the closing commits (and, if that task is lost, by the hourly sweeper),
each by a message in their own language that carries the link."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints import services as case_services
from complaints.states import State
from notifications.models import Notification
from parties.models import Representation
from privacy.services.anonymisation import case_anonymise
from reporting import surveys as survey_services
from reporting.models import Survey
from reporting.survey_links import survey_for_token
from reporting.surveys import survey_answer
from reporting.tasks_surveys import ask_case_surveys, ask_missed_surveys
from tests.complaints.factories import served_case
from tests.conftest import make_user
from tests.reporting.test_surveys_support import (
    absolute_link,
    closed_served_case,
    closed_unserved_case,
    company_survey,
    consumer_survey,
    email_to,
    messages_to,
    withdrawn,
)

pytestmark = pytest.mark.django_db

CONSUMER_SENTENCE = (
    "Your case has ended. Please tell us how the service went: three questions, two minutes. "
    "Your answers help the office improve."
)
COMPANY_SENTENCE = (
    "The case has ended for %(company_name)s. Please tell us how the conciliation service went for your "
    "company: three questions, two minutes."
)
# What the catalogue must say in Spanish (locale/es_AR), written out: an untranslated message fails.
CONSUMER_SENTENCE_ES = (
    "Tu caso terminó. Contanos cómo fue el servicio: son tres preguntas y dos minutos. "
    "Tus respuestas ayudan a la oficina a mejorar."
)
COMPANY_SENTENCE_ES = (
    "Contanos cómo le fue a tu empresa con el servicio de conciliación: son tres preguntas y dos minutos."
)


def test_closing_a_case_asks_the_consumer_and_the_company_served_once_each(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    before = timezone.now()
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    assert case.status == State.WITHDRAWN
    surveys = Survey.objects.filter(complaint=case).order_by("respondent")
    assert [(s.respondent, s.part_id) for s in surveys] == [("company", case.parts.get().pk), ("consumer", None)]
    for survey in surveys:
        assert survey.sent_at is not None and survey.sent_at >= before
        assert survey.expires_at == survey.sent_at + timedelta(days=30)
        assert survey.answered_at is None and survey.reminded_at is None
    # Each by their channels: the consumer (no SMS consent) by e-mail and the inbox; the company's
    # representative likewise, never as a formal notice.
    assert [row.channel for row in messages_to(consumer)] == ["email", "inbox"]
    assert [row.channel for row in messages_to(representative)] == ["email", "inbox"]
    assert not Notification.objects.filter(event="survey_invitation", formal=True).exists()
    assert not Notification.objects.filter(event="survey_invitation", recipient__isnull=True).exists()


def test_each_message_carries_its_own_link_in_the_recipients_language(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    representative.preferred_language = "en"
    representative.save(update_fields=["preferred_language"])
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    # The consumer's, in Spanish (her language), with the link to her survey.
    mail = email_to(consumer)
    assert mail.language == "es-ar"
    assert mail.body_text.startswith("Hola, María,")
    assert CONSUMER_SENTENCE_ES in mail.body_text
    assert "Responder la encuesta: " + absolute_link(consumer_survey(case)) in mail.body_text
    assert "No necesitás iniciar sesión. El enlace funciona hasta el " in mail.body_text
    assert absolute_link(consumer_survey(case)) in mail.body_html
    assert mail.subject == f"El expediente {case.number} terminó: ¿cómo fue el servicio?"
    # The representative's, in English, with the link to the company's survey, not the consumer's.
    mail = email_to(representative)
    assert mail.language == "en"
    assert mail.body_text.startswith("Hello Jorge,")
    assert COMPANY_SENTENCE % {"company_name": "Electrodomésticos del Sur S.A."} in mail.body_text
    assert absolute_link(company_survey(case)) in mail.body_text
    assert absolute_link(consumer_survey(case)) not in mail.body_text
    assert mail.subject == f"Case {case.number} has ended: how was the service?"
    # The link each message carries opens that recipient's survey.
    token = mail.body_text.split("/encuesta/")[1].split("/")[0]
    assert survey_for_token(token) == company_survey(case)


def test_the_short_text_of_an_sms_carries_the_link(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    consumer.consumer_profile.sms_consent_at = timezone.now()
    consumer.consumer_profile.save(update_fields=["sms_consent_at"])
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    [sms] = [row for row in messages_to(consumer) if row.channel == "sms"]
    assert absolute_link(consumer_survey(case)) in sms.body_text
    assert len(sms.body_text) <= 320


def test_a_company_never_served_is_not_asked(consumer, company, representative, django_capture_on_commit_callbacks):
    case = closed_unserved_case(consumer, company, django_capture_on_commit_callbacks)

    assert list(Survey.objects.filter(complaint=case).values_list("respondent", flat=True)) == ["consumer"]
    assert messages_to(representative) == []
    assert len(messages_to(consumer)) == 2


def test_every_active_representative_is_asked_and_a_revoked_one_is_not(
    consumer, company, officer, representative, unvalidated_representative, django_capture_on_commit_callbacks
):
    revoked = make_user("ex@electrosur.test", "representative", first_name="Ex")
    Representation.objects.create(user=revoked, company=company, revoked_at=timezone.now())

    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    link = absolute_link(company_survey(case))
    assert link in email_to(representative).body_text
    assert link in email_to(unvalidated_representative).body_text
    assert messages_to(revoked) == []


def test_a_company_without_representatives_is_asked_at_its_electronic_domicile(
    consumer, company, officer, django_capture_on_commit_callbacks
):
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    survey = company_survey(case)
    assert survey.sent_at is not None  # sent, so it is reminded too
    [mail] = Notification.objects.filter(event="survey_invitation", recipient__isnull=True)
    assert (mail.address, mail.channel, mail.formal, mail.language) == (
        "legales@electrosur.test",
        "email",
        False,
        "es-ar",
    )
    assert mail.body_text.startswith("Hola,")
    assert COMPANY_SENTENCE_ES in mail.body_text
    assert absolute_link(survey) in mail.body_text
    assert absolute_link(consumer_survey(case)) not in mail.body_text


def test_a_company_nobody_can_be_reached_at_gets_its_survey_unsent(
    consumer, company, officer, django_capture_on_commit_callbacks
):
    case = served_case(consumer, company, officer)
    company.electronic_domicile = ""  # removed after it was served
    company.save(update_fields=["electronic_domicile"])

    case = withdrawn(case, consumer, django_capture_on_commit_callbacks)

    assert company_survey(case).sent_at is None  # the reminder job sends it once someone can receive it
    assert Notification.objects.filter(event="survey_invitation").exclude(recipient=consumer).count() == 0


def test_an_inactive_consumer_is_not_invited(consumer, company, officer, django_capture_on_commit_callbacks):
    case = served_case(consumer, company, officer)
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    case = withdrawn(case, consumer, django_capture_on_commit_callbacks)

    assert consumer_survey(case).sent_at is None
    assert messages_to(consumer) == []
    assert company_survey(case).sent_at is not None  # the company is asked all the same


def test_closing_again_asks_nobody_a_second_time(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)
    first = {survey.pk: survey.nonce for survey in Survey.objects.filter(complaint=case)}
    messages = Notification.objects.filter(event="survey_invitation").count()

    # A second move into a closing state: the withdrawn case is archived.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        case_services.complaint_transition(complaint=case, transition="archive", by=officer)

    case.refresh_from_db()
    assert case.status == State.ARCHIVED
    assert {survey.pk: survey.nonce for survey in Survey.objects.filter(complaint=case)} == first
    assert Notification.objects.filter(event="survey_invitation").count() == messages


def test_a_closing_that_rolls_back_asks_nobody(consumer, company, officer, django_capture_on_commit_callbacks):
    case = served_case(consumer, company, officer)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        case_services.complaint_withdraw(complaint=case, by=consumer)
        raise RuntimeError("the move fails after the transition")

    assert not Survey.objects.exists()
    assert not Notification.objects.filter(event="survey_invitation").exists()


def test_the_closing_only_queues_the_task_that_asks(
    consumer, company, officer, representative, django_capture_on_commit_callbacks, monkeypatch
):
    """The closing request writes no survey and no message: it queues the task, after commit."""
    queued: list[int] = []
    monkeypatch.setattr(ask_case_surveys, "delay", queued.append)

    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    assert queued == [case.pk]
    assert not Survey.objects.exists()
    assert not Notification.objects.filter(event="survey_invitation").exists()


def test_a_survey_lost_at_the_closing_is_asked_by_the_hourly_sweeper(
    consumer, company, officer, representative, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_down(*args, **kwargs):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(ask_case_surveys, "delay", broker_down)
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)
    monkeypatch.undo()

    case.refresh_from_db()
    assert case.status == State.WITHDRAWN  # the closing stands
    assert not Survey.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert ask_missed_surveys.delay().get() == 2

    assert absolute_link(consumer_survey(case)) in email_to(consumer).body_text
    assert absolute_link(company_survey(case)) in email_to(representative).body_text
    # The next run finds nothing left to ask: no survey and no message twice.
    messages = Notification.objects.filter(event="survey_invitation").count()
    with django_capture_on_commit_callbacks(execute=True):
        assert ask_missed_surveys.delay().get() == 0
    assert Survey.objects.filter(complaint=case).count() == 2
    assert Notification.objects.filter(event="survey_invitation").count() == messages


def test_the_sweeper_asks_a_company_part_still_missing_its_survey(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)
    company_survey(case).delete()

    assert survey_services.surveys_ask_missed() == 1

    assert company_survey(case).sent_at is not None
    assert Survey.objects.filter(complaint=case).count() == 2


def test_the_sweeper_leaves_alone_a_case_closed_longer_ago_than_a_survey_lasts(
    consumer, company, officer, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(ask_case_surveys, "delay", lambda *args: None)  # the task lost
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)
    closed_at = case.events.get(to_state=State.WITHDRAWN).created_at

    with time_machine.travel(closed_at + timedelta(days=settings.SURVEY_LINK_DAYS, minutes=1), tick=False):
        assert survey_services.surveys_ask_missed() == 0
    with time_machine.travel(closed_at + timedelta(days=settings.SURVEY_LINK_DAYS, minutes=-1), tick=False):
        assert survey_services.surveys_ask_missed() == 2


def test_a_task_that_fails_is_tried_again(
    consumer, company, officer, representative, django_capture_on_commit_callbacks, monkeypatch
):
    real = survey_services.surveys_ask
    calls: list[int] = []

    def fails_once(*, complaint_id: int, **kwargs):
        calls.append(complaint_id)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(complaint_id=complaint_id, **kwargs)

    monkeypatch.setattr(survey_services, "surveys_ask", fails_once)
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    assert calls == [case.pk, case.pk]
    assert Survey.objects.filter(complaint=case).count() == 2
    assert len(messages_to(consumer)) == 2


def test_one_recipient_who_cannot_be_written_to_does_not_stop_the_others(
    consumer,
    company,
    officer,
    representative,
    unvalidated_representative,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    real = survey_services.notify

    def fails_for_jorge(*, recipient, **kwargs):
        if recipient == representative:
            raise RuntimeError("a recipient the outbox refuses")
        return real(recipient=recipient, **kwargs)

    monkeypatch.setattr(survey_services, "notify", fails_for_jorge)
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    assert messages_to(representative) == []
    assert absolute_link(company_survey(case)) in email_to(unvalidated_representative).body_text
    assert absolute_link(consumer_survey(case)) in email_to(consumer).body_text
    assert company_survey(case).sent_at is not None and consumer_survey(case).sent_at is not None


def test_a_survey_none_of_whose_recipients_could_be_written_to_stays_unsent(
    consumer, company, officer, representative, django_capture_on_commit_callbacks, monkeypatch
):
    real = survey_services.notify

    def fails_for_maria(*, recipient, **kwargs):
        if recipient == consumer:
            raise RuntimeError("a recipient the outbox refuses")
        return real(recipient=recipient, **kwargs)

    monkeypatch.setattr(survey_services, "notify", fails_for_maria)
    case = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)

    assert consumer_survey(case).sent_at is None  # the reminder job sends it later
    assert messages_to(consumer) == []
    assert absolute_link(company_survey(case)) in email_to(representative).body_text


def test_beat_runs_the_sweeper_every_hour():
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("ask_missed_surveys")]
    assert entry["task"] == "reporting.tasks_surveys.ask_missed_surveys"
    assert entry["schedule"] == 3600.0


def test_anonymising_the_case_blanks_the_comments_and_keeps_the_scores(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    case = withdrawn(served_case(consumer, company, officer), consumer, django_capture_on_commit_callbacks)
    survey_answer(
        survey=consumer_survey(case),
        by=None,
        satisfaction=2,
        solved="no",
        would_use_again=False,
        comment="Soy María, DNI 30123456, llamenme al 1123456789.",
    )
    survey_answer(
        survey=company_survey(case), by=None, satisfaction=5, solved="yes", would_use_again=True, comment="Todo bien."
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert case_anonymise(complaint_id=case.pk) is not None

    rows = Survey.objects.filter(complaint=case).order_by("respondent")
    assert [(s.respondent, s.comment, s.satisfaction, s.solved, s.would_use_again) for s in rows] == [
        ("company", "", 5, "yes", True),
        ("consumer", "", 2, "no", False),
    ]
