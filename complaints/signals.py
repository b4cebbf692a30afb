"""What the complaints floor tells the floors above it, without knowing them."""

from django.dispatch import Signal

# Sent by every case move inside its transaction, with the case row locked:
# sender=Complaint, case=<the locked Complaint, already saved>, event=<its CaseEvent>,
# action=<the move's declared complaints.actions.CaseAction: ask it, e.g. `action.closes_case`,
# or compare it with a declared constant such as `actions.WITHDRAW`, never with a string>.
case_moved = Signal()
