"""Deadline alerts start quietly: tickets already overdue or due soon when the alerts
arrive are marked as alerted, so the first check after the upgrade does not send a
notification (and a mail) for every old overdue ticket."""

import datetime as dt

from django.conf import settings
from django.db import migrations
from django.db.models import Q
from django.utils import timezone

RUNNING = ["new", "assigned", "in_progress", "on_site", "requirement_review",
           "complaint_handling"]


def mark_current(apps, schema_editor):
    Ticket = apps.get_model("backoffice", "Ticket")
    now = timezone.now()
    soon = now + dt.timedelta(minutes=getattr(settings, "SLA_DUE_SOON_MINUTES", 120))
    running = Ticket.objects.filter(state__in=RUNNING)
    late = Q(first_response_at__isnull=True, response_due__lt=now) | Q(resolution_due__lt=now)
    near = (Q(first_response_at__isnull=True, response_due__lt=soon)
            | Q(resolution_due__lt=soon))
    running.filter(late).update(sla_alert="breached")
    running.filter(near).exclude(late).update(sla_alert="due_soon")


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0006_conversation_notifications")]
    operations = [migrations.RunPython(mark_current, migrations.RunPython.noop)]
