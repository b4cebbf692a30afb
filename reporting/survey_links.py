"""The survey's link: the whole credential of a person who answers without signing in.

A token is the survey's id and its nonce, signed with SECRET_KEY under a salt of its own (a token
signed for anything else in the project never opens a survey). It carries no time: a survey has one
link, the same in the invitation and the reminder. It says which survey, never whether it may still
be answered: that is the survey row's to say (answered_at, expires_at), read by reporting/surveys.py.
A new nonce on the row kills every earlier link to it."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from .models import Survey

SALT = "reporting.survey.link"


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def survey_token(survey: Survey) -> str:
    return _signer().sign_object([survey.pk, survey.nonce])


def survey_url(survey: Survey) -> str:
    """The absolute link the messages carry."""
    return settings.SITE_URL + reverse("survey_answer", args=[survey_token(survey)])


def _unsigned(token: str) -> tuple[int, str] | None:
    try:
        value = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(value, list) and len(value) == 2):
        return None
    pk, nonce = value
    if not (isinstance(pk, int) and not isinstance(pk, bool) and pk > 0 and isinstance(nonce, str)):
        return None
    return pk, nonce


def survey_for_token(token: str) -> Survey | None:
    """The survey a token opens (with its case and company part), or None for a token that is
    tampered with, signed for something else, or whose survey's nonce changed or is gone."""
    unsigned = _unsigned(token)
    if unsigned is None:
        return None
    pk, nonce = unsigned
    survey = Survey.objects.select_related("complaint__company", "part__company").filter(pk=pk).first()
    if survey is None or not constant_time_compare(survey.nonce, nonce):
        return None
    return survey
