"""Workflow buttons never vanish without a reason.

A step the user has the permission for is always on the page: a working button when it
may run now, a disabled one saying why (the unmet conditions) when the document is not
ready. A step the user has no permission for is not shown. A step opened by its URL that
the user may not run brings them back to the document's page with the reason.
"""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.platform import workflow
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory
from tests.training.factories import TrainingPlanFactory, TrainingPlanItemFactory

pytestmark = pytest.mark.django_db

NO_SOLUTION = "the solution of the service record is empty"


def change_page(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change",
                   args=[obj.pk])


def transition_url(obj, name):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_transition_{name}",
                   args=[obj.pk])


def disabled_button(page, name):
    """The disabled button of step ``name`` (its whole <button …> tag), or None."""
    match = re.search(rf'<button type="button" aria-disabled="true"[^>]*'
                      rf'data-transition="{name}"[^>]*>', page)
    return match.group(0) if match else None


@pytest.fixture
def working_ticket(clerk, engineer, calendar):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=engineer)
    apply_transition(ticket, "start", actor=engineer)
    return ticket


def test_transition_choices_list_permitted_steps_with_their_unmet_conditions(
        working_ticket, engineer, business):
    choices = {c.name: c for c in workflow.transition_choices(working_ticket, engineer)}
    assert choices["resolve"] == ("resolve", False, [NO_SOLUTION])
    assert choices["wait_for_customer"].allowed and choices["wait_for_customer"].reasons == []
    assert "confirm" not in choices  # not a step from "in progress"
    # no permission: nothing at all, not even why the document is not ready
    assert workflow.transition_choices(working_ticket, business) == []


def test_unready_step_is_a_disabled_button_with_its_reason(client, working_ticket, engineer):
    client.force_login(engineer)
    page = client.get(change_page(working_ticket)).content.decode()
    button = disabled_button(page, "resolve")
    assert button is not None, "Resolve should be shown, disabled"
    assert 'aria-describedby="why-resolve"' in button
    # the reason: visible in the tooltip and the description screen readers read
    description = re.search(r'<span id="why-resolve" class="sr-only">([^<]*)</span>', page)
    assert description and NO_SOLUTION in description.group(1)
    assert "Resolve" in description.group(1)
    assert 'data-reason-for="resolve"' in page
    # a disabled step opens no dialog
    assert "transition/resolve" not in page
    # the steps that may run now are ordinary buttons
    assert "transition/wait_for_customer" in page


def test_the_button_works_once_the_condition_is_met(client, working_ticket, engineer):
    working_ticket.solution = "重建索引后恢复"
    working_ticket.save()
    client.force_login(engineer)
    page = client.get(change_page(working_ticket)).content.decode()
    assert "transition/resolve" in page
    assert disabled_button(page, "resolve") is None


def test_steps_without_permission_stay_hidden(client, working_ticket, make_user):
    other_engineer = make_user("engineer")
    client.force_login(other_engineer)
    page = client.get(change_page(working_ticket)).content.decode()
    assert "transition/resolve" not in page and disabled_button(page, "resolve") is None
    assert 'data-transition="' not in page


def test_a_plan_without_goals_shows_submit_disabled(client, trainer, engineer):
    plan = TrainingPlanFactory(prepared_by=trainer, goals="")
    TrainingPlanItemFactory(plan=plan)
    client.force_login(trainer)
    page = client.get(change_page(plan)).content.decode()
    assert disabled_button(page, "submit") is not None
    assert "the plan has no goals" in page
    # an engineer may not submit plans: no button, and no word about the goals
    client.force_login(engineer)
    page = client.get(change_page(plan)).content.decode()
    assert disabled_button(page, "submit") is None and "the plan has no goals" not in page


def test_change_page_queries_stay_bounded(client, working_ticket, engineer,
                                          django_assert_max_num_queries):
    """Disabled buttons are worked out once per page, with the enabled ones."""
    client.force_login(engineer)
    client.get(change_page(working_ticket))  # warm caches (content types, permissions)
    with django_assert_max_num_queries(40):
        page = client.get(change_page(working_ticket)).content.decode()
    assert disabled_button(page, "resolve") is not None


# -- a step opened by its URL --------------------------------------------------------------
def error_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


def test_opening_an_unready_step_by_url_returns_to_the_page_with_the_reason(
        client, working_ticket, engineer):
    client.force_login(engineer)
    response = client.get(transition_url(working_ticket, "resolve"))
    assert response.status_code == 302
    assert response.url == change_page(working_ticket)
    [error] = error_messages(response)
    assert NO_SOLUTION in error
    # and the page it lands on is the ordinary change page, showing that message
    page = client.get(response.url).content.decode()
    assert 'id="ticket_form"' in page


def test_a_forged_post_without_permission_returns_to_the_page(client, working_ticket,
                                                               make_user):
    stranger = make_user("engineer")
    client.force_login(stranger)
    response = client.post(transition_url(working_ticket, "wait_for_customer"),
                           {"_form_submitted": "on", "note": "x"})
    assert response.status_code == 302 and response.url == change_page(working_ticket)
    [error] = error_messages(response)
    assert "You are not allowed to" in error
    working_ticket.refresh_from_db()
    assert working_ticket.state == wf.TicketStatus.IN_PROGRESS
    assert not working_ticket.events.filter(action="wait_for_customer").exists()


def test_htmx_requests_get_hx_redirect(client, working_ticket, engineer):
    client.force_login(engineer)
    response = client.get(transition_url(working_ticket, "resolve"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == change_page(working_ticket)
    assert NO_SOLUTION in error_messages(response)[0]


def test_a_step_from_another_state_by_url_says_so(client, working_ticket, clerk):
    client.force_login(clerk)
    response = client.get(transition_url(working_ticket, "close"))
    assert response.status_code == 302
    assert "is not possible while the ticket is" in error_messages(response)[0]


def test_a_permitted_ready_step_still_opens_its_dialog(client, working_ticket, engineer):
    client.force_login(engineer)
    response = client.get(transition_url(working_ticket, "wait_for_customer"))
    assert response.status_code == 200 and 'id="dialog"' in response.content.decode()
