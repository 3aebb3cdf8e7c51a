"""The signed-in user's work: cards of what is waiting for them."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.care.models import FollowUp, MaintenanceVisit
from backoffice.care.workflows import FollowUpStatus, VisitStatus
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.knowledge.models import Article
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.reports.selectors.periods import changelist


def my_work(user, today: dt.date | None = None) -> list[dict]:
    """Cards of what is waiting for this user, by what their role lets them do."""
    today = today or timezone.localdate()
    cards = []
    works = user.has_perm("backoffice.work_ticket")
    if user.has_perm("backoffice.view_ticket") and (works
                                                     or user.has_perm("backoffice.assign_ticket")):
        agg = Ticket.objects.filter(state__in=wf.OPEN_STATES).aggregate(
            mine=Count("id", filter=Q(assignee=user) | Q(recorded_by=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True, state=wf.TicketStatus.NEW)))
        cards.append({"title": _("My open tickets"), "value": agg["mine"],
                      "icon": "assignment_ind",
                      "link": changelist("ticket", mine="1", status="open")})
        if works:
            late = Ticket.objects.overdue().filter(assignee=user).count()
            cards.append({"title": _("My overdue tickets"), "value": late, "icon": "alarm",
                          "alert": late > 0, "link": changelist("ticket", mine="1",
                                                                 sla="overdue")})
        if user.has_perm("backoffice.assign_ticket"):
            cards.append({"title": _("New, not yet assigned"), "value": agg["unassigned"],
                          "icon": "person_search",
                          "link": changelist("ticket", mine="unassigned",
                                             state__exact=wf.TicketStatus.NEW)})
    if user.has_perm("backoffice.write_article"):
        n = Article.objects.filter(author=user, state=ArticleStatus.DRAFT).count()
        cards.append({"title": _("My draft articles"), "value": n, "icon": "edit_note",
                      "link": changelist("article", author__id__exact=user.pk,
                                         state__exact=ArticleStatus.DRAFT)})
    if user.has_perm("backoffice.perform_followup"):
        agg = FollowUp.objects.filter(state=FollowUpStatus.OPEN, due_on__lte=today).aggregate(
            mine=Count("id", filter=Q(assignee=user)),
            unassigned=Count("id", filter=Q(assignee__isnull=True)))
        cards.append({"title": _("My follow-up calls due"), "value": agg["mine"],
                      "icon": "support_agent",
                      "link": changelist("followup", mine="1", due="today")})
        if agg["unassigned"]:
            cards.append({"title": _("Follow-up calls nobody took"),
                          "value": agg["unassigned"], "icon": "phone_callback",
                          "link": changelist("followup", mine="unassigned", due="today")})
    if user.has_perm("backoffice.record_maintenancevisit"):
        n = MaintenanceVisit.objects.filter(
            state=VisitStatus.PLANNED, engineer=user,
            due_on__lte=today + dt.timedelta(days=7)).count()
        cards.append({"title": _("My maintenance visits this week"), "value": n,
                      "icon": "build", "link": changelist("maintenancevisit", mine="1",
                                                          state__exact=VisitStatus.PLANNED)})
    return cards


def waiting_for(user) -> list[dict]:
    """Decisions waiting for this user in the service desk (title/count/link)."""
    items = []
    if user.has_perm("backoffice.publish_article"):
        n = (Article.objects.filter(state=ArticleStatus.IN_REVIEW).exclude(author=user)
             .count())
        items.append({"title": _("Knowledge articles to review"), "count": n,
                      "link": changelist("article", state__exact=ArticleStatus.IN_REVIEW)})
    desk = []
    if user.has_perm("backoffice.evaluate_requirement"):
        desk.append(("requirement_review", _("New requirements to evaluate")))
    if user.has_perm("backoffice.handle_complaint"):
        desk.append(("complaint_handling", _("Complaints to handle")))
    if desk:
        agg = Ticket.objects.filter(state__in=[s for s, _l in desk]).aggregate(
            **{s: Count("id", filter=Q(state=s)) for s, _l in desk})
        items += [{"title": title, "count": agg[s], "link": changelist("ticket", state__exact=s)}
                  for s, title in desk]
    return items
