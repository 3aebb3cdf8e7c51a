"""Ratings already on tickets get their source: staff entered every confirmation until
now, by phone; where a follow-up survey later wrote its rating over the ticket's (the
old behaviour), the ticket's figure is the survey's. Resolved tickets were resolved by
their engineer."""

from django.db import migrations
from django.db.models import Exists, F, OuterRef


def set_sources(apps, schema_editor):
    Ticket = apps.get_model("backoffice", "Ticket")
    FollowUp = apps.get_model("backoffice", "FollowUp")
    surveyed = FollowUp.objects.filter(ticket_id=OuterRef("pk"), rating=OuterRef("satisfaction"))
    rated = Ticket.objects.filter(satisfaction__isnull=False, satisfaction_source="")
    rated.filter(Exists(surveyed)).update(satisfaction_source="follow_up")
    rated.update(satisfaction_source="phone")
    Ticket.objects.filter(resolved_at__isnull=False, resolved_by__isnull=True).update(
        resolved_by=F("assignee"))


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0008_customer_confirmation")]
    operations = [migrations.RunPython(set_sources, migrations.RunPython.noop)]
