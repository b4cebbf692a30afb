"""Webhooks: the companies' systems told of their cases' moves, through an outbox.

events.py    which case action sends which webhook event (declared once)
fanout.py    the deliveries of one event, written in the move's transaction (and their payload)
signing.py   Standard Webhooks signatures; new endpoint secrets
delivery.py  claim, sign, send, record, retry, switch off, park; the sweeper; resend and enable
transport.py one POST (no redirects, a deadline for the whole attempt) and where it may go (SSRF guard)
tasks.py     the Celery tasks (after commit; beat's sweeper every minute)
"""
