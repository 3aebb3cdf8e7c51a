"""The signed-in user's work: cards of what is waiting for them."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.care.models import FollowUp, MaintenanceVisit
from backoffice.care.workflows import FollowUpStatus, VisitStatus
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.knowledge.models import Article
from backoffice.knowledge.workflows import ArticleStatus
from backoffice.platform.dashboard import deferred_count, settled
from backoffice.reports.selectors.periods import changelist


def my_work(user, today: dt.date | None = None) -> list[dict]:
    """Cards of what is waiting for this user, by what their role lets them do."""
    today = today or timezone.localdate()
    cards = []
    works = user.has_perm("backoffice.work_ticket")
    if user.has_perm("backoffice.view_ticket") and (works
                                                     or user.has_perm("backoffice.assign_ticket")):
        open_tickets = Ticket.objects.filter(state__in=wf.OPEN_STATES)
        agg = {"mine": deferred_count(open_tickets.filter(Q(assignee=user)
                                                          | Q(recorded_by=user))),
               "unassigned": deferred_count(open_tickets.filter(
                   assignee__isnull=True, state=wf.TicketStatus.NEW))}
        cards.append({"title": _("My open tickets"), "value": agg["mine"],
                      "icon": "assignment_ind",
                      "link": changelist("ticket", mine="1", status="open")})
        if works:
            late = deferred_count(Ticket.objects.overdue().filter(assignee=user))
            cards.append({"title": _("My overdue tickets"), "value": late, "icon": "alarm",
                          "alert": late.map(bool), "link": changelist("ticket", mine="1",
                                                                 sla="overdue")})
        if user.has_perm("backoffice.assign_ticket"):
            cards.append({"title": _("New, not yet assigned"), "value": agg["unassigned"],
                          "icon": "person_search",
                          "link": changelist("ticket", mine="unassigned",
                                             state__exact=wf.TicketStatus.NEW)})
    if user.has_perm("backoffice.write_article"):
        n = deferred_count(Article.objects.filter(author=user, state=ArticleStatus.DRAFT))
        cards.append({"title": _("My draft articles"), "value": n, "icon": "edit_note",
                      "link": changelist("article", author__id__exact=user.pk,
                                         state__exact=ArticleStatus.DRAFT)})
    if user.has_perm("backoffice.perform_followup"):
        due = FollowUp.objects.filter(state=FollowUpStatus.OPEN, due_on__lte=today)
        cards.append({"title": _("My follow-up calls due"),
                      "value": deferred_count(due.filter(assignee=user)),
                      "icon": "support_agent",
                      "link": changelist("followup", mine="1", due="today")})
        cards.append({"title": _("Follow-up calls nobody took"),
                      "value": deferred_count(due.filter(assignee__isnull=True)),
                      "icon": "phone_callback", "drop_if_zero": True,
                      "link": changelist("followup", mine="unassigned", due="today")})
    if user.has_perm("backoffice.record_maintenancevisit"):
        n = deferred_count(MaintenanceVisit.objects.filter(
            state=VisitStatus.PLANNED, engineer=user,
            due_on__lte=today + dt.timedelta(days=7)))
        cards.append({"title": _("My maintenance visits this week"), "value": n,
                      "icon": "build", "link": changelist("maintenancevisit", mine="1",
                                                          state__exact=VisitStatus.PLANNED)})
    return settled(cards, cards=True)


def waiting_for(user) -> list[dict]:
    """Decisions waiting for this user in the service desk (title/count/link)."""
    items = []
    if user.has_perm("backoffice.publish_article"):
        n = deferred_count(Article.objects.filter(state=ArticleStatus.IN_REVIEW)
                           .exclude(author=user))
        items.append({"title": _("Knowledge articles to review"), "count": n,
                      "link": changelist("article", state__exact=ArticleStatus.IN_REVIEW)})
    desk = []
    if user.has_perm("backoffice.evaluate_requirement"):
        desk.append(("requirement_review", _("New requirements to evaluate")))
    if user.has_perm("backoffice.handle_complaint"):
        desk.append(("complaint_handling", _("Complaints to handle")))
    if desk:
        items += [{"title": title, "count": deferred_count(Ticket.objects.filter(state=s)),
                   "link": changelist("ticket", state__exact=s)} for s, title in desk]
    return settled(items)
