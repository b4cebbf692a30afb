"""The survey page, opened from the message's link without signing in: the link is the credential.

What a person sees:
    the form                 the link is good, the survey open, and they are its respondent (or not
                             signed in at all);
    "thank you" (200)        just answered, or answered before (a second submit, a double click);
    "not valid" (404)        a token tampered with, signed for something else, or no longer current;
    "closed" (410)           past its expiry;
    "not for you" (403)      signed in as someone who is not the respondent.
Nothing is ever changed but by a valid answer to an open survey.

And the office's page of answers (`survey_answers`): supervisors and the director read every
answered survey, newest first, with its comment; a 403 for everyone else, as on the office pages.
Reads from the replica when one is configured (config/routers.py)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from config.routers import reads_from_replica
from parties.http import AuthenticatedRequest
from parties.models import Role, User
from parties.paginator import CappedPaginator
from parties.views import role_required

from ..forms_surveys import SATISFACTION_CHOICES, SurveyAnswersFilterForm, SurveyForm
from ..models import Survey
from ..survey_links import survey_for_token
from ..surveys import ANSWERED, EXPIRED, INVALID, SurveyError, SurveyRefusal, survey_answer, why_not_answer

REFUSAL_STATUS = {INVALID: 404, EXPIRED: 410}
ANSWERS_PAGE_SIZE = 25
SATISFACTION_WORDS = dict(SATISFACTION_CHOICES)

answers_access = role_required(Role.SUPERVISOR, Role.DIRECTOR)


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in this page's address: no other site learns it from a Referer; no index keeps it.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _refused(request: HttpRequest, refusal: SurveyRefusal, survey: Survey | None) -> HttpResponse:
    if refusal.reason == ANSWERED:
        return _private(render(request, "reporting/survey/done.html", {"survey": survey, "just_answered": False}))
    status = 403 if refusal.forbidden else REFUSAL_STATUS.get(refusal.reason, 404)
    return _private(
        render(
            request,
            "reporting/survey/refused.html",
            {"reason": refusal.reason, "message": refusal.message, "survey": survey},
            status=status,
        )
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def survey_answer_page(request: HttpRequest, token: str) -> HttpResponse:
    survey = survey_for_token(token)
    if survey is None:
        return _refused(request, SurveyRefusal(INVALID, ""), None)
    user = request.user if isinstance(request.user, User) else None
    refusal = why_not_answer(survey, user)
    if refusal is not None:
        return _refused(request, refusal, survey)
    form = SurveyForm(request.POST if request.method == "POST" else None, respondent=survey.respondent)
    if request.method == "POST" and form.is_valid():
        try:
            survey = survey_answer(survey=survey, by=user, **form.cleaned_data)
        except SurveyError as error:
            return _refused(request, error.refusal, survey)
        return _private(render(request, "reporting/survey/done.html", {"survey": survey, "just_answered": True}))
    return _private(render(request, "reporting/survey/answer.html", {"survey": survey, "form": form}))


@answers_access
@require_GET
@reads_from_replica
def survey_answers(request: AuthenticatedRequest) -> HttpResponse:
    """Queries: the session and the user, the capped count and the page's rows (with their case and
    company part in the same query), whatever the number of answers."""
    form = SurveyAnswersFilterForm(request.GET or None)
    # The partial index `survey_answered` (answered_at WHERE answered) serves the order and the page.
    answered = form.filter(Survey.objects.filter(answered_at__isnull=False))
    answered = answered.select_related("complaint", "part__company").order_by("-answered_at", "-pk")
    page = CappedPaginator(answered, ANSWERS_PAGE_SIZE, count_in_order=True).get_page(request.GET.get("page"))
    rows = [(survey, SATISFACTION_WORDS.get(survey.satisfaction or 0, "")) for survey in page]
    return render(
        request,
        "reporting/survey/answers.html",
        {"form": form, "page_obj": page, "rows": rows, "filtered": form.narrows()},
    )
