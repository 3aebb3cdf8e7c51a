"""Maintenance plans and visits: the cron generator, visit records, overdue plans."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from backoffice.care.models import MaintenancePlan, MaintenanceVisit
from backoffice.care.selectors import overdue_plans
from backoffice.care.services import maintenance_generate_due_visits
from backoffice.care.workflows import MaintenanceCycle, VisitStatus
from backoffice.platform.workflow import apply_transition
from tests.care.factories import PlanFactory

pytestmark = pytest.mark.django_db
D = dt.date


def test_next_due_defaults_to_the_start(engineer):
    plan = PlanFactory(owner=engineer, starts_on=D(2026, 3, 1))
    assert plan.next_due == D(2026, 3, 1)


def test_visit_is_planned_within_the_lead_time_and_only_once(engineer):
    plan = PlanFactory(owner=engineer, starts_on=D(2026, 3, 31), lead_days=7)
    assert maintenance_generate_due_visits(today=D(2026, 3, 23)) == []
    created = maintenance_generate_due_visits(today=D(2026, 3, 24))
    assert [(v.due_on, v.engineer, v.state) for v in created] == [
        (D(2026, 3, 31), engineer, VisitStatus.PLANNED)]
    plan.refresh_from_db()
    assert plan.next_due == D(2026, 4, 30)
    assert maintenance_generate_due_visits(today=D(2026, 3, 24)) == []  # idempotent
    assert maintenance_generate_due_visits(today=D(2026, 3, 30)) == []
    assert MaintenanceVisit.objects.count() == 1
    assert created[0].number.startswith("MV") and created[0].history.count() == 1


def test_missed_visits_are_caught_up_up_to_a_limit(engineer):
    plan = PlanFactory(owner=engineer, starts_on=D(2026, 1, 31), lead_days=0)
    created = maintenance_generate_due_visits(today=D(2026, 5, 15))
    assert [v.due_on for v in created] == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31),
                                           D(2026, 4, 30)]
    plan.refresh_from_db()
    assert plan.next_due == D(2026, 5, 31)
    other = PlanFactory(owner=engineer, cycle=MaintenanceCycle.WEEKLY, starts_on=D(2026, 1, 1))
    assert len(maintenance_generate_due_visits(today=D(2026, 12, 31), plans=[other],
                                               max_per_plan=5)) == 5


def test_plan_end_and_inactive_plans(engineer):
    ended = PlanFactory(owner=engineer, starts_on=D(2026, 1, 10), ends_on=D(2026, 2, 20))
    PlanFactory(owner=engineer, starts_on=D(2026, 1, 10), is_active=False)
    created = maintenance_generate_due_visits(today=D(2026, 6, 1))
    assert [v.due_on for v in created] == [D(2026, 1, 10), D(2026, 2, 10)]
    assert all(v.plan == ended for v in created)


def test_one_visit_per_plan_and_due_date(engineer):
    plan = PlanFactory(owner=engineer)
    MaintenanceVisit.objects.create(plan=plan, due_on=D(2026, 1, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceVisit.objects.create(plan=plan, due_on=D(2026, 1, 31))
    # the generator skips a date someone already planned by hand, and moves on
    created = maintenance_generate_due_visits(today=D(2026, 2, 1))
    assert created == [] and MaintenanceVisit.objects.count() == 1
    plan.refresh_from_db()
    assert plan.next_due == D(2026, 2, 28)


def test_command_is_cron_friendly(engineer, capsys):
    PlanFactory(owner=engineer, starts_on=D(2026, 1, 31), lead_days=0)
    call_command("generate_maintenance_visits", "--today", "2026-02-01")
    call_command("generate_maintenance_visits", "--today", "2026-02-01")
    out = capsys.readouterr().out
    assert "1 maintenance visit(s) planned." in out and "0 maintenance visit(s)" in out


def test_plan_cannot_end_before_it_starts(engineer):
    plan = PlanFactory.build(owner=engineer, starts_on=D(2026, 5, 1), ends_on=D(2026, 4, 1))
    with pytest.raises(ValidationError):
        plan.full_clean()


# -- visits -----------------------------------------------------------------------------
@pytest.fixture
def visit(engineer):
    PlanFactory(owner=engineer, starts_on=D(2026, 1, 31), lead_days=0)
    return maintenance_generate_due_visits(today=D(2026, 1, 31))[0]


def test_engineer_records_the_visit(visit, engineer):
    apply_transition(visit, "make_appointment", actor=engineer,
                     appointment=dt.datetime(2026, 1, 30, 9, tzinfo=dt.UTC))
    apply_transition(visit, "complete", actor=engineer, performed_on=D(2026, 1, 30),
                     findings="磁盘使用率 85%", work_done="清理日志", signed_by="王主任")
    visit.refresh_from_db()
    assert visit.state == VisitStatus.DONE and visit.findings == "磁盘使用率 85%"
    assert [e.action for e in visit.events.order_by("id")] == ["make_appointment", "complete"]


def test_another_engineer_may_not_record_it_but_the_manager_may(visit, make_user, manager):
    with pytest.raises(PermissionDenied):
        apply_transition(visit, "complete", actor=make_user("engineer"),
                         performed_on=D(2026, 1, 30), findings="x")
    apply_transition(visit, "complete", actor=manager, performed_on=D(2026, 1, 30),
                     findings="巡检正常")
    assert visit.state == VisitStatus.DONE


def test_only_the_manager_skips_a_visit(visit, engineer, manager):
    with pytest.raises(PermissionDenied):
        apply_transition(visit, "skip", actor=engineer, note="客户搬迁")
    apply_transition(visit, "skip", actor=manager, note="客户搬迁，下次合并")
    assert visit.state == VisitStatus.SKIPPED


def test_overdue_visits_and_plans(visit, engineer):
    assert visit.is_overdue(today=D(2026, 2, 1)) and not visit.is_overdue(today=D(2026, 1, 31))
    late = overdue_plans(MaintenancePlan.objects.all(), today=D(2026, 2, 1))
    assert list(late) == [visit.plan]
    apply_transition(visit, "complete", actor=engineer, performed_on=D(2026, 1, 31),
                     findings="正常")
    assert not overdue_plans(MaintenancePlan.objects.all(), today=D(2026, 2, 1)).exists()
    # a plan whose next visit should have been planned already is overdue too
    assert overdue_plans(MaintenancePlan.objects.all(), today=D(2026, 3, 1)).exists()


def test_visit_dialog_refuses_a_future_date(client, visit, engineer):
    client.force_login(engineer)
    url = reverse("admin:backoffice_maintenancevisit_transition_complete", args=[visit.pk])
    response = client.post(url, {"_form_submitted": "on", "performed_on": "2999-01-01",
                                 "findings": "x"})
    assert response.status_code == 200 and "future" in response.content.decode()
    visit.refresh_from_db()
    assert visit.state == VisitStatus.PLANNED
