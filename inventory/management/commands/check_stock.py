"""Prove that every balance equals the sum of its ledger lines (exit status 1 on drift)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("Compare the on-hand balance of every part × warehouse with the sum of its stock "
            "ledger lines; report any drift and exit with status 1. With --repair, rebuild "
            "the drifted balances from the ledger (the ledger is the truth).")

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true",
                            help="Set drifted balances to the sum of the ledger.")

    def handle(self, *args, repair=False, **options):
        from inventory import services
        from inventory.models import Part, Warehouse

        drift = services.stock_drift()
        if not drift:
            self.stdout.write(self.style.SUCCESS("Stock balances match the ledger: no drift."))
            return
        parts = dict(Part.objects.filter(pk__in={d.part_id for d in drift})
                     .values_list("pk", "code"))
        warehouses = dict(Warehouse.objects.filter(pk__in={d.warehouse_id for d in drift})
                          .values_list("pk", "code"))
        for d in drift:
            self.stdout.write(f"DRIFT {parts.get(d.part_id, d.part_id)} @ "
                              f"{warehouses.get(d.warehouse_id, d.warehouse_id)}: "
                              f"balance {d.balance}, ledger {d.ledger} "
                              f"(difference {d.balance - d.ledger:+d})")
        if repair:
            services.stock_repair(drift)
            self.stdout.write(self.style.WARNING(
                f"Repaired {len(drift)} balance(s) from the ledger."))
            return
        raise CommandError(f"Stock drift found on {len(drift)} part × warehouse balance(s).")
