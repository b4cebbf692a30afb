"""One function per move on a hearing, each atomic, row-locked and logged on the case:

scheduling.py  schedule, reschedule, cancel, adjourn (cuarto intermedio)
room.py        attendance (browser, Jitsi server events, by hand), recording consent and registration
outcome.py     the outcome, the acta and its confirmations, approval, absences, agreement follow-up
"""
