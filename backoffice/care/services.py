"""Writes of customer care: generating maintenance visits and follow-up calls.

Both generators are idempotent and cron-friendly (``manage.py generate_maintenance_visits``,
``manage.py generate_followups``). Follow-ups are created by the generator and by
:func:`ticket_close`, never by a ``post_save`` signal: a signal would fire on fixtures
and imports and hide the order of writes (STYLE.md). The generator is the guarantee -
every ticket closed by any other path (imports, scripts) gets its follow-up on the
generator's next run; :func:`ticket_close` books it at once, and the admin's Close button
runs it.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.care.models import (
    MAX_LEAD_DAYS,
    FollowUp,
    MaintenancePlan,
    MaintenanceVisit,
    UpdateNotice,
)
from backoffice.care.workflows import CallOutcome, FollowUpKind, FollowUpStatus, VisitStatus
from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.platform import workflow
from backoffice.platform.notifications import (
    event,
    needs,
    notify,
    page_of,
    permission_holders,
)
from backoffice.platform.workflow import apply_transition


# -- maintenance -----------------------------------------------------------------------
def maintenance_generate_due_visits(*, today: dt.date | None = None, plans=None,
                                    max_per_plan: int = 24) -> list[MaintenanceVisit]:
    """Create the planned visit of every active plan whose next due date is within its
    lead time, and move the plan's next due date one cycle on. Running it twice creates
    nothing the second time; a plan left alone for months gets each missed visit (they
    are owed), up to ``max_per_plan`` per run."""
    today = today or timezone.localdate()
    candidates = MaintenancePlan.objects.filter(
        is_active=True, next_due__lte=today + dt.timedelta(days=MAX_LEAD_DAYS))
    if plans is not None:
        candidates = candidates.filter(pk__in=[getattr(p, "pk", p) for p in plans])
    created: list[MaintenanceVisit] = []
    for plan_id in candidates.values_list("pk", flat=True).order_by("pk"):
        created.extend(_generate_for_plan(plan_id, today, max_per_plan))
    return created


@transaction.atomic
def _generate_for_plan(plan_id, today, max_per_plan):
    plan = MaintenancePlan.objects.select_for_update().get(pk=plan_id)
    created = []
    moved = False
    while (plan.next_due is not None
           and plan.next_due - dt.timedelta(days=plan.lead_days) <= today
           and not (plan.ends_on and plan.next_due > plan.ends_on)
           and len(created) < max_per_plan):
        visit, new = MaintenanceVisit.objects.get_or_create(
            plan=plan, due_on=plan.next_due, defaults={"engineer_id": plan.owner_id})
        if new:
            created.append(visit)
        plan.next_due = plan.following(plan.next_due)
        moved = True
    if moved:
        plan._change_reason = "visits generated"
        plan.save()
    return created


# -- follow-ups ------------------------------------------------------------------------
def followup_clerks():
    """Active users who make follow-up calls (the clerks' group, or the permission)."""
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(codename="perform_followup",
                                     content_type__app_label="backoffice")
    return list(get_user_model().objects.filter(is_active=True, is_superuser=False)
                .filter(Q(groups__permissions__in=perm) | Q(user_permissions__in=perm))
                .distinct().order_by("pk"))


class _Dispatcher:
    """Gives each new follow-up to the clerk who recorded the ticket, else to the clerk
    with the fewest open follow-ups; never to one who may not record it (the clerk who
    answered the ticket on the first call: ``workflows.can_record_followup``)."""

    def __init__(self):
        self.clerks = {u.pk: u for u in followup_clerks()}
        loads = dict(FollowUp.objects.filter(state=FollowUpStatus.OPEN,
                                             assignee_id__in=self.clerks)
                     .values_list("assignee_id").annotate(n=Count("id")).order_by())
        self.load = {pk: loads.get(pk, 0) for pk in self.clerks}

    def pick(self, preferred_id=None, *, excluded=frozenset()):
        candidates = [pk for pk in self.clerks if pk not in excluded]
        if not candidates:
            return None
        pk = preferred_id if preferred_id in candidates else min(
            candidates, key=lambda k: (self.load[k], k))
        self.load[pk] += 1
        return pk


def _delay():
    return dt.timedelta(days=getattr(settings, "FOLLOWUP_DELAY_DAYS", 2))


def followup_for_ticket(ticket: Ticket, *, dispatcher: _Dispatcher | None = None):
    """The follow-up call after a closed ticket, created once (returns the existing one)."""
    if ticket.state != wf.TicketStatus.CLOSED:
        raise ValidationError(_("Only a closed ticket is followed up."))
    existing = FollowUp.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    dispatcher = dispatcher or _Dispatcher()
    closed_on = timezone.localtime(ticket.closed_at or timezone.now()).date()
    with transaction.atomic():
        followup, _created = FollowUp.objects.get_or_create(
            ticket=ticket,
            defaults={"kind": FollowUpKind.TICKET, "customer_id": ticket.customer_id,
                      "contact_id": ticket.contact_id, "subject": ticket.subject[:200],
                      "assignee_id": dispatcher.pick(
                          ticket.recorded_by_id,
                          excluded={ticket.assignee_id, ticket.resolved_by_id}),
                      "due_on": closed_on + _delay()})
    return followup


def followups_generate(*, now=None, lookback_days: int | None = None) -> list[FollowUp]:
    """A follow-up for every ticket closed in the look-back window that lacks one."""
    now = now or timezone.now()
    days = lookback_days if lookback_days is not None else getattr(
        settings, "FOLLOWUP_LOOKBACK_DAYS", 30)
    tickets = (Ticket.objects.filter(state=wf.TicketStatus.CLOSED,
                                     closed_at__gte=now - dt.timedelta(days=days))
               .filter(followups__isnull=True).order_by("closed_at", "pk"))
    dispatcher = _Dispatcher()
    return [followup_for_ticket(ticket, dispatcher=dispatcher) for ticket in tickets]


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor, note: str = "", step: str = "close", **kwargs):
    """Close and archive the ticket ("close", or "close_anyway" after a contradicting
    confirmation) and book its follow-up call, in one transaction."""
    apply_transition(ticket, step, actor=actor, note=note, **kwargs)
    return followup_for_ticket(ticket)


