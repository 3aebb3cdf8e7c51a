"""A page with nothing to save has no save bar: a closed or cancelled ticket, a document
the user may only read. Pages the user may edit keep theirs."""

import pytest
from django.urls import reverse

from backoffice.desk import workflows as wf
from backoffice.platform.workflow import apply_transition
from tests.factories import TicketFactory
from tests.training.factories import TrainingPlanFactory, TrainingPlanItemFactory

pytestmark = pytest.mark.django_db

SAVE_BUTTONS = ('name="_save"', 'name="_continue"', 'name="_addanother"')


def page_of(client, obj):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def has_save_bar(page):
    return 'id="submit-row"' in page or any(button in page for button in SAVE_BUTTONS)


@pytest.mark.parametrize("state", [wf.TicketStatus.CLOSED, wf.TicketStatus.CANCELLED])
def test_finished_ticket_has_no_save_bar(client, manager, calendar, state):
    ticket = TicketFactory(state=state)
    client.force_login(manager)
    assert not has_save_bar(page_of(client, ticket))


def test_open_ticket_keeps_its_save_bar(client, clerk, calendar):
    client.force_login(clerk)
    page = page_of(client, TicketFactory())
    assert has_save_bar(page) and 'name="_save"' in page


def test_someone_elses_ticket_is_read_only_for_an_engineer(client, clerk, engineer,
                                                          make_user, calendar):
    ticket = TicketFactory()
    apply_transition(ticket, "assign", actor=clerk, assignee=make_user("engineer"))
    client.force_login(engineer)
    assert not has_save_bar(page_of(client, ticket))


def test_view_only_role_gets_no_save_bar(client, business, calendar):
    client.force_login(business)
    assert not has_save_bar(page_of(client, TicketFactory()))


def test_document_with_inline_rows_the_user_may_not_edit(client, trainer, make_user):
    """Someone who may change plan items but not the plan reads the plan, rows included,
    and gets no save buttons (saving the page would be refused)."""
    from django.contrib.auth.models import Permission

    plan = TrainingPlanFactory(prepared_by=trainer)
    TrainingPlanItemFactory(plan=plan)
    reader = make_user()
    reader.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="training",
        codename__in=["view_trainingplan", "view_trainingplanitem", "change_trainingplanitem"]))
    client.force_login(trainer)
    assert 'name="_save"' in page_of(client, plan)
    client.force_login(reader)
    page = page_of(client, plan)
    assert not has_save_bar(page)
    assert 'name="items-0-title"' not in page


def test_submitted_plan_has_no_save_bar_for_its_trainer(client, trainer):
    plan = TrainingPlanFactory(prepared_by=trainer)
    TrainingPlanItemFactory(plan=plan)
    apply_transition(plan, "submit", actor=trainer)
    client.force_login(trainer)
    page = page_of(client, plan)
    assert not has_save_bar(page)
    assert "transition/withdraw" in page  # the workflow buttons stay
