"""Cron job: book the follow-up call (回访) of every recently closed ticket lacking one
(idempotent; e.g. every 15 minutes)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Create a follow-up call for each ticket closed in the last "
            "FOLLOWUP_LOOKBACK_DAYS days that has none. Safe to run any number of times.")

    def add_arguments(self, parser):
        parser.add_argument("--lookback-days", type=int, default=None,
                            help="Look at tickets closed in this many days "
                                 "(default: settings.FOLLOWUP_LOOKBACK_DAYS).")

    def handle(self, *args, lookback_days=None, verbosity=1, **options):
        from backoffice.care.services import followups_generate

        created = followups_generate(lookback_days=lookback_days)
        if verbosity:
            self.stdout.write(f"{len(created)} follow-up call(s) booked.")
