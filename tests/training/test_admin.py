"""The training admin pages render with bounded queries; buttons and visibility follow roles."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice.platform.workflow import apply_transition
from tests.conftest import aware
from tests.factories import ContactFactory, TicketFactory
from training.models import Appraisal, AppraisalPeriod, TrainingPlan
from training.workflows import AppraisalStatus, Outcome, TrainingPlanStatus

from .factories import (
    AppraisalFactory,
    ContactAttendeeFactory,
    StaffAttendeeFactory,
    TrainingNeedFactory,
    TrainingPlanFactory,
    TrainingPlanItemFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db


def url(model, view="changelist", *args):
    return reverse(f"admin:training_{model}_{view}", args=args)


@pytest.fixture
def data(trainer, manager, engineer, make_user):
    """Twenty of everything, so that a query count that grows with rows shows."""
    plan = TrainingPlanFactory(prepared_by=trainer)
    for i in range(20):
        item = TrainingPlanItemFactory(plan=plan, trainer_kind="internal", trainer=trainer)
        item.needs.add(TrainingNeedFactory(contact=ContactFactory()))
        session = TrainingSessionFactory(plan_item=item, trainer=trainer)
        StaffAttendeeFactory(session=session, attended=True, exam_score=Decimal(50 + i))
        ContactAttendeeFactory(session=session, attended=True, survey_rating=4)
    period = AppraisalPeriod.objects.create(month=dt.date(2026, 3, 1))
    for i in range(20):
        AppraisalFactory(period=period, employee=make_user("engineer", f"e{i}"),
                         targets={"resolution_rate": "95.00"})
    AppraisalFactory(period=period, employee=engineer)
    return plan


PAGES = ["trainingneed", "trainingplan", "trainingplanitem", "trainingsession",
         "sessionattendee", "appraisal", "appraisalperiod", "kpitarget"]


@pytest.mark.parametrize("model", PAGES)
def test_changelists_render_with_bounded_queries(client, superuser, data, model,
                                                 django_assert_max_num_queries):
    client.force_login(superuser)
    with django_assert_max_num_queries(16):
        response = client.get(url(model))
    assert response.status_code == 200


@pytest.mark.parametrize("model", PAGES)
def test_add_pages_render(client, superuser, model):
    client.force_login(superuser)
    assert client.get(url(model, "add")).status_code == 200


def test_change_pages_render(client, superuser, data, django_assert_max_num_queries):
    client.force_login(superuser)
    item = data.items.first()
    session = item.sessions.first()
    pages = [url("trainingplan", "change", data.pk), url("trainingplanitem", "change", item.pk),
             url("trainingsession", "change", session.pk),
             url("sessionattendee", "change", session.attendees.first().pk),
             url("trainingneed", "change", item.needs.first().pk),
             url("appraisal", "change", Appraisal.objects.first().pk),
             url("appraisalperiod", "change", AppraisalPeriod.objects.get().pk)]
    for page in pages:
        # the draft plan's page carries the budget position (about eight reads: the
        # budget's figures, claims and every spending source, see test_training_spend)
        with django_assert_max_num_queries(28 if page == pages[0] else 20):
            response = client.get(page)
        assert response.status_code == 200, page


def test_plan_page_shows_the_effectiveness_summary(client, trainer, data):
    client.force_login(trainer)
    page = client.get(url("trainingplan", "change", data.pk)).content.decode()
    assert "Effectiveness summary" in page and "Total" in page
    assert "transition/submit" in page and "transition/approve" not in page


def test_manager_sees_approve_button_trainer_does_not(client, trainer, manager, data):
    apply_transition(data, "submit", actor=trainer)
    client.force_login(manager)
    page = client.get(url("trainingplan", "change", data.pk)).content.decode()
    assert "transition/approve" in page and "transition/reject" in page
    client.force_login(trainer)
    page = client.get(url("trainingplan", "change", data.pk)).content.decode()
    assert "transition/approve" not in page and "transition/withdraw" in page


def test_approve_dialog_post(client, trainer, manager, data):
    apply_transition(data, "submit", actor=trainer)
    client.force_login(manager)
    target = url("trainingplan", "transition_approve", data.pk)
    response = client.post(target, {"_form_submitted": "on", "note": "同意"})
    assert response.headers["HX-Redirect"].endswith(f"/{data.pk}/change/")
    data.refresh_from_db()
    assert data.state == TrainingPlanStatus.APPROVED
    assert data.events.get(action="approve").note == "同意"


def test_forged_approval_by_the_trainer_changes_nothing(client, trainer, data):
    apply_transition(data, "submit", actor=trainer)
    client.force_login(trainer)
    client.post(url("trainingplan", "transition_approve", data.pk), {"_form_submitted": "on"})
    assert TrainingPlan.objects.get(pk=data.pk).state == TrainingPlanStatus.SUBMITTED


def test_submitted_plan_is_read_only(client, trainer, data):
    apply_transition(data, "submit", actor=trainer)
    client.force_login(trainer)
    page = client.get(url("trainingplan", "change", data.pk)).content.decode()
    assert 'name="title"' not in page and 'name="items-0-title"' not in page


def test_trainer_creates_a_plan_and_becomes_its_preparer(client, trainer):
    client.force_login(trainer)
    response = client.post(url("trainingplan", "add"), {
        "year": 2027, "title": "2027年度培训计划", "goals": "新版本上线培训",
        "items-TOTAL_FORMS": 1, "items-INITIAL_FORMS": 0,
        "items-0-title": "V5 新功能", "items-0-audience": "customers",
        "items-0-method": "online", "items-0-planned_start": "2027-03-01",
        "items-0-planned_end": "2027-03-31", "items-0-trainer_kind": "external",
        "items-0-external_trainer": "厂商讲师", "items-0-budget_estimate": "8000.00",
        "items-0-pass_mark": "60"})
    assert response.status_code == 302, response.content.decode()[:3000]
    plan = TrainingPlan.objects.get(year=2027)
    assert plan.prepared_by == trainer and plan.items.get().seq == 1


def test_session_page_shows_results_and_hold_button(client, trainer, manager, data):
    apply_transition(data, "submit", actor=trainer)
    apply_transition(data, "approve", actor=manager)
    session = data.items.first().sessions.first()
    client.force_login(trainer)
    page = client.get(url("trainingsession", "change", session.pk)).content.decode()
    assert "transition/hold" in page and "transition/cancel" in page
    assert "below pass mark" in page  # the staff attendee scored 50


def test_coaching_filter(client, trainer, data):
    client.force_login(trainer)
    response = client.get(url("sessionattendee") + "?result=coaching")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 10  # exam 50..59 below the mark of 60


# -- appraisals -----------------------------------------------------------------------
def test_engineer_sees_only_their_own_appraisals(client, engineer, data):
    client.force_login(engineer)
    response = client.get(url("appraisal"))
    assert response.status_code == 200
    assert [a.employee for a in response.context["cl"].result_list] == [engineer]
    someone_else = Appraisal.objects.exclude(employee=engineer).first()
    assert client.get(url("appraisal", "change", someone_else.pk)).status_code == 302
    history = someone_else.history.first().history_id
    assert client.get(url("appraisal", "simple_history", someone_else.pk, history)
                      ).status_code == 403


def test_employee_acknowledges_from_the_page(client, engineer, manager, data):
    appraisal = Appraisal.objects.get(employee=engineer)
    appraisal.manager_score, appraisal.outcome = 80, Outcome.NONE
    appraisal.save()
    apply_transition(appraisal, "review", actor=manager)
    client.force_login(engineer)
    page = client.get(url("appraisal", "change", appraisal.pk)).content.decode()
    assert "transition/acknowledge" in page and "transition/dispute" in page
    assert 'name="manager_score"' not in page
    response = client.post(url("appraisal", "transition_acknowledge", appraisal.pk),
                           {"_form_submitted": "on", "employee_comment": "已阅"},
                           HTTP_HX_REQUEST="true")  # the dialog posts through htmx
    assert response.status_code == 200 and "HX-Redirect" in response.headers
    appraisal.refresh_from_db()
    assert appraisal.state == AppraisalStatus.ACKNOWLEDGED and appraisal.employee_comment == "已阅"


def test_manager_edits_review_fields_only_in_draft(client, manager, engineer, data):
    appraisal = Appraisal.objects.get(employee=engineer)
    client.force_login(manager)
    page = client.get(url("appraisal", "change", appraisal.pk)).content.decode()
    assert 'name="manager_score"' in page and 'name="tickets_received"' not in page
    assert "recompute" in page
    appraisal.manager_score, appraisal.outcome = 80, Outcome.NONE
    appraisal.save()
    apply_transition(appraisal, "review", actor=manager)
    page = client.get(url("appraisal", "change", appraisal.pk)).content.decode()
    assert 'name="manager_score"' not in page and "/recompute/" not in page


def test_recompute_button_and_generate_button(client, manager, engineer, data):
    TicketFactory(assignee=engineer, received_at=aware(2026, 3, 3, 10))
    appraisal = Appraisal.objects.get(employee=engineer)
    client.force_login(manager)
    response = client.post(url("appraisal", "recompute_action", appraisal.pk),
                           {"_form_submitted": "on"})
    assert response.headers["HX-Redirect"].endswith(f"/{appraisal.pk}/change/")
    appraisal.refresh_from_db()
    assert appraisal.tickets_received == 1
    period = appraisal.period
    client.post(url("appraisalperiod", "generate_action", period.pk), {"_form_submitted": "on"})
    assert Appraisal.objects.filter(period=period, employee=manager).exists() is False
    assert Appraisal.objects.filter(period=period).count() == 21


def test_recompute_get_does_not_change_anything(client, manager, engineer, data):
    TicketFactory(assignee=engineer, received_at=aware(2026, 3, 3, 10))
    appraisal = Appraisal.objects.get(employee=engineer)
    client.force_login(manager)
    client.get(url("appraisal", "recompute_action", appraisal.pk))
    appraisal.refresh_from_db()
    assert appraisal.tickets_received == 10


def test_engineer_cannot_recompute_or_generate(client, engineer, data):
    appraisal = Appraisal.objects.get(employee=engineer)
    client.force_login(engineer)
    response = client.post(url("appraisal", "recompute_action", appraisal.pk),
                           {"_form_submitted": "on"})
    assert response.status_code == 403
    period = appraisal.period
    response = client.post(url("appraisalperiod", "generate_action", period.pk),
                           {"_form_submitted": "on"})
    assert response.status_code == 403


def test_changelist_actions(client, manager, data):
    client.force_login(manager)
    period = AppraisalPeriod.objects.get()
    drafts = list(Appraisal.objects.values_list("pk", flat=True)[:3])
    response = client.post(url("appraisal"), {"action": "recompute_selected",
                                              "_selected_action": drafts}, follow=True)
    assert response.status_code == 200
    assert Appraisal.objects.filter(pk__in=drafts, tickets_received=0).count() == 3
    response = client.post(url("appraisalperiod"), {"action": "generate_selected",
                                                    "_selected_action": [period.pk]},
                           follow=True)
    assert response.status_code == 200


def test_manager_adds_an_appraisal_and_it_is_computed(client, manager, make_user):
    clerk = make_user("clerk", "clerk_x")
    TicketFactory(assignee=clerk, received_at=aware(2026, 4, 3, 10))
    period = AppraisalPeriod.objects.create(month=dt.date(2026, 4, 1))
    client.force_login(manager)
    response = client.post(url("appraisal", "add"), {"period": period.pk, "employee": clerk.pk})
    assert response.status_code == 302
    appraisal = Appraisal.objects.get(employee=clerk)
    assert appraisal.tickets_received == 1 and appraisal.computed_at is not None


def test_session_item_autocomplete_leaves_out_closed_plans(client, trainer, manager):
    open_item = TrainingPlanItemFactory(title="开放课程")
    closed = TrainingPlanFactory(prepared_by=trainer)
    TrainingPlanItemFactory(plan=closed, title="已关闭课程")
    apply_transition(closed, "submit", actor=trainer)
    apply_transition(closed, "approve", actor=manager)
    apply_transition(closed, "close", actor=manager)
    client.force_login(trainer)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "training", "model_name": "trainingsession", "field_name": "plan_item",
        "term": "课程"})
    ids = [r["id"] for r in response.json()["results"]]
    assert ids == [str(open_item.pk)]


def test_copy_button(client, trainer, data):
    client.force_login(trainer)
    response = client.post(url("trainingplan", "copy_action", data.pk), {"_form_submitted": "on"})
    copy = TrainingPlan.objects.exclude(pk=data.pk).get()
    assert response.headers["HX-Redirect"].endswith(f"/{copy.pk}/change/")
    assert copy.items.count() == 20


def _count(client, page):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(page).status_code == 200
    return len(ctx.captured_queries)


def test_change_page_queries_do_not_grow_with_inline_rows(client, superuser, trainer):
    client.force_login(superuser)
    plan = TrainingPlanFactory(prepared_by=trainer)
    item = TrainingPlanItemFactory(plan=plan, trainer_kind="internal", trainer=trainer)
    session = TrainingSessionFactory(plan_item=item)
    StaffAttendeeFactory(session=session)
    ContactAttendeeFactory(session=session)
    plan_page, session_page = (url("trainingplan", "change", plan.pk),
                               url("trainingsession", "change", session.pk))
    _count(client, plan_page)  # the bell's count is cached from then on, in both rounds
    few = _count(client, plan_page), _count(client, session_page)
    for _ in range(15):
        TrainingPlanItemFactory(plan=plan, trainer_kind="internal", trainer=trainer)
        StaffAttendeeFactory(session=session)
        ContactAttendeeFactory(session=session)
    assert (_count(client, plan_page), _count(client, session_page)) == few


def test_results_are_entered_on_the_session_page(client, trainer):
    session = TrainingSessionFactory(starts_at=aware(2026, 3, 10, 9, 30))
    attendee = StaffAttendeeFactory(session=session)
    client.force_login(trainer)
    page = url("trainingsession", "change", session.pk)
    response = client.post(page, {
        "_version": session.version, "title": session.title,
        "starts_at_0": "2026-03-10", "starts_at_1": "09:30:00",
        "method": session.method, "place": session.place, "capacity": "",
        "actual_cost": "1200.00", "notes": "",
        "attendees-TOTAL_FORMS": 2, "attendees-INITIAL_FORMS": 1,
        "attendees-0-id": attendee.pk, "attendees-0-session": session.pk,
        "attendees-0-attended": "true", "attendees-0-exam_score": "72.5",
        "attendees-0-practical_result": "passed", "attendees-0-survey_rating": "4",
        "attendees-0-staff": trainer.pk,  # ignored: the person of a row does not change
        "attendees-1-session": session.pk, "attendees-1-staff": trainer.pk,
        "attendees-1-attended": "false"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    attendee.refresh_from_db()
    assert attendee.exam_score == Decimal("72.5") and attendee.staff != trainer
    assert session.attendees.get(staff=trainer).attended is False
