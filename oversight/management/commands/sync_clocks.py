"""Open the clocks of every case still waiting on someone (run once after upgrading; safe to run
again: it only opens what is missing and closes what is over): every open case, and the closed ones
whose sanction proceedings (legal/) are still open (a referred or concluded case waits on the legal
directorate)."""

from django.core.management.base import BaseCommand

from complaints.models import Complaint
from complaints.states import CLOSED_STATES, State
from oversight.services.clocks import sync_clocks_for


class Command(BaseCommand):
    help = "Open (and close) the deadline clocks of every open case, in batches."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args, batch: int, **options) -> None:
        skipped = [*CLOSED_STATES, State.DRAFT]
        # Keyset pagination: each batch reads the next ids after the last one.
        last = 0
        total = 0
        while True:
            ids = list(
                Complaint.objects.filter(pk__gt=last)
                .exclude(status__in=skipped)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            total += sync_clocks_for(ids)
            last = ids[-1]
            self.stdout.write(f"{total} cases synced")
        from legal.models import CLOSED_STATUSES, Proceeding  # the floor beside this one

        closed_with_proceedings = sorted(
            set(
                Proceeding.objects.exclude(status__in=CLOSED_STATUSES)
                .filter(complaint__status__in=skipped)
                .values_list("complaint_id", flat=True)
            )
        )
        for start in range(0, len(closed_with_proceedings), batch):
            total += sync_clocks_for(closed_with_proceedings[start : start + batch])
            self.stdout.write(f"{total} cases synced")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} cases."))
