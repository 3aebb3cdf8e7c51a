"""The demo's emergency and problem record: built through the real steps, loaded once."""

import pytest

from backoffice.desk import workflows as wf
from backoffice.incidents import demo as incidents_demo
from backoffice.incidents.models import ContingencyPlan, Incident, Problem
from backoffice.incidents.workflows import IncidentStatus, ProblemStatus
from backoffice.platform.demo import ensure_users
from tests.care.test_demo import load_desk_demos

pytestmark = pytest.mark.django_db


def test_demo_has_an_outage_with_five_customers_and_a_problem_with_three_tickets():
    load_desk_demos(ticket_count=80)
    users = ensure_users()
    incidents_demo.load(users)
    assert ContingencyPlan.objects.count() == 3
    incident = Incident.objects.get()
    assert incident.state == IncidentStatus.CLOSED and incident.root_cause
    assert incident.tickets.count() == 5 and incident.customers.count() == 5
    assert incident.notices.count() == 2 and incident.plan.kind == "outage"
    assert incident.next_step() is None  # every step of the plan ticked off
    assert [e.action for e in incident.events.order_by("created_at", "id")] == [
        "mitigate", "resolve", "close"]
    problem = Problem.objects.get()
    assert problem.state == ProblemStatus.KNOWN_ERROR and problem.article is not None
    assert problem.tickets.count() == 3
    waiting = problem.tickets.get(state=wf.TicketStatus.WAITING_RND)
    assert waiting.rnd_reference == "BUG-20671" and waiting.rnd_target_version == problem.fixed_in
    incidents_demo.load(users)  # a second run adds nothing
    assert Incident.objects.count() == 1 and Problem.objects.count() == 1
