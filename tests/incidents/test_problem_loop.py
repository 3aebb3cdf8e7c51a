"""Problem records: tickets linked from the ticket page, and the loop back to R&D closed
when the fixed version's update notice is announced."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from backoffice.care.models import UpdateNotice
from backoffice.desk import workflows as wf
from backoffice.desk.models import TicketMessage
from backoffice.incidents.models import Problem, ProblemTicket
from backoffice.incidents.workflows import ProblemStatus
from backoffice.platform.models import Notification
from backoffice.platform.workflow import apply_transition
from tests.factories import ProductVersionFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fix(product):
    return ProductVersionFactory(product=product, version="7.3")


def waiting_ticket(engineer, product, version):
    ticket = TicketFactory(product=product, assignee=engineer, state=wf.TicketStatus.IN_PROGRESS)
    apply_transition(ticket, "wait_for_rnd", actor=engineer, reference="BUG-20671",
                     target_version=version)
    return ticket


def test_the_fix_shipping_tells_the_waiting_tickets(client, engineer, manager, product, fix):
    waiting = waiting_ticket(engineer, product, fix)
    other_engineers = TicketFactory(product=product, state=wf.TicketStatus.IN_PROGRESS)
    problem = Problem.objects.create(title="月末结账溢出", product=product, fixed_in=fix,
                                     root_cause="32 位整数溢出", workaround="分批结账",
                                     bug_reference="BUG-20671")
    # the engineer links the waiting ticket from its page, a colleague's by number
    client.force_login(engineer)
    page = client.get(reverse("admin:backoffice_ticket_change", args=[waiting.pk]))
    assert "link-to-problem" in page.content.decode()
    client.post(reverse("admin:backoffice_ticket_link_to_problem_action", args=[waiting.pk]),
                {"_form_submitted": "on", "problem": problem.pk})
    page = client.get(reverse("admin:backoffice_ticket_change", args=[waiting.pk])).content
    assert 'id="problem-link"' in page.decode() and problem.number in page.decode()
    apply_transition(problem, "mark_known_error", actor=engineer)
    from backoffice.incidents.services import problem_link_tickets
    problem_link_tickets(problem, [other_engineers], actor=engineer)

    notice = UpdateNotice.objects.create(product=product, new_version=fix, title="7.3 升级通知",
                                         release_notes="修复月末结账溢出")
    apply_transition(notice, "announce", actor=manager)

    problem.refresh_from_db()
    assert problem.state == ProblemStatus.FIXED and problem.fixed_at is not None
    assert problem.events.get(action="mark_fixed").actor.username == "system"
    note = TicketMessage.objects.get(ticket=waiting, direction=wf.MessageDirection.INTERNAL)
    assert note.author.username == "system" and "7.3" in note.body
    told = Notification.objects.get(recipient=engineer, event="fix_shipped")
    assert waiting.number in told.title
    waiting.refresh_from_db()
    assert waiting.state == wf.TicketStatus.WAITING_RND  # the engineer resumes it
    # a ticket of the problem that was not waiting for R&D is not told
    assert not TicketMessage.objects.filter(ticket=other_engineers).exists()


def test_a_ticket_has_one_problem_and_only_the_manager_closes(engineer, manager, product, fix):
    from backoffice.incidents.services import problem_link_tickets

    ticket = TicketFactory(product=product)
    first = Problem.objects.create(title="甲", product=product)
    second = Problem.objects.create(title="乙", product=product)
    problem_link_tickets(first, [ticket], actor=engineer)
    with pytest.raises(ValidationError, match="Already linked"):
        problem_link_tickets(second, [ticket], actor=engineer)
    assert ProblemTicket.objects.get(ticket=ticket).problem == first
    with pytest.raises(ValidationError, match="root cause"):
        apply_transition(first, "mark_known_error", actor=engineer)
    apply_transition(first, "mark_fixed", actor=engineer, fixed_in=fix)
    with pytest.raises(PermissionDenied):
        apply_transition(first, "close", actor=engineer)
    apply_transition(first, "close", actor=manager)


def test_an_engineer_records_a_problem_with_its_tickets_by_number(client, engineer, product):
    from tests.incidents.test_incident_flow import page_form

    tickets = [TicketFactory(product=product) for _ in range(3)]
    client.force_login(engineer)
    add = reverse("admin:backoffice_problem_add")
    data = page_form(client, add)
    data.update({"title": "导出 Excel 内存溢出", "product": product.pk,
                 "root_cause": "一次性读入全部行", "workaround": "按月分批导出",
                 "attach_tickets": f"{tickets[0].number} SR209901-99999"})
    response = client.post(add, data)
    assert response.status_code == 200 and not Problem.objects.exists()
    assert "SR209901-99999" in str(response.context["adminform"].form.errors)
    data["attach_tickets"] = "，".join(t.number for t in tickets)  # Chinese commas too
    assert client.post(add, data).status_code == 302
    problem = Problem.objects.get()
    assert sorted(problem.tickets.values_list("pk", flat=True)) == [t.pk for t in tickets]
    assert problem.owner == engineer
