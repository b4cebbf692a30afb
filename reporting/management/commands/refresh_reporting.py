"""Refreshes the reporting tables (reporting/refresh.py): what beat runs every few minutes.

    python manage.py refresh_reporting          # incremental: the cases that moved since the last run
    python manage.py refresh_reporting --full   # rebuild every fact row, the cube and the figures

Prints what it did and how long it took."""

from django.core.management.base import BaseCommand

from reporting import refresh


class Command(BaseCommand):
    help = "Refresh the indicators' summary tables (--full: rebuild them from every case)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true", help="Rebuild everything, not only what moved.")

    def handle(self, *args, **options) -> None:
        result = refresh.rebuild() if options["full"] else refresh.refresh()
        if result.skipped:
            self.stdout.write("Another refresh is running: nothing done.")
            return
        kind = "Rebuilt" if result.full else "Refreshed"
        self.stdout.write(
            self.style.SUCCESS(
                f"{kind}: {result.cases:,} cases, {result.months:,} months, {result.companies:,} companies "
                f"in {result.seconds:.1f} s."
            )
        )
