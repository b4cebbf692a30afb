"""Signals that let the floors above react to parties without parties importing them.

`invitation_created` is sent after the invitation's transaction commits; notifications/ listens
and queues the e-mail through its outbox."""

from django.dispatch import Signal

invitation_created = Signal()  # kwargs: invitation
