"""The case actions the oversight floor records: a wait's deadline passed and the office was
alerted, an acta of no agreement or of an absence standing without the parties' confirmation, and the
deadlines moved by a change of the office's calendar. None moves the case's state. Imported by
OversightConfig.ready.

`answer_window_closed` is no longer recorded (the company's answer window is a service target, not a
legal deadline: Ley 757 sets none, so its end is no adverse fact on the record); it stays declared so
the events already on records keep their label."""

from django.utils.translation import gettext_lazy as _

from complaints.actions import register

CLOCK_ESCALATED = register("clock_escalated", _("Deadline passed: referred to the office to decide"))
ACTA_DEEMED_NOTIFIED = register(
    "acta_deemed_notified", _("Acta stands without the parties' confirmation (deadline passed)")
)
ANSWER_WINDOW_CLOSED = register("answer_window_closed", _("The company's window to answer closed"))
DEADLINE_RECOMPUTED = register("deadline_recomputed", _("Deadlines recomputed after a change of the calendar"))
