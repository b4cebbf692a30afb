"""What the complaints floor tells the floors above it, without knowing them."""

from django.dispatch import Signal

# Sent by every case move inside its transaction, with the case row locked:
# sender=Complaint, case=<the locked Complaint, already saved>, event=<its CaseEvent>.
case_moved = Signal()
