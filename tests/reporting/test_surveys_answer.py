"""The survey's page, opened from the message's link: answered without signing in, once only, until
it expires, by its respondent alone; a link tampered with, or another survey's, opens nothing. The
page speaks the request's language and its query count does not grow with the case."""

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints.models import CaseCompany
from parties.models import Company, Representation
from reporting.models import Survey
from reporting.survey_links import SALT, survey_token
from reporting.surveys import ANSWERED, SurveyError, survey_answer
from tests.complaints.factories import served_case
from tests.complaints.test_concurrency import run_together
from tests.conftest import make_user
from tests.reporting.test_surveys_support import (
    answers,
    closed_served_case,
    company_survey,
    consumer_survey,
    link,
    withdrawn,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(consumer, company, officer, representative, django_capture_on_commit_callbacks):
    return closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)


@pytest.fixture
def survey(case) -> Survey:
    return consumer_survey(case)


def unchanged(survey: Survey) -> bool:
    fresh = Survey.objects.get(pk=survey.pk)
    return (fresh.answered_at, fresh.satisfaction, fresh.solved, fresh.would_use_again, fresh.comment) == (
        survey.answered_at,
        survey.satisfaction,
        survey.solved,
        survey.would_use_again,
        survey.comment,
    )


# --- Answering -------------------------------------------------------------------------------------


def test_the_link_opens_the_form_without_signing_in(client, survey, case):
    response = client.get(link(survey))

    assert response.status_code == 200
    page = response.content.decode()
    assert "How was the service?" in page
    assert f"Case {case.number}" in page
    # Three radio groups, each a fieldset with its legend; the comment has a label and a limit.
    assert page.count("<fieldset") == 3 and page.count("<legend") == 3
    assert "Overall, how satisfied are you with the service?" in page
    assert page.count('type="radio" name="satisfaction"') == 5
    assert "Very satisfied" in page and "Very dissatisfied" in page
    assert page.count('type="radio" name="solved"') == 3
    assert page.count('type="radio" name="would_use_again"') == 2
    assert 'maxlength="2000"' in page
    # The token in the address stays on this site and out of caches and indexes.
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_answering_through_the_link_saves_the_answers(client, survey):
    response = client.post(link(survey), answers(comment="  Me atendieron muy bien.  "))

    assert response.status_code == 200
    assert "Your answers were saved" in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is not None
    assert (survey.satisfaction, survey.solved, survey.would_use_again) == (4, "partly", True)
    assert survey.comment == "Me atendieron muy bien."
    assert survey.answered_by is None  # nobody was signed in: the link alone


def test_a_signed_in_consumer_answering_is_recorded_as_the_one_who_answered(client_for, consumer, survey):
    response = client_for(consumer).post(link(survey), answers(would_use_again="no", comment=""))

    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.answered_by == consumer
    assert survey.would_use_again is False
    assert survey.comment == ""


def test_the_company_survey_is_answered_by_its_representatives(client_for, representative, case):
    survey = company_survey(case)

    page = client_for(representative).get(link(survey)).content.decode()
    assert "Was the consumer&#x27;s complaint resolved?" in page
    assert "Electrodomésticos del Sur S.A." in page
    response = client_for(representative).post(link(survey), answers(satisfaction="5", solved="yes"))

    assert response.status_code == 200
    survey.refresh_from_db()
    assert (survey.satisfaction, survey.solved, survey.answered_by) == (5, "yes", representative)


def test_a_representative_without_a_validated_power_may_answer_too(client_for, unvalidated_representative, case):
    survey = company_survey(case)

    response = client_for(unvalidated_representative).post(link(survey), answers())

    assert response.status_code == 200
    assert Survey.objects.get(pk=survey.pk).answered_by == unvalidated_representative


def test_a_form_with_mistakes_says_which_and_saves_nothing(client, survey):
    response = client.post(link(survey), {"comment": "x" * 2001})

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    # Each error links to its field, and each field says it is invalid.
    assert 'href="#id_satisfaction_0">Choose how satisfied you are with the service.' in page
    assert 'href="#id_solved_0">Say whether your problem was solved.' in page
    assert 'href="#id_would_use_again_0">Say whether you would use the service again.' in page
    assert "Write at most 2000 characters." in page
    assert 'id="id_comment_error"' in page and 'aria-invalid="true"' in page
    assert unchanged(survey)


def test_a_score_outside_one_to_five_is_refused(client, survey):
    response = client.post(link(survey), answers(satisfaction="9"))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert unchanged(survey)


