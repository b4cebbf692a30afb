"""One reminder per survey, once: after SURVEY_REMINDER_DAYS, only while it is unanswered and open,
and only when someone receives it, claimed by a conditional UPDATE so that two workers at once never
remind twice. The same hourly job sends, once, a survey nobody could receive when it was made, as
soon as someone can. Beat runs it hourly."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from notifications.models import Notification
from parties.models import Representation
from reporting.models import Survey
from reporting.surveys import survey_answer, surveys_remind
from reporting.tasks_surveys import remind_unanswered_surveys
from tests.complaints.factories import served_case
from tests.complaints.test_concurrency import run_together
from tests.conftest import make_user
from tests.notifications.helpers import rendered
from tests.reporting.test_surveys_support import (
    absolute_link,
    closed_served_case,
    company_survey,
    consumer_survey,
    email_to,
    messages_to,
    withdrawn,
)

pytestmark = pytest.mark.django_db

# What the catalogue must say in Spanish (locale/es_AR), written out: an untranslated message fails.
REMINDER_ES = (
    "Hace unos días te preguntamos cómo fue el servicio en tu caso y todavía no recibimos tus respuestas. "
    "Lleva dos minutos."
)


@pytest.fixture
def case(consumer, company, officer, representative, django_capture_on_commit_callbacks):
    return closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)


def reminders() -> int:
    return Notification.objects.filter(event="survey_reminder").count()


def days_after_sending(survey: Survey, days: float):
    assert survey.sent_at is not None
    return time_machine.travel(survey.sent_at + timedelta(days=days), tick=False)


def test_nothing_is_reminded_before_the_reminder_days(case, django_capture_on_commit_callbacks):
    with (
        days_after_sending(consumer_survey(case), settings.SURVEY_REMINDER_DAYS - 0.01),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert surveys_remind() == 0

    assert reminders() == 0
    assert not Survey.objects.filter(reminded_at__isnull=False).exists()


def test_an_unanswered_survey_is_reminded_once_with_its_link(
    case, consumer, representative, django_capture_on_commit_callbacks
):
    survey = consumer_survey(case)
    with days_after_sending(survey, settings.SURVEY_REMINDER_DAYS + 0.01):
        with django_capture_on_commit_callbacks(execute=True):
            assert surveys_remind() == 2  # the consumer's and the company's
        with django_capture_on_commit_callbacks(execute=True):
            assert surveys_remind() == 0  # a second run finds nothing to remind

    assert [row.channel for row in messages_to(consumer, "survey_reminder")] == ["email", "inbox"]
    assert [row.channel for row in messages_to(representative, "survey_reminder")] == ["email", "inbox"]
    mail = email_to(consumer, "survey_reminder")
    assert mail.language == "es-ar"
    assert mail.subject == f"Recordatorio: ¿cómo fue el servicio en el expediente {case.number}?"
    assert REMINDER_ES in mail.body_text
    assert "Responder la encuesta: " + absolute_link(survey) in mail.body_text
    assert absolute_link(company_survey(case)) in email_to(representative, "survey_reminder").body_text
    assert all(s.reminded_at is not None for s in Survey.objects.filter(complaint=case))

    # Even long after, never a second one.
    with days_after_sending(survey, settings.SURVEY_LINK_DAYS - 1):
        assert surveys_remind() == 0
    assert reminders() == 4


def test_an_english_speaker_is_reminded_in_english(case, representative, django_capture_on_commit_callbacks):
    representative.preferred_language = "en"
    representative.save(update_fields=["preferred_language"])

    with days_after_sending(company_survey(case), settings.SURVEY_REMINDER_DAYS + 1):
        surveys_remind()

    mail = email_to(representative, "survey_reminder")
    assert mail.subject == f"Reminder: how was the service in case {case.number}?"
    assert "A few days ago we asked Electrodomésticos del Sur S.A. how the conciliation service went" in mail.body_text


def test_an_answered_survey_is_not_reminded(case, consumer, django_capture_on_commit_callbacks):
    survey_answer(survey=consumer_survey(case), by=None, satisfaction=5, solved="yes", would_use_again=True)

    with days_after_sending(consumer_survey(case), settings.SURVEY_REMINDER_DAYS + 1):
        assert surveys_remind() == 1  # the company's only

    assert messages_to(consumer, "survey_reminder") == []
    assert consumer_survey(case).reminded_at is None


def test_an_expired_survey_is_not_reminded(case):
    survey = consumer_survey(case)
    with time_machine.travel(survey.expires_at + timedelta(seconds=1), tick=False):
        assert surveys_remind() == 0

    assert reminders() == 0


def unreachable_company_case(consumer, company, officer, capture):
    """Closed after the company, served, lost its electronic domicile; it has no representative."""
    case = served_case(consumer, company, officer)
    company.electronic_domicile = ""
    company.save(update_fields=["electronic_domicile"])
    return withdrawn(case, consumer, capture)


def test_a_company_survey_nobody_was_sent_is_not_reminded(
    consumer, company, officer, django_capture_on_commit_callbacks
):
    case = unreachable_company_case(consumer, company, officer, django_capture_on_commit_callbacks)
    assert company_survey(case).sent_at is None  # no representative, no electronic domicile

    with days_after_sending(consumer_survey(case), settings.SURVEY_REMINDER_DAYS + 1):
        assert surveys_remind() == 1

    assert company_survey(case).reminded_at is None


def test_an_unsent_survey_is_sent_once_someone_can_receive_it(
    consumer, company, officer, django_capture_on_commit_callbacks
):
    case = unreachable_company_case(consumer, company, officer, django_capture_on_commit_callbacks)
    survey = company_survey(case)
    expires_at = survey.expires_at
    closed = consumer_survey(case).sent_at
    assert closed is not None

    # Nobody yet: the hourly job leaves it as it is.
    with time_machine.travel(closed + timedelta(hours=1), tick=False):
        assert remind_unanswered_surveys.delay().get() == 0
    assert company_survey(case).sent_at is None

    newcomer = make_user("ana@electrosur.test", "representative", first_name="Ana")
    Representation.objects.create(user=newcomer, company=company)
    later = closed + timedelta(days=2)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert remind_unanswered_surveys.delay().get() == 1
    with time_machine.travel(later + timedelta(hours=1), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert remind_unanswered_surveys.delay().get() == 0  # only once

    survey = company_survey(case)
    assert survey.sent_at == later and survey.expires_at == expires_at  # it keeps its expiry
    assert [row.channel for row in messages_to(newcomer)] == ["email", "inbox"]
    mail = email_to(newcomer)
    assert mail.subject == f"El expediente {case.number} terminó: ¿cómo fue el servicio?"
    assert absolute_link(survey) in mail.body_text
    assert messages_to(newcomer, "survey_reminder") == []
    # Its own reminder comes SURVEY_REMINDER_DAYS after it was sent, not after the closing.
    with days_after_sending(consumer_survey(case), settings.SURVEY_REMINDER_DAYS + 0.5):
        assert surveys_remind() == 1  # the consumer's only
    with days_after_sending(survey, settings.SURVEY_REMINDER_DAYS + 0.5):
        assert surveys_remind() == 1
    assert len(messages_to(newcomer, "survey_reminder")) == 2


def test_an_unsent_survey_is_never_sent_once_it_expired(consumer, company, officer, django_capture_on_commit_callbacks):
    case = unreachable_company_case(consumer, company, officer, django_capture_on_commit_callbacks)
    survey = company_survey(case)
    newcomer = make_user("ana@electrosur.test", "representative", first_name="Ana")
    Representation.objects.create(user=newcomer, company=company)

    with time_machine.travel(survey.expires_at + timedelta(minutes=1), tick=False):
        assert remind_unanswered_surveys.delay().get() == 0

    assert company_survey(case).sent_at is None
    assert messages_to(newcomer) == []


def test_a_survey_nobody_would_receive_is_not_marked_reminded(
    case, company, representative, django_capture_on_commit_callbacks
):
    """The company's representative left and its electronic domicile is gone: nobody is reminded, so
    the survey is not marked; once someone can receive it again, it is."""
    Representation.objects.filter(user=representative).update(revoked_at=timezone.now())
    company.electronic_domicile = ""
    company.save(update_fields=["electronic_domicile"])
    survey = company_survey(case)

    with days_after_sending(survey, settings.SURVEY_REMINDER_DAYS + 1):
        assert surveys_remind() == 1  # the consumer's only
    assert company_survey(case).reminded_at is None

    company.electronic_domicile = "legales@electrosur.test"
    company.save(update_fields=["electronic_domicile"])
    with days_after_sending(survey, settings.SURVEY_REMINDER_DAYS + 2):
        assert surveys_remind() == 1
    assert company_survey(case).reminded_at is not None
    [mail] = rendered(Notification.objects.filter(event="survey_reminder", recipient__isnull=True))
    assert mail.address == "legales@electrosur.test"
    assert absolute_link(survey) in mail.body_text


def test_a_consumer_whose_account_is_inactive_is_not_reminded(case, consumer):
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    with days_after_sending(consumer_survey(case), settings.SURVEY_REMINDER_DAYS + 1):
        assert surveys_remind() == 1  # the company's only

    assert messages_to(consumer, "survey_reminder") == []
    assert consumer_survey(case).reminded_at is None


def test_a_failed_reminder_is_rolled_back_and_tried_again(case, monkeypatch, caplog):
    def outbox_down(*args, **kwargs):
        raise RuntimeError("outbox down")

    with days_after_sending(consumer_survey(case), settings.SURVEY_REMINDER_DAYS + 1):
        monkeypatch.setattr("reporting.surveys.notify", outbox_down)
        with caplog.at_level("ERROR", logger="reporting"):
            assert surveys_remind() == 0
        assert "Could not remind survey" in caplog.text
        assert not Survey.objects.filter(reminded_at__isnull=False).exists()  # the claim rolled back

        monkeypatch.undo()
        assert surveys_remind() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_remind_each_survey_once(
    consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    cases = [
        withdrawn(served_case(consumer, company, officer), consumer, django_capture_on_commit_callbacks)
        for _ in range(3)
    ]

    with days_after_sending(consumer_survey(cases[0]), settings.SURVEY_REMINDER_DAYS + 1):
        results = run_together(4, lambda _i: surveys_remind())

    assert sum(results) == 6, results  # type: ignore[arg-type]
    assert Survey.objects.filter(reminded_at__isnull=False).count() == 6
    assert sorted(row.channel for row in messages_to(consumer, "survey_reminder")) == ["email"] * 3 + ["inbox"] * 3


def test_beat_runs_the_reminder_every_hour(case):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("remind_unanswered_surveys")]
    assert entry["task"] == "reporting.tasks_surveys.remind_unanswered_surveys"
    assert entry["schedule"] == 3600.0
    assert "reporting.tasks_surveys" in settings.CELERY_IMPORTS

    with days_after_sending(consumer_survey(case), settings.SURVEY_REMINDER_DAYS + 1):
        assert remind_unanswered_surveys.delay().get() == 2
