"""Cron job: plan the maintenance visits now due (idempotent; e.g. daily at 06:00)."""

import datetime as dt

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Create the planned visit of every active maintenance plan whose next due date "
            "is within its lead time. Safe to run any number of times.")

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat,
                            help="Pretend today is this date (YYYY-MM-DD).")

    def handle(self, *args, today=None, verbosity=1, **options):
        from backoffice.care.services import maintenance_generate_due_visits

        created = maintenance_generate_due_visits(today=today)
        if verbosity:
            self.stdout.write(f"{len(created)} maintenance visit(s) planned.")
        if verbosity > 1:
            for visit in created:
                self.stdout.write(f"  {visit.number} {visit.plan} due {visit.due_on}")
