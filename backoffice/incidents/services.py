"""Writes of emergencies and problem records: attaching tickets, the timeline, the
customer notices (mailed by the worker) and closing the loop with R&D.

Events users can be notified of are declared here, and the side effects of the problem's
"fix shipped" step and of the update notice's announcement.
"""

import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from backoffice.care.models import UpdateNotice
from backoffice.desk.models import Ticket, TicketMessage
from backoffice.desk.workflows import MessageDirection
from backoffice.incidents.models import (
    Incident,
    IncidentAction,
    IncidentNotice,
    IncidentTicket,
    Problem,
    ProblemTicket,
)
from backoffice.incidents.selectors import notice_addresses, tickets_waiting_for
from backoffice.incidents.workflows import INCIDENT_CATEGORIES, ProblemStatus
from backoffice.platform import roles, workflow
from backoffice.platform.notifications import event, needs, notify, page_of, permission_holders

log = logging.getLogger(__name__)

INCIDENT_OPENED = event("incident_opened", gettext_lazy("An incident was opened"))
INCIDENT_PROPOSED = event("incident_proposed",
                          gettext_lazy("A critical outage or security ticket came in"))
FIX_SHIPPED = event("fix_shipped",
                    gettext_lazy("The fix a ticket of mine waits for has shipped"))

NUMBER_SPLIT = re.compile(r"[\s,;，；、]+")


# -- tickets by number ------------------------------------------------------------------------
def tickets_by_numbers(text: str) -> list[Ticket]:
    """The tickets whose numbers are typed (spaces, commas or Chinese punctuation between
    them); an unknown number refuses the lot."""
    numbers = [n.upper() for n in NUMBER_SPLIT.split(text or "") if n]
    if not numbers:
        return []
    found = {t.number: t for t in Ticket.objects.filter(number__in=numbers)}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise ValidationError(_("No ticket has the number %(numbers)s.")
                              % {"numbers": ", ".join(unknown)})
    return [found[n] for n in dict.fromkeys(numbers)]


# -- incidents ----------------------------------------------------------------------------------
def initial_from_ticket(ticket) -> dict:
    """The new incident's form, filled from the ticket that revealed the emergency."""
    from backoffice.incidents.models import ContingencyPlan

    kind = INCIDENT_CATEGORIES.get(ticket.category, "")
    plan = ContingencyPlan.objects.proposed_for(kind, "p1").first() if kind else None
    return {"title": ticket.subject, "kind": kind, "severity": "p1",
            "description": ticket.description, "customers": [ticket.customer_id],
            "products": [ticket.product_id] if ticket.product_id else [],
            "versions": [ticket.product_version_id] if ticket.product_version_id else [],
            "plan": plan.pk if plan else None, "attach_tickets": ticket.number}


def _link_tickets(record, tickets, link_model, field: str, actor, taken_message) -> list:
    """Link ``tickets`` to ``record`` (an incident or a problem) through ``link_model``,
    whose one-to-one ticket gives each ticket one such record at most: a ticket linked to
    another record is refused with ``taken_message``, one already linked here is skipped.
    Returns the tickets newly linked (each link row with its history)."""
    tickets = list(tickets)
    taken = {link.ticket_id: getattr(link, field) for link in link_model.objects
             .filter(ticket__in=tickets).exclude(**{field: record}).select_related(field)}
    if taken:
        raise ValidationError(taken_message % {
            "tickets": ", ".join(f"{t.number} ({taken[t.pk].number})"
                                 for t in tickets if t.pk in taken)})
    known = set(record.ticket_links.values_list("ticket_id", flat=True))
    new = [t for t in tickets if t.pk not in known]
    for ticket in new:
        link_model.objects.create(**{field: record}, ticket=ticket, added_by=actor)
    return new


