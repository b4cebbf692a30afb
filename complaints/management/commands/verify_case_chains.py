"""Checks every case's record against its keyed hash chain and seal (complaints/integrity.py).

    python manage.py verify_case_chains [--batch-size 5000] [--progress]

Prints how many cases and events it checked, how fast, and each break it found; exits with status
1 when anything is broken, so cron or a CI job notices. Beat runs the same check nightly and
alerts the supervisors (complaints/tasks_integrity.py)."""

from django.core.management.base import BaseCommand, CommandError

from complaints.integrity import Report, verify_all


class Command(BaseCommand):
    help = "Verify every case's event chain and seal; exit 1 on any break."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="Cases read per batch (default 5000).")
        parser.add_argument("--progress", action="store_true", help="Print a line after each batch.")

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")

        def progress(report: Report) -> None:
            self.stdout.write(f"… {report.cases:,} cases, {report.cases_per_second:,.0f} cases/s")

        report = verify_all(batch_size=options["batch_size"], on_batch=progress if options["progress"] else None)
        for found in report.breaks:
            self.stdout.write(f"BROKEN {found.case_number or f'(case id {found.case_id})'}: {found.describe()}")
        if len(report.breaks) < report.broken_cases:
            self.stdout.write("(only the first breaks are listed)")
        self.stdout.write(
            f"Checked {report.cases:,} cases and {report.events:,} events in {report.seconds:.1f} s "
            f"({report.cases_per_second:,.0f} cases/s); {report.broken_cases:,} broken."
        )
        if report.broken_cases:
            raise CommandError(f"{report.broken_cases} case record(s) do not match their chain.", returncode=1)
        self.stdout.write(self.style.SUCCESS("Every case record matches its chain."))
