from inspect import signature

from django.core.management.base import BaseCommand
from django.utils import translation


class Command(BaseCommand):
    help = "Create the demo users (one per role), reference data and demo records. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=300)

    def handle(self, *args, tickets, **options):
        from backoffice.platform import demo, domains

        translation.activate("zh-hans")
        users = demo.ensure_users(self.stdout)
        for _domain, module in domains.modules("demo"):
            extra = {"ticket_count": tickets} if "ticket_count" in signature(module.load).parameters else {}
            module.load(users=users, stdout=self.stdout, **extra)
        demo.settle_notifications(self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready. Users: admin, {', '.join(demo.DEMO_USERS)}; "
            f"password for all: {demo.DEMO_PASSWORD}"))
