"""What each figure of the dashboard and the reports counts, in the users' words.

One entry per figure key (the ``key`` the page's card or column carries): its label, its
definition (what is counted, the numerator and denominator, the period, working or
wall-clock hours) and its unit. The texts describe :mod:`backoffice.reports.selectors`
(``cohort_figures``, ``resolution_times``, ``period_summary``, ``response_share``,
``by_person``, ``deadline_counts``): change one, change the other. Every card with a key
here gets an info link to ``…/report/definitions/#<key>``.

Each figure also declares, next to its definition, the lists behind it (:class:`Drill`):
the changelist and filter whose rows are the figure's count - a rate's numerator and
denominator, the items an average is taken over. The cards link to them
(:func:`links`), and ``tests/reports/test_figures_prove_themselves.py`` checks on
generated data, for every figure here, that each list has exactly as many rows as the
count the page computed: a computation that drifts from its definition fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from backoffice.care.workflows import FollowUpStatus, VisitStatus
from backoffice.desk import workflows as wf
from backoffice.reports.selectors.periods import Period, changelist, received_in, resolved_in
from backoffice.reports.selectors.tickets import DUE_SOON


def _open_states() -> str:
    """The open states' labels, from the list the open-ticket figure counts."""
    separator = pgettext("list separator", ", ")
    return separator.join(str(wf.TicketStatus(state).label) for state in wf.OPEN_STATES)


#: what a list behind a figure is to it
COUNT, NUMERATOR, DENOMINATOR, AVERAGED, COMPLEMENT = (
    "count", "numerator", "denominator", "averaged", "complement")
ROLE_LABELS = {COUNT: _("The list counted"), NUMERATOR: _("Numerator"),
               DENOMINATOR: _("Denominator"), AVERAGED: _("Averaged over"),
               COMPLEMENT: _("Missed")}


@dataclass(frozen=True)
class Drill:
    """A list behind a figure: ``model``'s changelist filtered by ``params(period)``;
    it has as many rows as the figure's count ``count`` (a key of the page's figures:
    ``period_summary`` and ``care_summary`` for a period, ``selectors.now_counts``
    otherwise)."""

    role: str
    count: str
    model: str
    params: Callable[[Period], dict]

    def url(self, period: Period | None) -> str:
        return changelist(self.model, **self.params(period))


@dataclass(frozen=True)
class Figure:
    """A figure: what it counts in words, its headline value (``value``, a key of the
    page's figures, within ``bounds``) and the lists it counts (``drills``; the first is
    the one its card opens). ``period=False``: a figure of now (open tickets), not of a
    period."""

    key: str
    label: str
    definition: str
    unit: str = ""
    value: str = ""
    bounds: tuple = (0, None)
    drills: tuple[Drill, ...] = field(default=())
    period: bool = True

    @property
    def url(self) -> str:
        return f"{definitions_url()}#{self.key}"

    def link(self, period: Period | None = None) -> str | None:
        return self.drills[0].url(period) if self.drills else None

    def drill(self, role: str) -> Drill | None:
        return next((d for d in self.drills if d.role == role), None)

    def lists(self, period: Period) -> list[tuple[str, str]]:
        """(what the list is to the figure, its link) for ``period``."""
        return [(ROLE_LABELS[d.role], d.url(period if self.period else None))
                for d in self.drills]


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

PERCENT = (0, 100)


def _received(p: Period, **more) -> dict:
    return {**received_in(p.first_day, p.last_day), **more}


def _resolved(p: Period, **more) -> dict:
    return {**resolved_in(p.first_day, p.last_day), **more}


def _cohort(p: Period, **more) -> dict:
    """Received in the period, not cancelled (``desk.selectors.NOT_CANCELLED``)."""
    return _received(p, scope="not_cancelled", **more)


def _tickets(role, count, params) -> Drill:
    return Drill(role, count, "ticket", params)


