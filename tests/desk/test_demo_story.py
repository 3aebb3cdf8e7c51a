"""The demo tells one story: every demo ticket's journal, history, conversation, level
clocks and SLA stamps carry the same moments (the demo walks the real transitions with
the clock at each step's time), and nothing happens after now or after the ticket ended.

The demo (``manage.py load_demo``, fewer tickets) is loaded once for the module."""

import datetime as dt
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from backoffice.desk import workflows as wf
from backoffice.desk.models import Ticket
from backoffice.desk.services import stamps_first_response

pytestmark = pytest.mark.django_db  # (also makes pytest-django set up the test database)

#: the journal entry whose time is each stamp of the ticket
STAMPED_BY = {
    "resolved_at": {"resolve", "resolve_complaint", "resolve_on_first_contact"},
    "confirmed_at": {"confirm"},
    "closed_at": {"close", "close_anyway", "cancel"},
}
#: the transitions that answer the customer (and stamp the first response if none yet)
ANSWERING = {"wait_for_customer", "wait_for_rnd", "schedule_visit", "resolve_complaint",
             "resolve_on_first_contact"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The whole demo, loaded once and rolled back after the module's tests."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_demo", tickets=120, stdout=StringIO())
            yield collect()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.close()


def collect():
    """Every ticket with its journal, conversation, level clocks, hours and history."""
    tickets = list(Ticket.objects.prefetch_related("events", "clock_spans", "messages",
                                                   "time_entries").order_by("pk"))
    history = defaultdict(list)
    for row in Ticket.history.order_by("history_id"):
        history[row.id].append(row)
    return {"now": timezone.now(), "tickets": tickets, "history": history}


def _life_end(ticket):
    return ticket.closed_at or ticket.resolved_at


def test_the_demo_has_stories_of_every_kind(demo):
    tickets = demo["tickets"]
    assert len(tickets) >= 120
    states = {t.state for t in tickets}
    assert {wf.TicketStatus.CLOSED, wf.TicketStatus.RESOLVED} <= states
    assert states & {wf.TicketStatus.IN_PROGRESS, wf.TicketStatus.WAITING,
                     wf.TicketStatus.ON_SITE}
    # the tickets are spread over the past year, not born at load time
    assert min(t.received_at for t in tickets) < demo["now"] - dt.timedelta(days=180)
    steps = {e.action for t in tickets for e in t.events.all()}
    assert {"escalate", "wait_for_customer", "resume", "schedule_visit", "finish_visit",
            "resolve", "confirm", "close"} <= steps


def test_journal_in_time_order_and_equal_to_the_stamps(demo):
    for ticket in demo["tickets"]:
        events = sorted(ticket.events.all(), key=lambda e: e.pk)
        times = [e.created_at for e in events]
        assert times == sorted(times), ticket.number
        assert all(ticket.received_at <= t <= demo["now"] for t in times), ticket.number
        for stamp, actions in STAMPED_BY.items():
            done = [e.created_at for e in events if e.action in actions]
            if getattr(ticket, stamp):
                assert done and done[-1] == getattr(ticket, stamp), (ticket.number, stamp)


def test_first_response_is_the_first_answer(demo):
    """The first response is the moment of the first message to the customer (or call
    note), or of the first step that answers them, whichever came first."""
    answered = 0
    for ticket in demo["tickets"]:
        moments = [m.sent_at for m in ticket.messages.all()
                   if stamps_first_response(m.direction, m.channel)]
        moments += [e.created_at for e in ticket.events.all() if e.action in ANSWERING]
        if ticket.first_response_at is None:
            assert not moments, ticket.number
            continue
        answered += 1
        assert ticket.first_response_at == min(moments), ticket.number
        assert ticket.first_response_at >= ticket.received_at
        # the response time is measured on the ticket's calendar from its arrival
        assert ticket.first_response_seconds >= 0
    assert answered > len(demo["tickets"]) // 2


def test_history_rows_carry_the_steps_times(demo):
    for ticket in demo["tickets"]:
        rows = demo["history"][ticket.pk]
        assert rows[0].history_type == "+" and rows[0].history_date == ticket.received_at, \
            ticket.number
        dates = [h.history_date for h in rows]
        assert dates == sorted(dates), ticket.number
        assert all(d <= demo["now"] for d in dates), ticket.number
        assert {e.created_at for e in ticket.events.all()} <= set(dates), ticket.number


def test_no_visit_after_the_ticket_ended(demo):
    visited = 0
    for ticket in demo["tickets"]:
        events = {e.action: e.created_at for e in ticket.events.all()}
        if ticket.visit_at is None:
            continue
        visited += 1
        assert ticket.visit_at > events["schedule_visit"], ticket.number
        if "finish_visit" in events:
            assert ticket.visit_at < events["finish_visit"], ticket.number
        if _life_end(ticket):
            assert ticket.visit_at < _life_end(ticket), ticket.number
    assert visited


def test_conversation_and_hours_within_the_tickets_life(demo):
    for ticket in demo["tickets"]:
        end = _life_end(ticket) if ticket.state == wf.TicketStatus.CLOSED else demo["now"]
        for message in ticket.messages.all():
            assert ticket.received_at <= message.sent_at <= end, ticket.number
        for entry in ticket.time_entries.all():
            assert ticket.received_at <= entry.created_at <= end, ticket.number
            assert timezone.localdate(ticket.received_at) <= entry.worked_on \
                <= timezone.localdate(entry.created_at), ticket.number


def test_level_clocks_are_contiguous_within_the_life(demo):
    for ticket in demo["tickets"]:
        spans = sorted(ticket.clock_spans.all(), key=lambda s: (s.started_at, s.pk))
        if not spans:
            continue
        assert spans[0].started_at == ticket.received_at, ticket.number
        resolved = {e.created_at for e in ticket.events.all() if e.action in
                    STAMPED_BY["resolved_at"] | {"cancel"}}
        reopened = {e.created_at for e in ticket.events.all() if e.action.startswith("reopen")}
        for before, after in zip(spans, spans[1:], strict=False):
            # one after the other, but for the time between a resolution and a reopening
            assert before.ended_at == after.started_at or (
                before.ended_at in resolved and after.started_at in reopened), ticket.number
        running = [s for s in spans if s.ended_at is None]
        if ticket.resolved_at:
            assert not running and spans[-1].ended_at <= ticket.resolved_at, ticket.number
        else:
            assert running == spans[-1:], ticket.number
        assert all((s.ended_at or demo["now"]) <= demo["now"] for s in spans), ticket.number


def _documents_with_journals():
    """(model, journal model, its key to the document) of every workflow document."""
    from django.apps import apps

    from backoffice.platform.models import JournalEntry

    for journal in apps.get_models():
        if issubclass(journal, JournalEntry):
            key = next(f for f in journal._meta.get_fields()
                       if f.is_relation and f.many_to_one and f.remote_field.related_name
                       == "events")
            yield key.related_model, journal, key.name


def test_every_documents_journal_is_on_its_history(demo):
    """Claims, follow-ups, sessions, incidents, requisitions …: each journal entry of the
    demo was written with the step that changed the document, so the document has a
    history row at that very moment; nothing is dated after now; a document's journal
    runs forward in time."""
    checked = set()
    for model, journal, key in _documents_with_journals():
        if not hasattr(model, "history"):
            continue
        dates = defaultdict(set)
        for pk, date in model.history.values_list("id", "history_date"):
            dates[pk].add(date)
        last = {}
        for entry in journal.objects.order_by("pk"):
            document = getattr(entry, f"{key}_id")
            where = (model.__name__, document, entry.action)
            assert entry.created_at <= demo["now"], where
            assert entry.created_at in dates[document], where
            assert entry.created_at >= last.get(document, entry.created_at), where
            last[document] = entry.created_at
            checked.add(model.__name__)
    assert {"Ticket", "FollowUp", "ExpenseClaim", "TrainingSession", "Incident",
            "MaintenanceVisit", "TrainingPlan", "Appraisal"} <= checked


def test_follow_ups_and_sessions_done_when_their_journal_says(demo):
    from backoffice.care.models import FollowUp
    from training.models import TrainingSession

    for followup in FollowUp.objects.exclude(done_at=None).prefetch_related("events"):
        assert followup.done_at == max(e.created_at for e in followup.events.all())
        if followup.ticket_id:
            assert followup.created_at == followup.ticket.closed_at, followup.number
    for session in TrainingSession.objects.exclude(held_at=None).prefetch_related("events"):
        assert session.held_at == session.events.get(action="hold").created_at
        assert session.held_at > session.ends_at, session.number