@transaction.atomic
def incident_attach_tickets(incident: Incident, tickets, *, actor) -> list[Ticket]:
    """Count the tickets in the incident; their customers, products and versions become
    the incident's. A ticket of another incident is refused (one incident per ticket)."""
    if not actor.has_perm("backoffice.run_incident"):
        raise PermissionDenied(_("You may not change this incident."))
    new = _link_tickets(incident, tickets, IncidentTicket, "incident", actor,
                        _("Already counted in another incident: %(tickets)s."))
    incident.customers.add(*{t.customer_id for t in new})
    incident.products.add(*{t.product_id for t in new if t.product_id})
    incident.versions.add(*{t.product_version_id for t in new if t.product_version_id})
    system = roles.system_user()
    for ticket in new:
        TicketMessage.objects.create(
            ticket=ticket, direction=MessageDirection.INTERNAL, author=system,
            body=_("Counted in incident %(number)s: %(title)s")
            % {"number": incident.number, "title": incident.title})
    return new


def incident_opened(incident: Incident, *, actor):
    """Who must know at once: those who run incidents, and the commander."""
    notify([*permission_holders("backoffice.run_incident"), incident.commander_id],
           INCIDENT_OPENED.name,
           lambda: _("Incident %(number)s (%(severity)s): %(title)s")
           % {"number": incident.number, "severity": incident.get_severity_display(),
              "title": incident.title},
           url=page_of(incident), body=incident.description[:500], actor=actor,
           key=f"incident:{incident.pk}:opened")


def ticket_proposes_incident(ticket, *, actor):
    """A critical outage, security or data-loss ticket was recorded: whoever runs
    incidents is told at once (once per ticket), to open one or attach it."""
    notify(permission_holders("backoffice.run_incident"), INCIDENT_PROPOSED.name,
           lambda: _("Emergency? %(number)s %(customer)s: %(subject)s")
           % {"number": ticket.number, "customer": ticket.customer.name,
              "subject": ticket.subject},
           url=page_of(ticket), body=ticket.description[:500], actor=actor,
           key=f"ticket:{ticket.pk}:incident_proposed")


def may_add_action(incident, user) -> bool:
    return user.has_perm("backoffice.add_incidentaction") and incident.state not in {
        "closed", "cancelled"}


@transaction.atomic
def incident_add_action(incident: Incident, *, text: str, actor, plan_step=None,
                        at=None) -> IncidentAction:
    """A line of the timeline; with a plan step, that step is ticked off."""
    if not may_add_action(incident, actor):
        raise PermissionDenied(_("You may not add actions to this incident."))
    if plan_step is not None and plan_step.plan_id != incident.plan_id:
        raise ValidationError(_("This step belongs to another plan."))
    return IncidentAction.objects.create(incident=incident, text=text, by=actor,
                                         plan_step=plan_step, at=at or timezone.now())


@transaction.atomic
def incident_send_notice(incident: Incident, *, kind: str, subject: str, body: str,
                         actor, plan_step=None) -> IncidentNotice:
    """Record the notice and mail it (from the worker, after the commit) to every contact
    with an address of the affected customers and of the linked tickets."""
    if not actor.has_perm("backoffice.run_incident"):
        raise PermissionDenied(_("You may not inform the customers of this incident."))
    addresses = notice_addresses(incident)
    if not addresses:
        raise ValidationError(_("None of the affected customers' contacts has an e-mail "
                                "address: call them, and record the calls as actions."))
    notice = IncidentNotice.objects.create(incident=incident, kind=kind, subject=subject,
                                           body=body, sent_by=actor, recipients=addresses)
    IncidentAction.objects.create(
        incident=incident, by=actor, at=notice.sent_at, plan_step=plan_step,
        text=_("%(kind)s sent to %(n)d addresses: %(subject)s")
        % {"kind": notice.get_kind_display(), "n": len(addresses), "subject": subject})
    transaction.on_commit(lambda: mail_incident_notice.enqueue(notice.pk), robust=True)
    return notice


