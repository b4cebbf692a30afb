"""What the complaints floor tells the floors above it, without knowing them."""

from django.dispatch import Signal

# Sent by every case move inside its transaction, with the case row locked:
# sender=Complaint, case=<the locked Complaint, already saved>, event=<its CaseEvent>,
# action=<the move's declared complaints.actions.CaseAction: ask it, e.g. `action.closes_case`,
# or compare it with a declared constant such as `actions.WITHDRAW`, never with a string>.
case_moved = Signal()

# Sent by `record_event` for every event the case's record gains (a move of its state or not: a
# confirmation, a part's move, a recording), inside the same transaction, with the case row locked:
# sender=CaseEvent, case=<the Complaint>, event=<the CaseEvent>. A transition sends both signals.
# The floors above keep what they derive from the record (e.g. the case's open deadlines) in step.
case_event_recorded = Signal()
