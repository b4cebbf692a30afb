"""One function per move on a hearing, each atomic, row-locked and logged on the case:

scheduling.py  schedule, reschedule, cancel, adjourn (cuarto intermedio)
room.py        attendance (browser, Jitsi server events, by hand), recording consent and registration
outcome.py     the outcome of a hearing (an adjournment goes through scheduling.py)
acta.py        the acta: generated after the outcome, confirmed by the parties
approval.py    the office's approval of an agreement (homologación)
absences.py    justifying an absence, the office's decision, the consequence of an expired deadline
follow_up.py   the agreement's follow-up: asked, honoured or breached, proof of compliance
referral.py    the office refers the case to the legal department
shared.py      the hearing's lock and what several moves share (moments, texts, uploads)

Who may do each move now is decided in hearings/policy.py; the services ask it under the lock.
"""
