from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create or update the seven role groups from the permission matrix (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true",
                            help="Print the permission matrix as a Markdown table instead.")

    def handle(self, *args, markdown=False, **options):
        from backoffice import roles

        if markdown:
            matrix = roles.permission_matrix()
            self.stdout.write("| role | group | permissions |\n|---|---|---|")
            for role, perms in matrix.items():
                self.stdout.write(f"| {role} | {roles.group_name(role)} | "
                                  f"{', '.join(sorted(perms))} |")
            return
        roles.sync_roles(stdout=self.stdout)
