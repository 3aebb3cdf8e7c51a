"""Reads of customer care: plans with their visit status, notices with their progress."""

from django.db.models import Count, F, Max, Min, Q
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


def followups_on_time_by_person(first_day, last_day, person_ids=None) -> dict[int, tuple[int, int]]:
    """Person -> (follow-up calls due, of those done on time) for the follow-ups due from
    ``first_day`` to ``last_day`` (dates, both included), in one grouped query.

    The person is the follow-up's clerk (its assignee), or whoever recorded it when it had
    none. Cancelled follow-ups are left out; a follow-up is on time when it was recorded
    (reached, or given up as unreachable after trying) by the end of its due day, local
    time. An open one past its day counts as late. "Not reached, try tomorrow" moves the
    due day on: the call tried is the one that counts.
    """
    from django.db.models.functions import Coalesce, TruncDate

    from backoffice.care.models import FollowUp
    from backoffice.care.workflows import FollowUpStatus

    followups = (FollowUp.objects.filter(due_on__gte=first_day, due_on__lte=last_day)
                 .exclude(state=FollowUpStatus.CANCELLED)
                 .annotate(person=Coalesce("assignee_id", "done_by_id"))
                 .filter(person__isnull=False))
    if person_ids is not None:
        followups = followups.filter(person__in=list(person_ids))
    done = Q(state__in=[FollowUpStatus.DONE, FollowUpStatus.UNREACHABLE],
             done_at__isnull=False)
    rows = (followups.order_by()
            .annotate(done_on=TruncDate("done_at", tzinfo=timezone.get_current_timezone()))
            .values("person")
            .annotate(due=Count("id"),
                      on_time=Count("id", filter=done & Q(done_on__lte=F("due_on")))))
    return {row["person"]: (row["due"], row["on_time"]) for row in rows}
