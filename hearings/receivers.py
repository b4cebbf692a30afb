"""The hearings floor listening to case moves it did not make."""

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from complaints.models import CaseEvent, Complaint
from complaints.signals import case_moved

# Moves that end a case while a hearing may still be on the calendar.
ENDS_BEFORE_HEARING = {
    "withdraw": _("The consumer withdrew the complaint."),
    "accept_offer": _("The consumer accepted the company's offer, so there is no need for a hearing."),
}


@receiver(case_moved, sender=Complaint)
def release_hearing_of_ended_case(sender, case: Complaint, event: CaseEvent, **kwargs) -> None:  # type: ignore[no-untyped-def]
    if event.action in ENDS_BEFORE_HEARING:
        from .services.scheduling import hearing_release

        hearing_release(case=case, reason=str(ENDS_BEFORE_HEARING[event.action]))
