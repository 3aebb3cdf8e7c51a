"""Customer-care pages: render, bounded queries, overdue highlighting, import/export."""

import datetime as dt

import pytest
import tablib
from django.urls import reverse

from backoffice.care.models import FollowUp, MaintenancePlan
from backoffice.care.resources import FollowUpResource, MaintenancePlanResource
from backoffice.care.services import followup_for_ticket, maintenance_generate_due_visits
from backoffice.platform.workflow import apply_transition
from tests.care.factories import NoticeFactory, PlanFactory
from tests.factories import CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db
D = dt.date


def _closed_ticket(clerk):
    """A closed ticket without walking the whole workflow (state set before first save)."""
    from django.utils import timezone

    return TicketFactory(state="closed", closed_at=timezone.now(), recorded_by=clerk)


def make_rows(n, engineer, clerk, manager):
    for _ in range(n):
        PlanFactory(owner=engineer, starts_on=D(2026, 1, 5), lead_days=0)
        followup_for_ticket(_closed_ticket(clerk))
    maintenance_generate_due_visits(today=D(2026, 1, 5))
    notice = NoticeFactory()
    apply_transition(notice, "announce", actor=manager)


@pytest.mark.parametrize("model", ["maintenanceplan", "maintenancevisit", "updatenotice",
                                   "updaterecipient", "followup"])
def test_changelists_stay_bounded(client, engineer, clerk, manager, model,
                                  django_assert_max_num_queries):
    make_rows(1, engineer, clerk, manager)
    client.force_login(manager)
    url = reverse(f"admin:backoffice_{model}_changelist")
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    make_rows(20, engineer, clerk, manager)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("model", ["maintenanceplan", "maintenancevisit", "updatenotice",
                                   "followup"])
def test_add_and_change_pages_render(client, engineer, clerk, manager, model):
    make_rows(1, engineer, clerk, manager)
    client.force_login(manager)
    from django.apps import apps

    obj = apps.get_model("backoffice", model).objects.first()
    assert client.get(reverse(f"admin:backoffice_{model}_add")).status_code == 200
    assert client.get(reverse(f"admin:backoffice_{model}_change",
                              args=[obj.pk])).status_code == 200


def test_overdue_plan_is_highlighted_and_filtered(client, engineer, manager):
    late = PlanFactory(owner=engineer, starts_on=D(2026, 1, 5), lead_days=0, title="逾期计划")
    maintenance_generate_due_visits(today=D(2026, 1, 5))
    PlanFactory(owner=engineer, starts_on=D(2999, 1, 5), title="未来计划")
    client.force_login(manager)
    url = reverse("admin:backoffice_maintenanceplan_changelist")
    page = client.get(url, {"overdue": "1"}).content.decode()
    assert late.title in page and "未来计划" not in page and "overdue" in page


def test_plan_action_plans_due_visits(client, engineer, manager):
    plan = PlanFactory(owner=engineer, starts_on=D(2026, 1, 5), lead_days=0)
    client.force_login(manager)
    response = client.post(reverse("admin:backoffice_maintenanceplan_changelist"),
                           {"action": "generate_visits", "_selected_action": [plan.pk]})
    assert response.status_code == 302 and plan.visits.exists()


def test_clerk_sees_my_follow_ups(client, clerk, make_user):
    mine = followup_for_ticket(_closed_ticket(clerk))
    other_clerk = make_user("clerk", "clerk2")
    theirs = followup_for_ticket(_closed_ticket(other_clerk))
    client.force_login(clerk)
    page = client.get(reverse("admin:backoffice_followup_changelist"),
                      {"mine": "1", "state__exact": "open"}).content.decode()
    assert mine.number in page and theirs.number not in page


def test_export_only_records_have_no_import(client, manager):
    client.force_login(manager)
    for model in ("maintenancevisit", "updatenotice", "updaterecipient", "followup"):
        page = client.get(reverse(f"admin:backoffice_{model}_changelist")).content.decode()
        assert f"/{model}/import/" not in page, model
        assert client.get(reverse(f"admin:backoffice_{model}_import")).status_code == 403
    page = client.get(reverse("admin:backoffice_maintenanceplan_changelist")).content.decode()
    assert "/maintenanceplan/import/" in page


def _plans(rows):
    data = tablib.Dataset(headers=["number", "customer", "title", "cycle", "starts_on",
                                   "lead_days", "owner"])
    for row in rows:
        data.append(row)
    return data


def test_plan_import(engineer, manager):
    CustomerFactory(code="C0001")
    result = MaintenancePlanResource().import_data(_plans([
        ("", "C0001", "季度巡检", "quarterly", "2026-03-31", 7, "engineer")]),
        dry_run=False, user=manager, rollback_on_validation_errors=True)
    assert not result.has_errors() and not result.has_validation_errors()
    plan = MaintenancePlan.objects.get()
    assert plan.owner == engineer and plan.next_due == D(2026, 3, 31)
    assert plan.number.startswith("MP") and plan.history.count() == 1


def test_plan_import_bad_row_imports_nothing(engineer, manager):
    CustomerFactory(code="C0001")
    result = MaintenancePlanResource().import_data(_plans([
        ("", "C0001", "季度巡检", "quarterly", "2026-03-31", 7, "engineer"),
        ("", "C0001", "无负责人", "monthly", "2026-03-31", 7, ""),
        ("", "C9999", "客户不存在", "monthly", "2026-03-31", 7, "engineer"),
    ]), dry_run=False, user=manager, rollback_on_validation_errors=True)
    assert result.has_validation_errors() and not result.has_errors()
    errors = {r.number: r.error_dict for r in result.invalid_rows}
    assert set(errors) == {3, 4}  # spreadsheet rows: the header is row 1
    assert "owner" in errors[3] and "C9999" in str(errors[4]["customer"])
    assert not MaintenancePlan.objects.exists()


def test_follow_up_export(clerk):
    followup = followup_for_ticket(_closed_ticket(clerk))
    data = FollowUpResource().export(FollowUp.objects.all())
    row = dict(zip(data.headers, data[0], strict=True))
    # headed by the columns' labels, the state by its label
    assert row["Number"] == followup.number and row["Clerk"] == "clerk"
    assert row["Ticket"] == followup.ticket.number and row["State"] == "To call"