FIGURES = [
    Figure("received", _("Tickets received"), _(
        "Tickets whose arrival time (received at) falls in the period, in any state, "
        "cancelled ones included."), _("tickets"), value="received",
        drills=(_tickets(COUNT, "received", _received),)),
    Figure("resolved", _("Tickets resolved (throughput)"), _(
        "Tickets whose resolution time falls in the period, whenever they were received: "
        "the work done in the period, including an older backlog. Not a rate. A reopened "
        "ticket counts again when it is resolved again."), _("tickets"), value="resolved",
        drills=(_tickets(COUNT, "resolved", _resolved),)),
    Figure("resolution_rate", _("Resolution rate (of the tickets received)"), _(
        "Of the tickets received in the period (cancelled ones left out), the share "
        "resolved by the end of the period. Numerator: those of them with a resolution "
        "time before the period's end; denominator: the tickets received in the period, "
        "not cancelled. Never above 100 %. For the current period it reads \"resolved so "
        "far\". Tickets resolved from an older backlog are in the throughput, not here. "
        "Per staff member: the tickets received in the period that they hold."), "%",
        value="resolution_rate", bounds=PERCENT, drills=(
            _tickets(NUMERATOR, "cohort_resolved",
                     lambda p: _cohort(p, resolved_at__date__lte=p.last_day.isoformat())),
            _tickets(DENOMINATOR, "cohort", _cohort))),
    Figure("response_share", _("Answered within target"), _format(_(
        "Of the tickets received in the period: the share whose first response came "
        "before its response deadline. Denominator: those answered (in time or late) "
        "plus those not answered whose deadline has passed; those still within their "
        "deadline are left out until answered. Target: %(target)s %%."), target=_target),
        "%", value="response_share", bounds=PERCENT, drills=(
            _tickets(NUMERATOR, "response_met", lambda p: _received(p, response_met__exact=1)),
            _tickets(DENOMINATOR, "response_total",
                     lambda p: _received(p, scope="response_counted")),
            _tickets(COMPLEMENT, "response_missed",
                     lambda p: _received(p, scope="response_missed")))),
    Figure("resolution_share", _("Resolved within target"), _(
        "Of the tickets resolved in the period (the throughput), the share resolved "
        "before their resolution deadline."), "%", value="resolution_share", bounds=PERCENT,
        drills=(_tickets(NUMERATOR, "resolved_in_time",
                         lambda p: _resolved(p, resolution_met__exact=1)),
                _tickets(DENOMINATOR, "resolved", _resolved))),
    Figure("first_response", _("Average first response"), _format(_(
        "Of the tickets received in the period (not cancelled) and answered: the average "
        "time from arrival to the first response to the customer, in working hours and "
        "in wall-clock hours. %(working)s"), working=WORKING), _("hours"),
        value="first_response_hours",
        drills=(_tickets(AVERAGED, "first_response_n",
                         lambda p: _cohort(p, first_response_seconds__isnull=0)),)),
    Figure("resolution_time", _("Average time to resolution"), _format(_(
        "Of the tickets resolved in the period: the average time from arrival to "
        "resolution, in working hours and in wall-clock hours. %(working)s"),
        working=WORKING), _("hours"), value="resolution_working_hours",
        drills=(_tickets(AVERAGED, "resolution_n",
                         lambda p: _resolved(p, resolution_seconds__isnull=0)),)),
    Figure("satisfaction", _("Satisfaction at confirmation"), _(
        "Of the tickets resolved in the period: the average rating (1-5) given when the "
        "customer confirmed the solution, by their own link or by phone (recorded by "
        "staff); follow-up surveys keep their own rating and are not counted. "
        "Satisfied: the share rated 4 or 5."), "/ 5", value="satisfaction", bounds=(1, 5),
        drills=(_tickets(AVERAGED, "rated", lambda p: _resolved(p, scope="rated")),
                _tickets(NUMERATOR, "satisfied",
                         lambda p: _resolved(p, scope="rated", satisfaction__gte=4)))),
    Figure("kb", _("Resolved with a knowledge article"), _(
        "Knowledge articles used on tickets in the period (each use counted once)."),
        _("uses"), value="kb_resolved", drills=(
            Drill(COUNT, "kb_resolved", "articleuse", lambda p: {
                "created_at__date__gte": p.first_day.isoformat(),
                "created_at__date__lte": p.last_day.isoformat()}),)),
    Figure("complaints", _("Complaints"), _(
        "Tickets received in the period with the category \"complaint\"."), _("tickets"),
        value="complaints", drills=(_tickets(
            COUNT, "complaints", lambda p: _received(p, category__exact=wf.Category.COMPLAINT)),
        )),
    Figure("emergencies", _("Emergencies"), _(
        "Tickets received in the period with the priority \"critical\"."), _("tickets"),
        value="emergencies", drills=(_tickets(
            COUNT, "emergencies", lambda p: _received(p, priority__exact=wf.Priority.CRITICAL)),
        )),
    Figure("open", _("Open tickets"), format_lazy(
        _("Tickets now in an open state ({states}), whenever received."),
        states=lazy(_open_states, str)()), _("tickets"), value="open", period=False,
        drills=(_tickets(COUNT, "open", lambda p: {"status": "open"}),)),
    Figure("overdue", _("Overdue"), _(
        "Open tickets whose clock runs and whose response deadline (not answered yet) or "
        "resolution deadline has passed."), _("tickets"), value="overdue", period=False,
        drills=(_tickets(COUNT, "overdue", lambda p: {"sla": "overdue"}),)),
    Figure("due_soon", _("Due soon"), _format(_(
        "Open tickets whose clock runs and whose next deadline falls within the next "
        "%(hours)s hours."), hours=lambda: f"{DUE_SOON.total_seconds() / 3600:g}"), _("tickets"),
        value="due_soon", period=False,
        drills=(_tickets(COUNT, "due_soon", lambda p: {"sla": "due_soon"}),)),
    Figure("followups", _("Follow-up calls done"), _(
        "Follow-up calls done in the period, with the average rating given on them and "
        "the customers who could not be reached."), _("calls"), value="followups_done",
        drills=(Drill(COUNT, "followups_done", "followup", lambda p: {
            "state__exact": FollowUpStatus.DONE, "done_at__date__gte": p.first_day.isoformat(),
            "done_at__date__lte": p.last_day.isoformat()}),
            Drill(COUNT, "followups_unreachable", "followup", lambda p: {
                "state__exact": FollowUpStatus.UNREACHABLE, "done_at__date__gte": p.first_day.isoformat(),
                "done_at__date__lte": p.last_day.isoformat()}))),
    Figure("visits", _("Maintenance visits done / due"), _(
        "Maintenance visits done in the period against those due in it; still open: "
        "those due in it and not done."), _("visits"), value="visits_done", drills=(
            Drill(NUMERATOR, "visits_done", "maintenancevisit", lambda p: {
                "state__exact": VisitStatus.DONE, "due_on__gte": p.first_day.isoformat(),
                "due_on__lte": p.last_day.isoformat()}),
            Drill(DENOMINATOR, "visits_due", "maintenancevisit", lambda p: {
                "due_on__gte": p.first_day.isoformat(), "due_on__lte": p.last_day.isoformat()}),
            Drill(COUNT, "visits_open", "maintenancevisit", lambda p: {
                "state__exact": VisitStatus.PLANNED, "due_on__gte": p.first_day.isoformat(),
                "due_on__lte": p.last_day.isoformat()}))),
]

REGISTRY = {f.key: f for f in FIGURES}


def links(period: Period) -> dict[str, str]:
    """Figure key -> the list its card opens (its first drill), for ``period``; and
    ``<key>__<count>`` for each of its lists (a rate's denominator …). No query."""
    out = {}
    for f in FIGURES:
        for i, d in enumerate(f.drills):
            url = d.url(period if f.period else None)
            out[f"{f.key}__{d.count}"] = url
            if i == 0:
                out[f.key] = url
    return out


def figure(key: str) -> Figure | None:
    return REGISTRY.get(key)
