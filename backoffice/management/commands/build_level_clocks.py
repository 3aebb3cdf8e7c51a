"""Once, after the upgrade that brought the level clocks: rebuild the spans of existing
tickets from their journal (best effort; idempotent)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Give every ticket without level-clock spans spans rebuilt from its journal "
            "(time held per support level and waits). Safe to run any number of times.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size=1000, verbosity=1, **options):
        from backoffice.desk.services import build_level_clocks

        done = build_level_clocks(batch_size=batch_size)
        if verbosity:
            self.stdout.write(f"{done} ticket(s) given level clocks.")
