"""Reads of emergencies and problem records: the dashboard's panel, whom a notice goes
to, which incident a ticket may join, the problem records behind recurring tickets."""

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from backoffice.desk.models import Contact, Ticket
from backoffice.desk.workflows import TicketStatus
from backoffice.incidents.models import Incident, IncidentAction, Problem, ProblemTicket

#: open incidents shown on the dashboard (an emergency is rare: more is a crisis list)
PANEL_SIZE = 10


def open_incidents(limit: int = PANEL_SIZE, now=None) -> list[Incident]:
    """Open incidents, the most severe and oldest first, each with its counts, age and the
    plan's next step: four queries whatever the number of tickets."""
    now = now or timezone.now()
    incidents = list(
        Incident.objects.open()
        .annotate(ticket_count=Count("ticket_links", distinct=True),
                  customer_count=Count("customers", distinct=True))
        .select_related("plan", "commander")
        .prefetch_related("plan__steps",
                          Prefetch("actions", to_attr="ticked",
                                   queryset=IncidentAction.objects.exclude(plan_step=None)
                                   .only("id", "incident_id", "plan_step_id")))
        .order_by("severity", "started_at", "id")[:limit])
    for incident in incidents:
        done = {a.plan_step_id for a in incident.ticked}
        steps = sorted(incident.plan.steps.all(), key=lambda s: (s.position, s.pk)) \
            if incident.plan else []
        incident.next_plan_step = next((s for s in steps if s.pk not in done), None)
        incident.age = now - incident.started_at
    return incidents


def open_incidents_for(ticket) -> list[Incident]:
    """Open incidents a ticket may join: those of its product first."""
    incidents = Incident.objects.open().order_by("-started_at")
    if ticket.product_id:
        same = list(incidents.filter(products=ticket.product_id).distinct())
        return same + [i for i in incidents.exclude(pk__in=[i.pk for i in same])]
    return list(incidents)


def notice_addresses(incident) -> list[str]:
    """Every e-mail address to tell: the contacts of the affected customers and of the
    linked tickets (one address once, in a stable order)."""
    ticket_contacts = Ticket.objects.filter(incident_link__incident=incident,
                                            contact__isnull=False).values("contact_id")
    contacts = (Contact.objects.exclude(email="")
                .filter(Q(customer__in=incident.customers.all()) | Q(pk__in=ticket_contacts))
                .order_by("customer_id", "-is_primary", "pk").values_list("email", flat=True))
    return list(dict.fromkeys(address.strip().lower() for address in contacts))


def tickets_waiting_for(version, problem=None):
    """Tickets waiting for R&D for this version (or, linked to the problem, for no version
    in particular)."""
    waiting = Ticket.objects.filter(state=TicketStatus.WAITING_RND)
    q = Q(rnd_target_version=version)
    if problem is not None:
        q |= Q(problem_link__problem=problem, rnd_target_version__isnull=True)
    return waiting.filter(q).select_related("assignee").order_by("pk")


def problem_counts(starts, ends, limit: int = 10) -> list[Problem]:
    """Problem records with the tickets received in the period linked to them (most first):
    ``starts``/``ends`` are the period's bounds as aware datetimes."""
    return list(
        Problem.objects.annotate(period_count=Count("ticket_links", distinct=True, filter=Q(
            ticket_links__ticket__received_at__gte=starts,
            ticket_links__ticket__received_at__lt=ends)),
            total_count=Count("ticket_links", distinct=True))
        .filter(period_count__gt=0)
        .select_related("product", "article")
        .order_by("-period_count", "-total_count", "pk")[:limit])


def unrecorded_recurring(starts, ends, *, at_least: int = 3, limit: int = 10) -> list[dict]:
    """Category × product groups with at least ``at_least`` tickets in the period none of
    which is linked to a problem record: recurring tickets nobody has recorded yet."""
    return list(
        Ticket.objects.filter(received_at__gte=starts, received_at__lt=ends,
                              problem_link__isnull=True, product__isnull=False)
        .values("category", "product_id", "product__name")
        .annotate(n=Count("id")).filter(n__gte=at_least)
        .order_by("-n", "category", "product_id")[:limit])


def problem_of(ticket) -> Problem | None:
    link = ProblemTicket.objects.filter(ticket=ticket).select_related("problem").first()
    return link.problem if link else None