# --- Once only -------------------------------------------------------------------------------------


def test_a_second_submit_says_thank_you_and_changes_nothing(client, survey):
    assert client.post(link(survey), answers()).status_code == 200
    survey.refresh_from_db()

    response = client.post(link(survey), answers(satisfaction="1", solved="no", comment="Cambié de opinión."))

    assert response.status_code == 200
    page = response.content.decode()
    assert "This survey was already answered. Thank you!" in page
    assert 'name="satisfaction"' not in page
    assert unchanged(survey)
    # Opening the link again says the same.
    assert "This survey was already answered" in client.get(link(survey)).content.decode()


def test_a_stale_copy_of_the_survey_cannot_answer_it_twice(survey):
    """The service reads the survey again under its row lock: the copy the page loaded before the
    first answer committed does not let a second one through."""
    stale = Survey.objects.get(pk=survey.pk)
    survey_answer(survey=survey, by=None, satisfaction=3, solved="yes", would_use_again=True)

    with pytest.raises(SurveyError) as refused:
        survey_answer(survey=stale, by=None, satisfaction=1, solved="no", would_use_again=False)

    assert refused.value.refusal.reason == ANSWERED
    assert Survey.objects.get(pk=survey.pk).satisfaction == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_saves_one_answer(consumer, company, officer, django_capture_on_commit_callbacks):
    case = withdrawn(served_case(consumer, company, officer), consumer, django_capture_on_commit_callbacks)
    survey = consumer_survey(case)

    def submit(index: int) -> str:
        response = Client(HTTP_ACCEPT_LANGUAGE="en").post(link(survey), answers(satisfaction=str(index + 1)))
        assert response.status_code == 200
        page = response.content.decode()
        return "saved" if "Your answers were saved" in page else "already" if "already answered" in page else page

    outcomes = run_together(2, submit)

    assert sorted(outcomes) == ["already", "saved"], outcomes  # type: ignore[type-var]
    survey.refresh_from_db()
    assert survey.satisfaction in (1, 2) and survey.answered_at is not None


# --- Expired, tampered with, someone else's --------------------------------------------------------


def test_an_expired_link_says_the_survey_closed_and_saves_nothing(client, survey):
    with time_machine.travel(survey.expires_at + timedelta(minutes=1), tick=False):
        opened = client.get(link(survey))
        posted = client.post(link(survey), answers())

    assert opened.status_code == 410
    assert "This survey is closed" in opened.content.decode()
    assert 'name="satisfaction"' not in opened.content.decode()
    assert posted.status_code == 410
    assert unchanged(survey)


def test_the_link_still_works_a_minute_before_it_expires(client, survey):
    with time_machine.travel(survey.expires_at - timedelta(minutes=1), tick=False):
        assert client.post(link(survey), answers()).status_code == 200

    assert Survey.objects.get(pk=survey.pk).answered_at is not None


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"), id="signature changed"),
        pytest.param(lambda token: token.split(":")[0], id="signature cut off"),
        pytest.param(lambda token: "x" + token, id="payload changed"),
        pytest.param(lambda token: "not-a-token", id="garbage"),
    ],
)
def test_a_tampered_link_is_not_valid(client, survey, tamper):
    token = tamper(survey_token(survey))

    for response in (client.get(f"/encuesta/{token}/"), client.post(f"/encuesta/{token}/", answers())):
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
    assert unchanged(survey)


def test_another_surveys_token_opens_nothing(client, case, survey):
    """A token naming another survey, or carrying another survey's nonce, or signed for something
    else than a survey, or made dead by a new nonce, opens nothing."""
    other = company_survey(case)
    forged = [
        signing.Signer(salt=SALT).sign_object([other.pk, survey.nonce]),  # another survey's id with this nonce
        signing.Signer(salt="another.purpose").sign_object([survey.pk, survey.nonce]),
        signing.dumps([survey.pk, survey.nonce], salt=SALT),  # signed with a timestamp: another format
        signing.Signer(salt=SALT).sign_object({"s": survey.pk, "n": survey.nonce}),  # not the shape of a link
        signing.Signer(salt=SALT).sign_object([True, survey.nonce]),
    ]
    old = survey_token(survey)
    Survey.objects.filter(pk=survey.pk).update(nonce="a-new-nonce")
    forged.append(old)

    for token in forged:
        response = client.post(f"/encuesta/{token}/", answers())
        assert response.status_code == 404, token
        assert "This link is not valid" in response.content.decode()
    assert not Survey.objects.filter(answered_at__isnull=False).exists()


