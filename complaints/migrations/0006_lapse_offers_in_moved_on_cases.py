"""Offers pending in cases that moved past them lapse.

Since the case's moves lapse a pending offer the consumer can no longer accept
(complaints/services `_apply`), an offer is pending only while the case is in a source state of the
`accept_offer` transition. Offers left pending before that, in cases that have since moved on (an
outcome, a referral, a withdrawal), are lapsed here, as the move would have lapsed them.

The source states are copied, not read from today's model: a migration keeps meaning what it meant
when it was written. They are those of `Complaint.accept_offer` (complaints/models.py) at this
migration. Reversing leaves the offers lapsed."""

from django.db import migrations

# Complaint.accept_offer's `source` when this migration was written.
ACCEPT_OFFER_SOURCES = ("admitted", "company_notified", "hearing_scheduled", "adjourned")


def lapse_stale_offers(apps, schema_editor):  # type: ignore[no-untyped-def]
    Offer = apps.get_model("complaints", "Offer")
    Offer.objects.filter(status="pending").exclude(complaint__status__in=ACCEPT_OFFER_SOURCES).update(status="lapsed")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_case_event_chain_head")]

    operations = [migrations.RunPython(lapse_stale_offers, migrations.RunPython.noop, elidable=True)]
