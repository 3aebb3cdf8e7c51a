from django.core.management.base import BaseCommand
from django.utils import translation


class Command(BaseCommand):
    help = "Create the demo users (one per role), reference data and demo records. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=300)

    def handle(self, *args, tickets, **options):
        from importlib import import_module

        from backoffice import demo
        from backoffice.roles import ROLE_APPS

        translation.activate("zh-hans")
        users = demo.load(ticket_count=tickets, stdout=self.stdout)
        for app in ROLE_APPS[1:]:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            module.load(users=users, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready. Users: admin, {', '.join(demo.DEMO_USERS)}; "
            f"password for all: {demo.DEMO_PASSWORD}"))
