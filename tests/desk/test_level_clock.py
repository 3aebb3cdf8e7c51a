"""A clock per support level: the time each level held a ticket and the time it waited,
through an escalation and two waits, on the calendar (Mon-Fri 09:00-12:00, 13:30-18:00),
with the clock fixed by patching ``timezone.now`` as the SLA tests do."""

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.desk import deadlines, selectors
from backoffice.desk import workflows as wf
from backoffice.desk.models import SLAPolicy, Ticket
from backoffice.platform.workflow import apply_transition
from tests.conftest import aware
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

H = 3600


@pytest.fixture
def policy(calendar):
    SLAPolicy.objects.all().delete()
    return SLAPolicy.objects.create(
        name="普通", priority=wf.Priority.NORMAL, response_minutes=120,
        resolution_minutes=3 * 450, first_line_minutes=60, second_line_minutes=240)


@pytest.fixture
def clock(monkeypatch):
    now = {"t": aware(2026, 11, 23, 9, 0)}
    monkeypatch.setattr(timezone, "now", lambda: now["t"])

    def at(*args):
        now["t"] = aware(*args)

    return at


@pytest.fixture
def escalated(policy, clock, clerk, engineer, make_user):
    """Mon 09:00 in; 10:00 assigned and started at the 1st line; 11:00-14:30 waiting for
    the customer; 15:30 escalated to the 2nd line, started; 16:30 waiting for R&D until
    Tue 10:00; resolved Tue 11:00."""
    expert = make_user("engineer", "expert")
    ticket = TicketFactory(received_at=aware(2026, 11, 23, 9, 0))
    clock(2026, 11, 23, 10, 0)
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    clock(2026, 11, 23, 11, 0)
    apply_transition(ticket, "wait_for_customer", actor=engineer)
    clock(2026, 11, 23, 14, 30)
    apply_transition(ticket, "resume", actor=engineer)
    clock(2026, 11, 23, 15, 30)
    apply_transition(ticket, "escalate", actor=engineer, assignee=expert)
    apply_transition(ticket, "start", actor=expert)
    clock(2026, 11, 23, 16, 30)
    apply_transition(ticket, "wait_for_rnd", actor=expert, reference="BUG-4711")
    clock(2026, 11, 24, 10, 0)
    apply_transition(ticket, "rnd_delivered", actor=expert)
    clock(2026, 11, 24, 11, 0)
    ticket.solution = "升级到修复版本"
    ticket.save()
    apply_transition(ticket, "resolve", actor=expert)
    ticket.expert = expert
    return ticket


def test_each_level_and_each_wait_gets_its_own_time(escalated, engineer):
    spans = list(escalated.clock_spans.values_list(
        "level", "kind", "assignee__username", "working_seconds", "wall_seconds"))
    assert spans == [
        (1, wf.ClockKind.WORKING, "engineer", 2 * H, 2 * H),  # 09:00-11:00 (desk, then engineer)
        (1, wf.ClockKind.WAITING_CUSTOMER, "engineer", 2 * H, int(3.5 * H)),  # lunch excluded
        (1, wf.ClockKind.WORKING, "engineer", 1 * H, 1 * H),
        (2, wf.ClockKind.WORKING, "expert", 1 * H, 1 * H),
        (2, wf.ClockKind.WAITING_RND, "expert", int(2.5 * H), int(17.5 * H)),  # the night
        (2, wf.ClockKind.WORKING, "expert", 1 * H, 1 * H),
    ]
    assert not escalated.clock_spans.running().exists()  # resolving stops the clock
    ladder = selectors.level_ladder(escalated)
    assert [(r["level"], r["working"], r["target"], r["met"]) for r in ladder["levels"]] == [
        (1, 3 * H, 1 * H, False), (2, 2 * H, 4 * H, True)]
    assert [(w["kind"], w["working"], w["wall"]) for w in ladder["waits"]] == [
        (wf.ClockKind.WAITING_CUSTOMER, 2 * H, int(3.5 * H)),
        (wf.ClockKind.WAITING_RND, int(2.5 * H), int(17.5 * H))]