def test_a_signed_in_stranger_is_refused_with_a_clear_message(client_for, stranger, survey):
    client = client_for(stranger)

    for response in (client.get(link(survey)), client.post(link(survey), answers())):
        assert response.status_code == 403
        page = response.content.decode()
        assert "This survey is for someone else" in page
        assert "sign out and open the link again" in page
        assert survey.complaint.number not in page  # nothing about the case
    assert unchanged(survey)


def test_the_consumer_and_the_company_cannot_answer_each_others_survey(client_for, consumer, representative, case):
    consumers, companys = consumer_survey(case), company_survey(case)

    assert client_for(representative).post(link(consumers), answers()).status_code == 403
    assert client_for(consumer).post(link(companys), answers()).status_code == 403
    assert unchanged(consumers) and unchanged(companys)


def test_a_representative_of_another_company_or_a_revoked_one_is_refused(client_for, company, other_company, case):
    survey = company_survey(case)
    elsewhere = make_user("rosa@conectar.test", "representative")
    Representation.objects.create(user=elsewhere, company=other_company, is_admin=True)
    gone = make_user("ex@electrosur.test", "representative")
    Representation.objects.create(user=gone, company=company, revoked_at=survey.created_at)

    for person in (elsewhere, gone):
        assert client_for(person).post(link(survey), answers()).status_code == 403
    assert unchanged(survey)


def test_the_office_signed_in_is_refused_too(client_for, officer, survey):
    assert client_for(officer).post(link(survey), answers()).status_code == 403
    assert unchanged(survey)


# --- Languages and queries -------------------------------------------------------------------------


def test_the_page_speaks_spanish_to_a_spanish_browser(survey):
    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").get(link(survey))

    page = response.content.decode()
    assert '<html lang="es-ar"' in page
    assert "Ir al contenido principal" in page  # the site's own words, already translated
    # Written out: a page left untranslated fails.
    assert "¿Cómo fue el servicio?" in page
    assert "En general, ¿qué tan satisfecho/a estás con el servicio?" in page
    assert "Enviar mis respuestas" in page
    assert "How was the service?" not in page


def test_the_page_speaks_english_to_an_english_browser(survey):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(link(survey)).content.decode()

    assert '<html lang="en"' in page
    assert "Skip to main content" in page
    assert "How was the service?" in page and "Send my answers" in page


def test_the_thank_you_page_speaks_spanish_too(survey):
    response = Client(HTTP_ACCEPT_LANGUAGE="es-AR").post(link(survey), answers())

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es-ar"' in page
    assert "Guardamos tus respuestas. Gracias por ayudarnos a mejorar el servicio." in page


def test_the_answer_page_makes_as_many_queries_for_a_big_case_as_for_a_small_one(
    client, client_for, consumer, company, officer, representative, django_capture_on_commit_callbacks
):
    """Loading the survey (its case and company in one query) and, signed in, the session, the user
    and whether they represent the company: nothing grows with the case's parts or representatives."""
    small = closed_served_case(consumer, company, officer, django_capture_on_commit_callbacks)
    big = served_case(consumer, company, officer)
    for number in range(4):
        other = Company.objects.create(cuit=f"3070000000{number}", legal_name=f"Otra {number} S.A.")
        CaseCompany.objects.create(
            complaint=big,
            company=other,
            cuit=other.cuit,
            name=other.legal_name,
            position=number + 2,
            notified_at=big.created_at,
        )
        for person in range(3):
            user = make_user(f"rep{number}-{person}@otra.test", "representative")
            Representation.objects.create(user=user, company=other)
    for person in range(3):
        user = make_user(f"more{person}@electrosur.test", "representative")
        Representation.objects.create(user=user, company=company)
    big = withdrawn(big, consumer, django_capture_on_commit_callbacks)
    assert Survey.objects.filter(complaint=big).count() == 6

    def queries(browser: Client, survey: Survey) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(link(survey)).status_code == 200
        return len(captured)

    anonymous = [queries(client, consumer_survey(small)), queries(client, consumer_survey(big))]
    company_side = [
        queries(client_for(representative), s) for s in (company_survey(small), big.surveys.get(part__company=company))
    ]
    # Not signed in: the survey with its case and company, one query.
    assert anonymous == [1, 1]
    # Signed in: the session, the user, the survey, whether they represent the company (the rule),
    # and the header's own (their companies, their profile, the inbox's unread count).
    assert company_side[0] == company_side[1] <= 8
