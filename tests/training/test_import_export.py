"""Spreadsheets of plans, sessions, attendance and appraisals: all or nothing."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import tablib
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice.platform.workflow import apply_transition
from tests.factories import ContactFactory, CustomerFactory, ProductFactory
from training.models import (
    Appraisal,
    AppraisalPeriod,
    SessionAttendee,
    TrainingPlanItem,
    TrainingSession,
)
from training.resources.appraisals import AppraisalResource
from training.resources.plans import TrainingPlanItemResource
from training.resources.sessions import AttendanceResource, TrainingSessionResource
from training.workflows import AppraisalSource, AppraisalStatus, Outcome, TrainingPlanStatus

from .factories import (
    AppraisalFactory,
    TrainingNeedFactory,
    TrainingPlanFactory,
    TrainingPlanItemFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db
SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "training"
PLAN = "TP202601-00001"


def dataset(name):
    return tablib.Dataset().load((SAMPLES / name).read_text(encoding="utf-8"), format="csv")


def errors_of(result):
    return {row.number: row.field_specific_errors for row in result.invalid_rows}


def upload(client, model, name):
    return client.post(reverse(f"admin:training_{model}_import"), {
        "format": "0", "resource": "0",
        "import_file": SimpleUploadedFile(name, (SAMPLES / name).read_bytes(),
                                          content_type="text/csv")})


def confirm(client, model, preview):
    page = preview.content.decode()
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)"'
                             r'[^>]*value="([^"]*)"', page))
    assert "import_file_name" in fields, "no confirm form: the preview found errors"
    return client.post(reverse(f"admin:training_{model}_process_import"), fields)


@pytest.fixture
def plan(trainer, engineer):
    ProductFactory(code="ERP")
    ProductFactory(code="CRM")
    for n in (1, 2, 3):
        TrainingNeedFactory(number=f"TN202601-0000{n}")
    return TrainingPlanFactory(number=PLAN, prepared_by=trainer)


# -- plan items ---------------------------------------------------------------------------
def test_plan_items_import(plan, trainer):
    result = TrainingPlanItemResource().import_data(dataset("plan_items_import.csv"),
                                                    user=trainer)
    assert not result.has_errors() and not result.has_validation_errors(), errors_of(result)
    items = list(plan.items.order_by("seq"))
    assert [i.seq for i in items] == [1, 2, 3]
    first, second, third = items
    assert first.trainer.username == "engineer" and first.product.code == "ERP"
    assert second.audience == "staff" and second.method == "online"  # English labels
    assert second.trainer_kind == "external" and second.external_trainer == "王老师（数据库厂商）"
    assert sorted(n.number for n in second.needs.all()) == ["TN202601-00002", "TN202601-00003"]
    assert second.budget_estimate == Decimal("5000.00") and second.pass_mark == Decimal("70")
    assert third.needs.count() == 0
    assert first.history.earliest().history_user == trainer


def test_plan_items_import_bad_row_writes_nothing(plan, trainer):
    result = TrainingPlanItemResource().import_data(dataset("plan_items_import_bad_row.csv"),
                                                    user=trainer)
    assert result.has_validation_errors()
    errors = errors_of(result)
    assert set(errors) == {3, 4}  # spreadsheet rows: the header is row 1
    assert "planned_end" in errors[3]
    assert "trainer" in errors[4] and "nobody" in str(errors[4]["trainer"])
    assert "TN209901-09999" in str(errors[4]["needs"])
    assert not TrainingPlanItem.objects.exists()


def test_plan_items_of_a_submitted_plan_are_not_imported(plan, trainer):
    TrainingPlanItemFactory(plan=plan)
    apply_transition(plan, "submit", actor=trainer)
    result = TrainingPlanItemResource().import_data(dataset("plan_items_import.csv"))
    assert result.has_validation_errors()
    assert "Submitted" in str(errors_of(result)[2]["plan"])
    assert plan.items.count() == 1


def test_plan_items_update_by_plan_and_no(plan):
    item = TrainingPlanItemFactory(plan=plan, title="旧标题")
    data = tablib.Dataset(headers=["plan", "seq", "title", "planned_start", "planned_end",
                                   "trainer_kind", "external_trainer"])
    data.append([PLAN, item.seq, "新标题", "2026-03-01", "2026-03-31", "external", "讲师"])
    result = TrainingPlanItemResource().import_data(data)
    assert not result.has_validation_errors(), errors_of(result)
    item.refresh_from_db()
    assert item.title == "新标题" and plan.items.count() == 1


def test_plan_items_admin_preview_then_confirm(client, plan, trainer):
    client.force_login(trainer)
    preview = upload(client, "trainingplanitem", "plan_items_import.csv")
    assert preview.status_code == 200
    assert not TrainingPlanItem.objects.exists()  # the preview writes nothing
    confirm(client, "trainingplanitem", preview)
    assert plan.items.count() == 3


def test_plan_items_admin_bad_file_has_no_confirm(client, plan, trainer):
    client.force_login(trainer)
    preview = upload(client, "trainingplanitem", "plan_items_import_bad_row.csv")
    page = preview.content.decode()
    assert 'name="import_file_name"' not in page
    assert "nobody" in page
    assert not TrainingPlanItem.objects.exists()


def test_manager_cannot_import_plan_items(client, plan, manager):
    client.force_login(manager)  # views the plan, does not write it
    response = upload(client, "trainingplanitem", "plan_items_import.csv")
    assert response.status_code == 403


def test_plan_items_export_round_trip(plan, trainer):
    TrainingPlanItemResource().import_data(dataset("plan_items_import.csv"))
    exported = TrainingPlanItemResource().export()
    row = exported.dict[1]  # headed by the labels; read back by them
    assert row["Training plan"] == PLAN and row["Needs answered"] == "TN202601-00002;TN202601-00003"
    assert row["Internal expert"] == "" and row["External lecturer"] == "王老师（数据库厂商）"
    again = TrainingPlanItemResource().import_data(exported)
    assert not again.has_validation_errors() and plan.items.count() == 3


# -- sessions and attendance -------------------------------------------------------------
@pytest.fixture
def items(plan, trainer, manager):
    TrainingPlanItemResource().import_data(dataset("plan_items_import.csv"))
    apply_transition(plan, "submit", actor=trainer)
    apply_transition(plan, "approve", actor=manager)
    return list(plan.items.order_by("seq"))


def test_sessions_import(items, trainer):
    result = TrainingSessionResource().import_data(dataset("sessions_import.csv"), user=trainer)
    assert not result.has_errors() and not result.has_validation_errors(), errors_of(result)
    first, second = TrainingSession.objects.order_by("starts_at")
    assert first.plan_item == items[0] and first.title == items[0].title  # from the item
    assert first.trainer.username == "engineer" and first.actual_cost == Decimal("800.00")
    assert second.plan_item == items[1] and second.link.startswith("https://")
    assert all(s.number.startswith("TS") and s.state == "planned" for s in (first, second))
    assert first.history.get().history_change_reason == "import"


def test_sessions_import_with_an_unknown_item_writes_nothing(items):
    data = dataset("sessions_import.csv")
    data.append(["", PLAN, "9", "", "2026-05-01 09:00:00", "", "on_site", "", "", "", "x",
                 "", "", ""])
    result = TrainingSessionResource().import_data(data)
    assert result.has_validation_errors()
    assert "no item 9" in str(errors_of(result)[4]["plan_item"])
    assert not TrainingSession.objects.exists()


def test_attendance_and_results_import(items, trainer, engineer):
    customer = CustomerFactory(code="C0001")
    zhang = ContactFactory(customer=customer, name="张会计")
    ContactFactory(customer=customer, name="李出纳")
    session = TrainingSessionFactory(number="TS202603-00001", plan_item=items[0])
    SessionAttendee.objects.create(session=session, contact=zhang)  # already invited
    result = AttendanceResource().import_data(dataset("attendance_import.csv"), user=trainer)
    assert not result.has_errors() and not result.has_validation_errors(), errors_of(result)
    rows = {a.name: a for a in session.attendees.all()}
    assert len(rows) == 3  # 张会计 updated, 李工 and 李出纳 added
    mine = session.attendees.get(staff=engineer)
    assert mine.attended is True and mine.exam_score == Decimal("88")
    assert mine.practical_result == "passed" and mine.survey_rating == 5
    zhang_row = session.attendees.get(contact=zhang)
    assert zhang_row.attended is True and zhang_row.exam_score == Decimal("55")
    assert session.attendees.get(contact__name="李出纳").attended is False
    # exported with the derived result
    from training.selectors import attendee_with_outcome

    exported = AttendanceResource().export(
        attendee_with_outcome(SessionAttendee.objects.order_by("id")))
    outcomes = {r["Name"]: r["Result"] for r in exported.dict}
    assert outcomes[str(zhang)] == "below pass mark"


def test_attendance_bad_row_writes_nothing(items):
    CustomerFactory(code="C0001")
    session = TrainingSessionFactory(number="TS202603-00001", plan_item=items[0])
    data = tablib.Dataset(headers=["session", "staff", "customer", "contact", "attended",
                                   "exam_score", "practical_result", "survey_rating"])
    data.append(["TS202603-00001", "engineer", "", "", "yes", "75", "", "4"])
    data.append(["TS202603-00001", "engineer", "", "", "也许", "", "", ""])  # dup + bad yes/no
    data.append(["TS202603-00001", "", "C0001", "不存在的人", "yes", "", "", ""])
    data.append(["TS202603-00001", "trainer", "", "", "no", "80", "", ""])  # absent with a score
    data.append(["TS209901-00001", "trainer", "", "", "yes", "", "", ""])
    result = AttendanceResource().import_data(data)
    errors = errors_of(result)
    assert set(errors) == {3, 4, 5, 6}, errors
    assert "attended" in errors[3] and "contact" in errors[4] and "attended" in errors[5]
    assert "Row 2 of this file" in str(errors[3]["session"])  # the same person twice
    assert "session" in errors[6]
    assert not session.attendees.exists()


# -- appraisals ---------------------------------------------------------------------------
def test_appraisals_import_creates_drafts_with_the_given_figures(manager, engineer, make_user):
    make_user("engineer", "engineer2")
    result = AppraisalResource().import_data(dataset("appraisals_import.csv"), user=manager)
    assert not result.has_errors() and not result.has_validation_errors(), errors_of(result)
    assert sorted(str(p) for p in AppraisalPeriod.objects.all()) == ["2025-10", "2025-11"]
    october = Appraisal.objects.get(period__month=dt.date(2025, 10, 1), employee=engineer)
    assert october.state == AppraisalStatus.DRAFT
    assert october.source == AppraisalSource.IMPORTED and october.computed_at is None
    assert october.satisfied_share == Decimal("92")  # "92%"
    assert october.resolution_rate == Decimal("95.24")
    assert october.outcome == Outcome.REWARD and october.outcome_amount == Decimal("500.00")
    assert october.targets  # judged by today's targets
    assert october.history.get().history_user == manager
    assert Appraisal.objects.count() == 3
    # the imported draft moves on through the workflow like any other
    apply_transition(october, "review", actor=make_user("manager", "director"))
    assert october.state == AppraisalStatus.REVIEWED


def test_appraisals_import_bad_row_writes_nothing(manager, engineer, make_user):
    make_user("engineer", "engineer2")
    result = AppraisalResource().import_data(dataset("appraisals_import_bad_row.csv"),
                                             user=manager)
    errors = errors_of(result)
    assert set(errors) == {3, 4}
    assert "satisfaction_mean" in errors[3]
    assert "period" in errors[4] and "employee" in errors[4]
    assert not Appraisal.objects.exists()
    assert not AppraisalPeriod.objects.exists()  # the months it created are rolled back


def test_appraisal_state_column_is_not_imported(manager, engineer):
    data = tablib.Dataset(headers=["month", "employee", "state", "resolution_rate"])
    data.append(["2025-10", "engineer", "acknowledged", "90"])
    result = AppraisalResource().import_data(data)
    assert not result.has_validation_errors(), errors_of(result)
    assert Appraisal.objects.get().state == AppraisalStatus.DRAFT


def test_reviewed_appraisal_is_never_overwritten(manager, engineer):
    appraisal = AppraisalFactory(employee=engineer, period__month=dt.date(2025, 10, 1),
                                 manager_score=80, outcome=Outcome.NONE)
    apply_transition(appraisal, "review", actor=manager)
    data = tablib.Dataset(headers=["month", "employee", "resolution_rate"])
    data.append(["2025-10", "engineer", "10"])
    result = AppraisalResource().import_data(data)
    assert "cannot be overwritten" in str(errors_of(result)[2]["employee"])
    appraisal.refresh_from_db()
    assert appraisal.resolution_rate == Decimal("90.00")


def test_duplicate_rows_in_one_file_are_refused(manager, engineer):
    data = tablib.Dataset(headers=["month", "employee", "resolution_rate"])
    data.append(["2025-10", "engineer", "90"])
    data.append(["2025年10月", "engineer", "91"])
    result = AppraisalResource().import_data(data)
    assert "Row 2 of this file" in str(errors_of(result)[3]["period"])
    assert not Appraisal.objects.exists()


def test_wrong_headers_are_refused(client, manager):
    client.force_login(manager)
    response = client.post(reverse("admin:training_appraisal_import"), {
        "format": "0", "resource": "0",
        "import_file": SimpleUploadedFile("x.csv", "月份,员工\n2025-10,engineer\n".encode(),
                                          content_type="text/csv")})
    page = response.content.decode()
    assert 'name="import_file_name"' not in page and "month" in page
    assert not Appraisal.objects.exists()


def test_appraisals_admin_preview_then_confirm(client, manager, engineer, make_user):
    make_user("engineer", "engineer2")
    client.force_login(manager)
    preview = upload(client, "appraisal", "appraisals_import.csv")
    assert not Appraisal.objects.exists()
    confirm(client, "appraisal", preview)
    assert Appraisal.objects.count() == 3


def test_engineer_cannot_import_appraisals(client, engineer):
    client.force_login(engineer)
    assert upload(client, "appraisal", "appraisals_import.csv").status_code == 403


def test_appraisal_export_escapes_formulas_and_keeps_numbers(manager, engineer):
    AppraisalFactory(employee=engineer, spot_check_notes="=HYPERLINK(\"http://x\")",
                     resolution_rate=Decimal("-1.50"))
    row = AppraisalResource().export().dict[0]
    assert row["Spot-check notes"] == "'=HYPERLINK(\"http://x\")"
    assert row["Period"] == "2026-03" and row["State"] == "Draft (computed)"


def test_engineer_export_contains_only_their_rows(client, engineer, make_user):
    AppraisalFactory(employee=engineer)
    AppraisalFactory(employee=make_user("engineer", "other"))
    client.force_login(engineer)
    response = client.post(reverse("admin:training_appraisal_export"),
                           {"format": "0", "resource": "0"})
    if response["Content-Type"].startswith("text/html"):
        pytest.skip("export needs the selectable-fields form")
    body = response.content.decode("utf-8-sig")
    assert "engineer" in body and "other" not in body


def test_plan_state_not_editable_by_import(plan, trainer, manager):
    from training.resources.plans import TrainingPlanResource

    TrainingPlanItemFactory(plan=plan)
    data = tablib.Dataset(headers=["number", "year", "title", "state"])
    data.append([PLAN, 2026, "改名", "approved"])
    result = TrainingPlanResource().import_data(data)
    assert not result.has_validation_errors(), errors_of(result)
    plan.refresh_from_db()
    assert plan.title == "改名" and plan.state == TrainingPlanStatus.DRAFT


def test_appraisals_from_an_xlsx_with_date_and_number_cells(client, manager, engineer):
    """The old spreadsheet: months typed as dates, figures as numbers."""
    data = tablib.Dataset(headers=["month", "employee", "tickets_received", "resolution_rate",
                                   "satisfaction_mean", "manager_score", "outcome"])
    data.append([dt.datetime(2025, 9, 1), "engineer", 40, 92.5, 4.4, 86, "Reward"])
    data.append([dt.date(2025, 10, 1), "engineer", 41.0, 88, 4.1, "", ""])
    content = data.export("xlsx")
    client.force_login(manager)
    preview = client.post(reverse("admin:training_appraisal_import"), {
        "format": "1", "resource": "0",
        "import_file": SimpleUploadedFile("旧考核表.xlsx", content)})
    assert preview.status_code == 200
    assert not Appraisal.objects.exists()
    confirm(client, "appraisal", preview)
    september, october = Appraisal.objects.order_by("period__month")
    assert str(september.period) == "2025-09" and september.outcome == Outcome.REWARD
    assert september.resolution_rate == Decimal("92.5") and september.tickets_received == 40
    assert october.manager_score is None and october.outcome == ""
