"""Reads of customer care: plans with their visit status, notices with their progress."""

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from backoffice.care.workflows import RecipientStatus, VisitStatus


def plans_with_status(queryset, today=None):
    """Plans annotated with their open and overdue visits and the last visit done."""
    today = today or timezone.localdate()
    planned = Q(visits__state=VisitStatus.PLANNED)
    return queryset.annotate(
        open_visits=Count("visits", filter=planned),
        overdue_visits=Count("visits", filter=planned & Q(visits__due_on__lt=today)),
        first_open_due=Min("visits__due_on", filter=planned),
        last_visit_on=Max("visits__performed_on", filter=Q(visits__state=VisitStatus.DONE)),
    )


def overdue_plans(queryset, today=None):
    """Plans with a visit past due, or whose next visit should have been planned already."""
    today = today or timezone.localdate()
    return queryset.filter(
        Q(visits__state=VisitStatus.PLANNED, visits__due_on__lt=today)
        | Q(is_active=True, next_due__lt=today)).distinct()


def notices_with_progress(queryset):
    """Update notices annotated with how many customers are at each step."""
    def count(state):
        return Count("recipients", filter=Q(recipients__state=state))

    return queryset.annotate(
        recipient_count=Count("recipients"),
        pending_count=count(RecipientStatus.PENDING),
        notified_count=count(RecipientStatus.NOTIFIED),
        updated_count=count(RecipientStatus.UPDATED),
    )
