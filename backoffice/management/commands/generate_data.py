import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Fill the database with a large synthetic data set (bulk inserts) for "
            "benchmarks: customers and tickets with journals, plus each app's own volume.")

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--customers", type=int, default=None)
        parser.add_argument("--years", type=int, default=4)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, tickets, customers, years, seed, **options):
        from backoffice.platform import domains
        from backoffice.platform.bulk import indexes_built

        started = time.perf_counter()
        for domain, module in domains.modules("generate"):
            if domain == "backoffice.desk":  # the tickets everything else refers to come first
                module.generate(tickets=tickets, customers=customers, years=years, seed=seed,
                                stdout=self.stdout)
            else:
                module.generate(scale=tickets, seed=seed, stdout=self.stdout)
        indexes_built(say=self.stdout.write)  # GIN indexes were built beside the last steps
        self.analyze()
        self.stdout.write(self.style.SUCCESS(
            f"Generated in {time.perf_counter() - started:.1f} s"))

    def analyze(self):
        """Refresh the planner's statistics after a bulk load, as a DBA would: without
        them PostgreSQL plans a million rows as an empty table (and the changelists'
        row estimate, pg_class.reltuples, stays unknown until autovacuum comes by)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write("Statistics refreshed (ANALYZE)")
