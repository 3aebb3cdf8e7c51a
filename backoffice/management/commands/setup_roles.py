from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or update the seven role groups from the permission matrix (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true",
                            help="Print the permission matrix as a Markdown table instead.")

    def handle(self, *args, markdown=False, **options):
        from backoffice.platform import roles

        if markdown:
            self.stdout.write(roles.matrix_markdown())
            return
        roles.sync_roles(stdout=self.stdout)
