"""The dashboard contract: what waits for whom, as aggregates."""

import pytest

from backoffice.platform.workflow import apply_transition
from training.dashboard import SIDEBAR_ITEMS, pending_approvals
from training.workflows import Outcome

from .factories import AppraisalFactory, TrainingPlanFactory, TrainingPlanItemFactory

pytestmark = pytest.mark.django_db


def as_dict(entries):
    return {e["title"]: (e["count"], e["link"]) for e in entries}


def test_nothing_pending(manager, engineer):
    assert pending_approvals(manager) == []
    assert pending_approvals(engineer) == []


def test_manager_sees_plans_to_approve_and_appraisals_to_review(trainer, manager, engineer,
                                                                make_user,
                                                                django_assert_max_num_queries):
    for _ in range(2):
        plan = TrainingPlanFactory(prepared_by=trainer)
        TrainingPlanItemFactory(plan=plan)
        apply_transition(plan, "submit", actor=trainer)
    TrainingPlanFactory(prepared_by=trainer)  # a draft: not pending
    for i in range(3):
        AppraisalFactory(employee=make_user("engineer", f"e{i}"))
    AppraisalFactory(employee=manager)  # their own: not theirs to review
    manager = type(manager).objects.get(pk=manager.pk)
    manager.has_perm("training.view_appraisal")  # warm the permission cache
    with django_assert_max_num_queries(2):
        entries = pending_approvals(manager)
    found = as_dict(entries)
    assert found["Training plans awaiting your approval"][0] == 2
    assert found["Training plans awaiting your approval"][1].endswith(
        "/training/trainingplan/?state__exact=submitted")
    assert found["Appraisals awaiting your review"][0] == 3
    assert all(set(e) == {"title", "count", "link"} for e in entries)
    assert all(isinstance(e["title"], str) and isinstance(e["count"], int) for e in entries)


def test_employee_sees_their_appraisal_to_acknowledge(engineer, manager):
    appraisal = AppraisalFactory(employee=engineer, manager_score=80, outcome=Outcome.NONE)
    apply_transition(appraisal, "review", actor=manager)
    found = as_dict(pending_approvals(engineer))
    assert found == {"Your appraisals awaiting your acknowledgement": (
        1, "/admin/training/appraisal/?mine=1&state__exact=reviewed")}
    assert "Appraisals awaiting your review" not in as_dict(pending_approvals(manager))


def test_the_links_open(client, manager, engineer, trainer):
    plan = TrainingPlanFactory(prepared_by=trainer)
    TrainingPlanItemFactory(plan=plan)
    apply_transition(plan, "submit", actor=trainer)
    AppraisalFactory(employee=engineer)
    client.force_login(manager)
    for entry in pending_approvals(manager):
        response = client.get(entry["link"])
        assert response.status_code == 200
        assert response.context["cl"].result_count == entry["count"]


def test_sidebar_items_exist(client, manager):
    from django.urls import reverse

    client.force_login(manager)
    for model, *_ in SIDEBAR_ITEMS:
        assert client.get(reverse(f"admin:training_{model}_changelist")).status_code == 200


def test_the_sidebar_says_kpi_targets_in_english(rf, superuser):
    from django.utils import translation

    from backoffice.platform.navigation import sidebar

    request = rf.get("/admin/")
    request.user = superuser
    with translation.override("en"):
        titles = [str(item["title"]) for group in sidebar(request) for item in group["items"]]
    assert "KPI targets" in titles and "Kpi targets" not in titles
