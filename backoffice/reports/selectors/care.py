"""Customer-care figures: follow-ups and maintenance in a period, care alerts."""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.care.models import FollowUp, MaintenanceVisit, UpdateRecipient
from backoffice.care.workflows import FollowUpStatus, RecipientStatus, VisitStatus
from backoffice.knowledge.models import Article
from backoffice.platform.dashboard import deferred_count, settled
from backoffice.reports.selectors.periods import Period, changelist


def care_summary(period: Period) -> dict:
    """Follow-ups and maintenance in the period; two queries."""
    fu = FollowUp.objects.filter(done_at__gte=period.start, done_at__lt=period.end).aggregate(
        done=Count("id", filter=Q(state=FollowUpStatus.DONE)),
        unreachable=Count("id", filter=Q(state=FollowUpStatus.UNREACHABLE)),
        avg_rating=Avg("rating"))
    visits = MaintenanceVisit.objects.filter(due_on__gte=period.first_day,
                                             due_on__lte=period.last_day).aggregate(
        due=Count("id"), done=Count("id", filter=Q(state=VisitStatus.DONE)),
        skipped=Count("id", filter=Q(state=VisitStatus.SKIPPED)),
        open=Count("id", filter=Q(state=VisitStatus.PLANNED)))
    return {"followups_done": fu["done"], "followups_unreachable": fu["unreachable"],
            "followup_rating": (round(fu["avg_rating"], 2) if fu["avg_rating"] is not None
                                else None),
            "visits_due": visits["due"], "visits_done": visits["done"],
            "visits_skipped": visits["skipped"], "visits_open": visits["open"],
            "links": {
                "followups": changelist("followup", done_at__date__gte=period.first_day,
                                        done_at__date__lte=period.last_day),
                "visits": changelist("maintenancevisit", due_on__gte=period.first_day,
                                     due_on__lte=period.last_day)}}


def care_alerts(user, today: dt.date | None = None) -> list[dict]:
    """Customers at risk of being forgotten: overdue follow-ups and visits, notices not
    yet sent, stale articles."""
    today = today or timezone.localdate()
    cards = []
    if user.has_perm("backoffice.perform_followup"):
        n = deferred_count(FollowUp.objects.filter(state=FollowUpStatus.OPEN, due_on__lt=today))
        cards.append({"title": _("Overdue follow-up calls"), "value": n, "icon": "phone_missed",
                      "alert": n.map(bool), "link": changelist("followup", due="overdue")})
    if user.has_perm("backoffice.view_maintenancevisit"):
        n = deferred_count(MaintenanceVisit.objects.filter(state=VisitStatus.PLANNED,
                                                           due_on__lt=today))
        cards.append({"title": _("Overdue maintenance visits"), "value": n, "icon": "build",
                      "alert": n.map(bool), "link": changelist("maintenancevisit", overdue="1")})
    if user.has_perm("backoffice.handle_updaterecipient"):
        n = deferred_count(UpdateRecipient.objects.filter(state=RecipientStatus.PENDING))
        cards.append({"title": _("Customers not yet told about an update"), "value": n,
                      "icon": "campaign", "alert": False,
                      "link": changelist("updaterecipient",
                                         state__exact=RecipientStatus.PENDING)})
    if user.has_perm("backoffice.publish_article"):
        n = deferred_count(Article.objects.stale())
        cards.append({"title": _("Stale knowledge articles"), "value": n, "icon": "history",
                      "alert": False, "link": changelist("article", stale="1")})
    return settled(cards, cards=True)
