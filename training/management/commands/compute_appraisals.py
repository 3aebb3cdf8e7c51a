"""Compute a month's appraisals for all support staff (e.g. from cron on the 1st)."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from training import services


class Command(BaseCommand):
    help = ("Create or recompute the draft appraisals of one month for every support staff "
            "member. Reviewed, acknowledged and imported appraisals are left alone.")

    def add_arguments(self, parser):
        parser.add_argument("month", nargs="?",
                            help="YYYY-MM; default: the month before the current one")
        parser.add_argument("--as", dest="username", required=True,
                            help="the after-sales manager the computation is recorded for")

    def handle(self, *args, month, username, **options):
        from django.utils import timezone

        if month:
            try:
                first = dt.datetime.strptime(month, "%Y-%m").date()
            except ValueError as exc:
                raise CommandError(f"month must look like 2026-03, not {month!r}") from exc
        else:
            first = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        try:
            actor = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user {username!r}") from exc
        try:
            result = services.appraisals_generate(period=services.period_for(first),
                                                  actor=actor)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{first:%Y-%m}: {result}"))
