"""The hearings floor listening to case moves it did not make."""

from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from complaints import actions
from complaints.actions import CaseAction
from complaints.models import Complaint
from complaints.signals import case_moved

# Moves that end a case while a hearing may still be on the calendar, and what the parties are told
# when it is called off.
ENDS_BEFORE_HEARING = {
    actions.WITHDRAW: _("The consumer withdrew the complaint."),
    actions.ACCEPT_OFFER: _("The consumer accepted the company's offer, so there is no need for a hearing."),
}


@receiver(case_moved, sender=Complaint)
def release_hearing_of_ended_case(sender, case: Complaint, action: CaseAction, **kwargs) -> None:
    reason = ENDS_BEFORE_HEARING.get(action)
    if reason is not None:
        from .services.scheduling import hearing_release

        hearing_release(case=case, reason=str(reason))
