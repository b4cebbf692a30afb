"""What the oversight floor tells the floors above it, without knowing them."""

from django.dispatch import Signal

# Sent when a clock's reminder goes out, inside the reminder's transaction (the case row locked, the
# stage claimed): sender=Clock, clock=<the Clock>, case=<the Complaint>, stage=<the reminder's number,
# from 0>, now=<the moment>. Sent whoever acts on the wait; a receiver asks `clock.who_acts`.
clock_reminded = Signal()