@task()
def mail_incident_notice(notice_id: int) -> int:
    """One mail per address (no customer sees another's), over one connection; the
    addresses the server refused are recorded on the notice. Returns how many were sent."""
    notice = IncidentNotice.objects.select_related("incident").get(pk=notice_id)
    pending = [a for a in notice.recipients if a not in set(notice.failed)][notice.mailed:]
    connection = get_connection()
    sent, failed = 0, []
    try:
        connection.open()
        for address in pending:
            mail = EmailMessage(f"[{notice.incident.number}] {notice.subject}", notice.body,
                                settings.SUPPORT_MAIL_ADDRESS, [address], connection=connection,
                                headers={"Auto-Submitted": "auto-generated"})
            try:
                mail.send()
            except Exception:
                log.exception("incident notice %s to %s not sent", notice.pk, address)
                failed.append(address)
            else:
                sent += 1
    except Exception:  # the server is down: the notice says none went out
        log.exception("mail server unreachable: incident notice %s not sent", notice.pk)
        failed = [a for a in pending if a not in failed][sent:] + failed
    finally:
        try:
            connection.close()
        except Exception:
            log.warning("closing the mail connection failed", exc_info=True)
    IncidentNotice.objects.filter(pk=notice.pk).update(mailed=notice.mailed + sent,
                                                       failed=notice.failed + failed)
    return sent


# -- problem records ---------------------------------------------------------------------------
@transaction.atomic
def problem_link_tickets(problem: Problem, tickets, *, actor) -> list[Ticket]:
    """Link tickets to the problem (a ticket has one problem at most)."""
    if not actor.has_perm("backoffice.change_problem"):
        raise PermissionDenied(_("You may not change problem records."))
    return _link_tickets(problem, tickets, ProblemTicket, "problem", actor,
                         _("Already linked to another problem: %(tickets)s."))


@workflow.side_effect(Problem, "mark_fixed")
def tell_waiting_tickets(problem, fixed_in, actor=None):
    """The loop back to R&D closes: every ticket waiting for this fix gets an internal
    note (by the system) and its engineer a notification; the engineer resumes the ticket
    (the system does not run a person's step)."""
    system = roles.system_user()
    for ticket in tickets_waiting_for(fixed_in, problem):
        key = f"ticket:{ticket.pk}:fix:{fixed_in.pk}"
        text = (_("The fix for %(problem)s shipped in %(version)s: check with the customer "
                  "and resume the ticket (Fix delivered).")
                % {"problem": problem, "version": fixed_in})
        if not TicketMessage.objects.filter(ticket=ticket, direction=MessageDirection.INTERNAL,
                                            author=system, body=text).exists():
            TicketMessage.objects.create(ticket=ticket, direction=MessageDirection.INTERNAL,
                                         author=system, body=text)
        notify([ticket.assignee_id], FIX_SHIPPED.name,
               lambda t=ticket: _("%(number)s: the fix for %(problem)s shipped in %(version)s")
               % {"number": t.number, "problem": problem.title, "version": fixed_in},
               url=page_of(ticket), actor=actor, key=key)


@workflow.side_effect(UpdateNotice, "announce")
def fixes_shipped_with_update(notice, actor=None):
    """The version is announced: the problems it fixes move to "fixed" (as the system,
    journaled), which tells their waiting tickets; tickets waiting for exactly this version
    without a problem record are told too."""
    version = notice.new_version
    system = roles.system_user()
    for problem in Problem.objects.filter(
            fixed_in=version, state__in=[ProblemStatus.OPEN, ProblemStatus.KNOWN_ERROR]):
        workflow.apply_transition(problem, "mark_fixed", actor=system, fixed_in=version,
                                  note=_("Update notice %(number)s announced")
                                  % {"number": notice.number})
    for ticket in tickets_waiting_for(version).filter(problem_link__isnull=True):
        TicketMessage.objects.create(
            ticket=ticket, direction=MessageDirection.INTERNAL, author=system,
            body=_("Version %(version)s shipped (update notice %(number)s): check with the "
                   "customer and resume the ticket (Fix delivered).")
            % {"version": version, "number": notice.number})
        notify([ticket.assignee_id], FIX_SHIPPED.name,
               lambda t=ticket: _("%(number)s: version %(version)s shipped")
               % {"number": t.number, "version": version},
               url=page_of(ticket), actor=actor, key=f"ticket:{ticket.pk}:fix:{version.pk}")


@needs
def what_waits_in_incidents(user):
    """Open incidents, for those who run them (one query)."""
    from django.urls import reverse

    if not user.has_perm("backoffice.run_incident"):
        return []
    return [(gettext_lazy("Open incidents"), Incident.objects.open().count(),
             reverse("admin:backoffice_incident_changelist") + "?open=1")]
