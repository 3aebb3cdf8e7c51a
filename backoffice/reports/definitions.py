"""What each figure of the dashboard and the reports counts, in the users' words.

One entry per figure key (the ``key`` the page's card or column carries): its label, its
definition (what is counted, the numerator and denominator, the period, working or
wall-clock hours) and its unit. The texts describe :mod:`backoffice.reports.selectors`
(``cohort_figures``, ``resolution_times``, ``period_summary``, ``response_share``,
``by_person``, ``deadline_counts``): change one, change the other. Every card with a key
here gets an info link to ``…/report/definitions/#<key>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from backoffice.desk import workflows as wf
from backoffice.reports.selectors.tickets import DUE_SOON


def _open_states() -> str:
    """The open states' labels, from the list the open-ticket figure counts."""
    separator = pgettext("list separator", ", ")
    return separator.join(str(wf.TicketStatus(state).label) for state in wf.OPEN_STATES)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    definition: str
    unit: str = ""

    @property
    def url(self) -> str:
        return f"{definitions_url()}#{self.key}"


def definitions_url() -> str:
    return reverse("admin:backoffice_report_definitions")


def _target():
    return getattr(settings, "RESPONSE_TARGET_PERCENT", 95)


def _format(text, **values):
    return lazy(lambda: str(text) % {k: v() if callable(v) else v
                                     for k, v in values.items()}, str)()


WORKING = _("Working hours are counted on the ticket's business calendar (its working "
            "periods, holidays and make-up days; round the clock for a round-the-clock "
            "response-time target), less the time the ticket waited for the customer or "
            "for R&D. Wall-clock hours are the hours of the clock.")

FIGURES = [
    Figure("received", _("Tickets received"), _(
        "Tickets whose arrival time (received at) falls in the period, in any state, "
        "cancelled ones included."), _("tickets")),
    Figure("resolved", _("Tickets resolved (throughput)"), _(
        "Tickets whose resolution time falls in the period, whenever they were received: "
        "the work done in the period, including an older backlog. Not a rate. A reopened "
        "ticket counts again when it is resolved again."), _("tickets")),
    Figure("resolution_rate", _("Resolution rate (of the tickets received)"), _(
        "Of the tickets received in the period (cancelled ones left out), the share "
        "resolved by the end of the period. Numerator: those of them with a resolution "
        "time before the period's end; denominator: the tickets received in the period, "
        "not cancelled. Never above 100 %. For the current period it reads \"resolved so "
        "far\". Tickets resolved from an older backlog are in the throughput, not here. "
        "Per staff member: the tickets received in the period that they hold."), "%"),
    Figure("response_share", _("Answered within target"), _format(_(
        "Of the tickets received in the period: the share whose first response came "
        "before its response deadline. Denominator: those answered (in time or late) "
        "plus those not answered whose deadline has passed; those still within their "
        "deadline are left out until answered. Target: %(target)s %%."), target=_target),
        "%"),
    Figure("resolution_share", _("Resolved within target"), _(
        "Of the tickets resolved in the period (the throughput), the share resolved "
        "before their resolution deadline."), "%"),
    Figure("first_response", _("Average first response"), _format(_(
        "Of the tickets received in the period (not cancelled) and answered: the average "
        "time from arrival to the first response to the customer, in working hours and "
        "in wall-clock hours. %(working)s"), working=WORKING), _("hours")),
    Figure("resolution_time", _("Average time to resolution"), _format(_(
        "Of the tickets resolved in the period: the average time from arrival to "
        "resolution, in working hours and in wall-clock hours. %(working)s"),
        working=WORKING), _("hours")),
    Figure("satisfaction", _("Satisfaction at confirmation"), _(
        "Of the tickets resolved in the period: the average rating (1-5) given when the "
        "customer confirmed the solution, by their own link or by phone (recorded by "
        "staff); follow-up surveys keep their own rating and are not counted. "
        "Satisfied: the share rated 4 or 5."), "/ 5"),
    Figure("kb", _("Resolved with a knowledge article"), _(
        "Knowledge articles used on tickets in the period (each use counted once)."),
        _("uses")),
    Figure("complaints", _("Complaints"), _(
        "Tickets received in the period with the category \"complaint\"."), _("tickets")),
    Figure("emergencies", _("Emergencies"), _(
        "Tickets received in the period with the priority \"critical\"."), _("tickets")),
    Figure("open", _("Open tickets"), format_lazy(
        _("Tickets now in an open state ({states}), whenever received."),
        states=lazy(_open_states, str)()), _("tickets")),
    Figure("overdue", _("Overdue"), _(
        "Open tickets whose clock runs and whose response deadline (not answered yet) or "
        "resolution deadline has passed."), _("tickets")),
    Figure("due_soon", _("Due soon"), _format(_(
        "Open tickets whose clock runs and whose next deadline falls within the next "
        "%(hours)s hours."), hours=lambda: f"{DUE_SOON.total_seconds() / 3600:g}"), _("tickets")),
    Figure("followups", _("Follow-up calls done"), _(
        "Follow-up calls done in the period, with the average rating given on them and "
        "the customers who could not be reached."), _("calls")),
    Figure("visits", _("Maintenance visits done / due"), _(
        "Maintenance visits done in the period against those due in it; still open: "
        "those due in it and not done."), _("visits")),
]

REGISTRY = {f.key: f for f in FIGURES}


def figure(key: str) -> Figure | None:
    return REGISTRY.get(key)
