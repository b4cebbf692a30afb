from django.http import HttpRequest, HttpResponse


def hearing_room(request: HttpRequest, pk: int) -> HttpResponse:  # placeholder until the room page lands
    raise NotImplementedError
