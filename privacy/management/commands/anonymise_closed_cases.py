"""Anonymise closed cases past CASE_RETENTION_YEARS now (the beat job does it every night).

manage.py anonymise_closed_cases            # anonymise every case due
manage.py anonymise_closed_cases --dry-run  # only count them"""

from django.core.management.base import BaseCommand, CommandParser

from privacy.services import anonymise_closed_cases, cases_due


class Command(BaseCommand):
    help = "Remove the personal data of closed cases past CASE_RETENTION_YEARS, keeping their statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count the cases due; change nothing.")
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args: object, dry_run: bool = False, batch_size: int = 100, **options: object) -> None:
        if dry_run:
            self.stdout.write(f"{cases_due().count()} closed cases are due for anonymisation.")
            return
        done = anonymise_closed_cases(batch_size=batch_size, max_batches=10**9)
        self.stdout.write(self.style.SUCCESS(f"{done} closed cases anonymised."))