def test_reopening_opens_a_new_span_at_the_level(escalated, clock, manager):
    clock(2026, 11, 24, 14, 0)
    apply_transition(escalated, "reopen", actor=manager, note="客户说还有问题")
    [running] = escalated.clock_spans.running()
    assert (running.level, running.kind, running.started_at) == (
        2, wf.ClockKind.WORKING, aware(2026, 11, 24, 14, 0))
    clock(2026, 11, 24, 15, 0)  # a running span counts up to now
    assert selectors.level_ladder(escalated)["levels"][1]["working"] == 3 * H


def test_the_ticket_page_shows_the_ladder(escalated, client, manager):
    client.force_login(manager)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[escalated.pk]))
    html = page.content.decode()
    assert "Time per support level" in html

    def row(name):
        start = html.index(f'data-row="{name}"')
        return html[start:html.index("</tr>", start)]

    assert "3.0 working h" in row("level-1") and "over target (1.0 working h)" in row("level-1")
    assert "2.0 working h" in row("level-2")
    assert "within target (4.0 working h)" in row("level-2")
    assert "Waiting for R&amp;D" in row("wait-waiting_rnd")
    assert "17.5 h on the clock" in row("wait-waiting_rnd")
    assert "3.5 h on the clock" in row("wait-waiting")


def test_a_ticket_from_before_the_level_clock_starts_one_from_its_arrival(policy, clock,
                                                                          clerk, engineer):
    ticket = TicketFactory(received_at=aware(2026, 11, 23, 9, 0))
    ticket.clock_spans.all().delete()  # as tickets created before the clock existed
    clock(2026, 11, 23, 10, 0)
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer, support_level=2)
    first, second = ticket.clock_spans.all()
    assert (first.level, first.started_at, first.working_seconds) == (
        1, aware(2026, 11, 23, 9, 0), H)
    assert (second.level, second.ended_at) == (2, None)


@pytest.mark.parametrize("pauses", [False, True])
def test_waiting_for_rnd_is_alerted_when_the_policy_keeps_the_clock_running(
        policy, clock, clerk, engineer, manager, pauses):
    SLAPolicy.objects.filter(pk=policy.pk).update(rnd_pauses_clock=pauses)
    ticket = TicketFactory(received_at=aware(2026, 11, 23, 9, 0))
    clock(2026, 11, 23, 10, 0)
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    apply_transition(ticket, "wait_for_rnd", actor=engineer, reference="BUG-1")
    assert (ticket.paused_since is None) is not pauses
    later = aware(2026, 11, 27, 9, 0)  # past the three working days
    clock(2026, 11, 27, 9, 0)
    overdue = Ticket.objects.overdue(now=later).filter(pk=ticket.pk).exists()
    result = deadlines.check(later)
    assert overdue is not pauses
    assert result["breached"] == (0 if pauses else 1)
    assert ticket.is_overdue(later) is not pauses


def test_tickets_from_before_the_clock_get_spans_from_their_journal(escalated):
    from django.core.management import call_command

    live = list(escalated.clock_spans.values_list("level", "kind", "working_seconds",
                                                  "wall_seconds"))
    escalated.clock_spans.all().delete()
    # the journal's times (its default reads the real clock): as the steps were taken
    moments = [(23, 10, 0), (23, 10, 0), (23, 11, 0), (23, 14, 30), (23, 15, 30),
               (23, 15, 30), (23, 16, 30), (24, 10, 0), (24, 11, 0)]
    events = list(escalated.events.order_by("id"))
    assert [e.action for e in events][-1] == "resolve" and len(events) == len(moments)
    for event, (day, hour, minute) in zip(events, moments, strict=True):
        event.created_at = aware(2026, 11, day, hour, minute)
        event.save()
    call_command("build_level_clocks", verbosity=0)
    assert list(escalated.clock_spans.values_list("level", "kind", "working_seconds",
                                                  "wall_seconds")) == live
    call_command("build_level_clocks", verbosity=0)  # once only
    assert escalated.clock_spans.count() == len(live)