def ticket_close_step(ticket: Ticket, name: str, *, actor, note: str = "", **kwargs):
    """The admin's Close buttons (``BackofficeAdmin.transition_services``)."""
    assert name in {"close", "close_anyway"}
    return ticket_close(ticket=ticket, actor=actor, note=note, step=name, **kwargs)


# -- update notices --------------------------------------------------------------------
def recipients_notify(*, recipients, channel: str, actor, note: str = "") -> tuple[int, list]:
    """Record a mass notification (e.g. one email to all); returns (done, errors)."""
    done, errors = 0, []
    for recipient in recipients:
        try:
            apply_transition(recipient, "notify", actor=actor, note=note, channel=channel)
        except (ValidationError, PermissionDenied) as exc:
            errors.append((recipient, " ".join(getattr(exc, "messages", None) or [str(exc)])))
        else:
            done += 1
    return done, errors


# -- whom customer care tells (notifications) --------------------------------------------
# An unhappy customer on a follow-up call is told to the ticket's engineer and to those
# who handle complaints; an announced update to those who tell the customers; a skipped
# visit to its engineer. Titles are built in each recipient's language (lambdas).


UNHAPPY_FOLLOWUP = event("unhappy_followup",
                         gettext_lazy("A customer was unhappy on a follow-up call"))
UPDATE_ANNOUNCED = event("update_announced",
                         gettext_lazy("An update was announced: customers to tell"),
                         mail_by_default=False)
VISIT_SKIPPED = event("visit_skipped", gettext_lazy("A maintenance visit of mine was skipped"),
                      mail_by_default=False)

#: ratings at or below this count as an unhappy customer
UNHAPPY_RATING = 2


@workflow.side_effect(FollowUp, "record")
def tell_unhappy_customer(followup, outcome, rating=None, remarks="", actor=None):
    persists = outcome == CallOutcome.PROBLEM_PERSISTS
    unhappy = rating is not None and int(rating) <= UNHAPPY_RATING
    if not (persists or unhappy):
        return
    ticket = followup.ticket
    recipients = [*permission_holders("backoffice.handle_complaint"),
                  ticket.assignee_id if ticket else None]

    def title():
        values = {"number": followup.number, "customer": followup.customer.name,
                  "rating": rating}
        if persists:
            return _("Follow-up %(number)s: the problem persists for %(customer)s") % values
        return _("Follow-up %(number)s: %(customer)s rated %(rating)s of 5") % values

    notify(recipients, UNHAPPY_FOLLOWUP.name, title, url=page_of(followup), body=remarks,
           actor=actor, key=f"followup:{followup.pk}:unhappy")


@workflow.side_effect(UpdateNotice, "announce")
def tell_front_desk_of_update(notice, actor):
    notify(permission_holders("backoffice.handle_updaterecipient"), UPDATE_ANNOUNCED.name,
           lambda: _("Update %(number)s announced: tell the customers of %(product)s")
           % {"number": notice.number, "product": notice.product},
           url=page_of(notice), body=notice.title, actor=actor)


@workflow.side_effect(MaintenanceVisit, "skip")
def tell_engineer_visit_skipped(visit):
    notify([visit.engineer_id], VISIT_SKIPPED.name,
           lambda: _("Maintenance visit %(number)s due %(due)s was skipped")
           % {"number": visit.number, "due": visit.due_on},
           url=page_of(visit))


@needs
def what_waits_in_care(user):
    """My follow-up calls due and my maintenance visits of the coming week (one query
    each, for those who make them)."""
    today = timezone.localdate()
    lines = []
    if user.has_perm("backoffice.perform_followup"):
        lines.append((gettext_lazy("My follow-up calls due"),
                      FollowUp.objects.filter(assignee=user, state=FollowUpStatus.OPEN,
                                              due_on__lte=today).count(),
                      reverse("admin:backoffice_followup_changelist") + "?mine=1&due=today"))
    if user.has_perm("backoffice.record_maintenancevisit"):
        lines.append((gettext_lazy("My maintenance visits within a week"),
                      MaintenanceVisit.objects.filter(
                          engineer=user, state=VisitStatus.PLANNED,
                          due_on__lte=today + dt.timedelta(days=7)).count(),
                      reverse("admin:backoffice_maintenancevisit_changelist")
                      + f"?mine=1&state__exact={VisitStatus.PLANNED}"))
    return lines
