"""The service desk's lines in the inbox's "what needs me" (``platform.notifications``).

Found by the platform by name (``domains.modules("needs")``) and registered with
``@needs``. Complaints, requirements and articles to review are already counted by the
dashboard's ``pending_approvals`` (``backoffice.reports``), which the inbox shows too.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.desk.selectors import reviews_waiting_for
from backoffice.platform.notifications import needs


def _tickets(query: str) -> str:
    return reverse("admin:backoffice_ticket_changelist") + query


@needs
def what_waits_at_the_desk(user):
    """My open tickets and their deadlines; for those who assign or supervise tickets,
    the new tickets nobody took and everyone's overdue ones; for the front desk, the
confirmations waiting for its decision. Six queries at most."""
    if not user.has_perm("backoffice.view_ticket"):
        return []
    lines = []
    if user.has_perm("backoffice.work_ticket"):
        mine = Ticket.objects.filter(assignee=user)
        within = dt.timedelta(minutes=settings.SLA_DUE_SOON_MINUTES)
        lines += [
            (_("My open tickets"), mine.filter(state__in=wf.OPEN_STATES).count(),
             _tickets("?mine=1&status=open")),
            (_("My overdue tickets"), mine.overdue().count(), _tickets("?mine=1&sla=overdue")),
            (_("My tickets due soon"), mine.due_soon(within=within).count(),
             _tickets("?mine=1&sla=due_soon")),
        ]
    if user.has_perm("backoffice.assign_ticket"):
        counts = Ticket.objects.filter(state=wf.TicketStatus.NEW).aggregate(
            unassigned=Count("id", filter=Q(assignee__isnull=True)))
        lines.append((_("New, not yet assigned"), counts["unassigned"],
                      _tickets(f"?mine=unassigned&state__exact={wf.TicketStatus.NEW}")))
    if user.has_perm("backoffice.supervise_ticket"):
        lines.append((_("Overdue tickets (everyone's)"), Ticket.objects.overdue().count(),
                      _tickets("?sla=overdue")))
    if user.has_perm("backoffice.close_ticket") and user.has_perm("backoffice.reopen_ticket"):
        doubted = Ticket.objects.filter(state=wf.TicketStatus.CONFIRMED).exclude(
            confirmation_doubt="")
        lines.append((_("Confirmations that contradict themselves: reopen or close anyway"),
                      doubted.count(),
                      _tickets(f"?state__exact={wf.TicketStatus.CONFIRMED}"
                               "&confirmation_doubt__gt=")))
    return lines


@needs
def service_records_to_review(user):
    """The after-sales manager's review queue: records waiting that they may review (not
    of a ticket they worked). One query."""
    if not user.has_perm("backoffice.review_servicerecordreview"):
        return []
    return [(_("Service records waiting for my review"), reviews_waiting_for(user).count(),
             reverse("admin:backoffice_servicerecordreview_changelist")
             + f"?state__exact={wf.ReviewStatus.PENDING}")]
