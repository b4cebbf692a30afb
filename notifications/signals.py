"""Signals for the floors above (complaints, hearings), which may react without notifications
importing them.

`formal_notice_served` is sent after the transaction that served the notice commits.
kwargs: notice (FormalNotice), how ("opened" by a representative, or "deemed" after the deadline)."""

from django.dispatch import Signal

formal_notice_served = Signal()
