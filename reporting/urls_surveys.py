from django.urls import URLPattern, URLResolver, path

from .views.surveys import survey_answer_page, survey_answers

urlpatterns: list[URLPattern | URLResolver] = [
    # The satisfaction survey, opened by the signed link a party gets when their case ends.
    path("encuesta/<str:token>/", survey_answer_page, name="survey_answer"),
    # The office reads the answers and their comments: supervisors and the director.
    path("oficina/encuestas/", survey_answers, name="survey_answers"),
]
