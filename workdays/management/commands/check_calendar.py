"""Run at every deploy: when the holidays in use changed (an upgraded `holidays` package, another
OFFICE_HOLIDAY_SUBDIVISION), record each date that came or went and recompute its deadlines."""

from django.core.management.base import BaseCommand

from workdays.services import holidays_check


class Command(BaseCommand):
    help = "Compare the holidays in use with the last check and recompute the deadlines of each changed date."

    def handle(self, *args: object, **options: object) -> None:
        changes = holidays_check()
        for change in changes:
            self.stdout.write(f"{change.day:%Y-%m-%d} {change.action}: {change.reason}")
        self.stdout.write(f"{len(changes)} holiday dates changed.")
