"""Webhooks: the companies' systems told of their cases' moves, through an outbox.

events.py    which case action sends which webhook event (declared once)
fanout.py    the deliveries of one event, written in the move's transaction (and their payload)
signing.py   Standard Webhooks signatures; new endpoint secrets
delivery.py  claim, sign, POST, record, retry, switch off; the sweeper; resend and enable
tasks.py     the Celery tasks (after commit; beat's sweeper every minute)
"""
