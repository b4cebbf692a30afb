"""What every hearings move needs: the hearing's row lock, and moments written the way the case's
record writes them. (The case's own lock is complaints.services.lock_case; take it first.)"""

from datetime import date, datetime

from django.utils import timezone

from ..models import Hearing


def lock_hearing(pk: int) -> Hearing:
    return (
        Hearing.objects.select_for_update(of=("self",))
        .select_related("complaint", "complaint__company", "conciliator")
        .get(pk=pk)
    )


def on_record(moment: datetime | date) -> str:
    """A moment as the case's record writes it, the same whoever acted and in whatever language."""
    if isinstance(moment, datetime):
        return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}"
    return f"{moment:%d/%m/%Y}"
