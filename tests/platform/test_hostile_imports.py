"""Hostile and broken spreadsheets: a clear error, nothing written, the server stays up."""

import csv
import io
import re
import types
import zipfile

import openpyxl
import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from backoffice.desk.models import Customer, Ticket
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
CSV, XLSX = "0", "1"
HEADER = "code,name,is_vip,industry,region\n"


def post(client, data: bytes, fmt=CSV, model="customer", name=None):
    name = name or ("upload.csv" if fmt == CSV else "upload.xlsx")
    return client.post(reverse(f"admin:backoffice_{model}_import"), {
        "format": fmt, "resource": "0", "import_file": SimpleUploadedFile(name, data)})


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def can_confirm(response):
    return 'name="import_file_name"' in response.content.decode()


def xlsx(rows, formula=None):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if formula:
        sheet["B3"] = formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def test_gbk_csv_from_chinese_excel_is_read(staff):
    data = (HEADER + "C9001,福州闽江信息技术有限公司,0,软件,福建\n").encode("gbk")
    response = post(staff, data)
    assert can_confirm(response), text(response)[:2000]
    assert "福州闽江信息技术有限公司" in response.content.decode()


def test_utf8_csv_with_bom_is_read(staff):
    data = ("\ufeff" + HEADER + "C9002,厦门鹭岛航运有限公司,1,航运,福建\n").encode("utf-8")
    response = post(staff, data)
    assert can_confirm(response)


def test_undecodable_bytes_are_refused_with_a_reason(staff):
    response = post(staff, bytes(range(128, 256)) * 4)
    assert not can_confirm(response)
    assert "encoding is not recognised" in text(response)


def test_empty_file(staff):
    response = post(staff, b"")
    assert "file is empty" in text(response)


def test_header_only_file(staff):
    response = post(staff, HEADER.encode())
    assert not can_confirm(response)
    assert Customer.objects.count() == 0


def test_wrong_types_name_row_and_column(staff):
    CustomerFactory(code="C1")
    data = ("number,received_at,customer,category,subject\n"
            ",2026-11-20 09:00,C1,bug,正常\n"
            ",下周二上午,C1,bug,时间写错了\n").encode()
    response = post(staff, data, model="ticket")
    page = text(response)
    assert not can_confirm(response)
    # the column by its label, the row as numbered in the spreadsheet (header = row 1)
    assert "Received at" in page and "下周二上午" in page and "Row 3" in page
    assert Ticket.objects.count() == 0


def test_missing_customer_is_a_row_error(staff):
    data = "number,customer,category,subject\n,C404,bug,客户不存在\n".encode()
    response = post(staff, data, model="ticket")
    assert not can_confirm(response)
    assert "No customer with customer code “C404”" in text(response)  # the key by its label


def test_duplicate_keys_within_a_file(staff):
    data = (HEADER + "C7001,甲公司,0,,\nC7002,乙公司,0,,\nc7001,甲公司重复,0,,\n").encode()
    response = post(staff, data)
    assert not can_confirm(response)
    assert "already appears in row 2" in text(response)  # the spreadsheet's row: header = 1
    assert Customer.objects.count() == 0


def test_good_xlsx_is_read_with_numbers_as_numbers(staff):
    data = xlsx([["code", "name", "is_vip", "phone"], ["C9100", "宁波港城电子", 0, 13901010001]])
    response = post(staff, data, fmt=XLSX)
    assert can_confirm(response), text(response)[:3000]
    assert "13901010001" in response.content.decode()
    assert "13901010001.0" not in response.content.decode()


def test_spreadsheet_with_formulas_is_refused(staff):
    data = xlsx([["code", "name"], ["C9200", "甲"], ["C9201", "乙"]], formula="=HYPERLINK(\"x\")")
    response = post(staff, data, fmt=XLSX)
    assert not can_confirm(response)
    assert "contains formulas" in text(response)


def test_file_over_the_size_limit_is_refused_before_parsing(staff, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = post(staff, (HEADER + "C1,x,0,,\n" * 500).encode())
    assert "are refused" in text(response)
    assert Customer.objects.count() == 0


def test_zip_bomb_disguised_as_xlsx(staff):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    assert len(out.getvalue()) < 200_000  # 50 MB of zeros in a tiny file
    response = post(staff, out.getvalue(), fmt=XLSX)
    assert "zip bomb" in text(response)


def test_zip_bomb_over_the_unpacked_limit(staff, settings):
    settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = 10 * 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b"x" * (20 * 1024 * 1024))
    response = post(staff, out.getvalue(), fmt=XLSX)
    assert "at most 10 MB is accepted" in text(response)


def test_xml_bomb_disguised_as_xlsx(staff):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b"<worksheet>&lol2;</worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", laughs)
    response = post(staff, out.getvalue(), fmt=XLSX)
    assert "DTD/entities" in text(response)


def test_not_a_zip_is_not_an_xlsx(staff):
    response = post(staff, b"PK-not-really" * 10, fmt=XLSX)
    assert "not an Excel .xlsx file" in text(response)


def test_too_many_rows(staff, settings):
    settings.IMPORT_MAX_ROWS = 3
    response = post(staff, (HEADER + "".join(f"C{i},x,0,,\n" for i in range(5))).encode())
    assert "at most 3 can be imported" in text(response)


def test_server_stays_up_after_hostile_files(staff):
    post(staff, b"\0\0\0", fmt=XLSX)
    assert staff.get(reverse("admin:backoffice_customer_changelist")).status_code == 200


# -- every import page: the issue "Nothing lost, nothing leaked", items 9, 10 and 11 -------
# The walker finds every admin that offers an import (admin.site._registry), gives each a
# file of two valid rows (BASELINES), spoils one cell of the second row and posts it through
# the real import page, as the preview and as "Import now", in Chinese. Each must answer
# without a 500, name row 3 (the spreadsheet's numbering: the header is row 1) and the column
# with the translated reason, offer no Confirm and
# write nothing.
# the messages, as their msgids (compared after gettext in Chinese)
YES_NO = ("“%(value)s” is not yes or no: write yes or no, true or false, 1 or 0, 是 or 否 "
          "(or leave the cell empty).")
NOT_A_NUMBER = "“%(value)s” is not a number."
NOT_A_DATE = "“%(value)s” is not a date; write it like 2026-03-15."
NOT_A_DATETIME = "“%(value)s” is not a date and time; write it like 2026-03-15 09:30."
FORBIDDEN = ("This cell contains a character that is not allowed (%(codes)s): control "
             "characters and text-direction overrides are refused. Remove it and import the "
             "file again.")
WRITING_APPS = ("backoffice", "inventory", "billing", "training")


class _AnySuperuser:
    """Enough of a superuser to ask an admin, at collection time, whether it imports."""

    is_active = is_staff = is_superuser = is_authenticated = True
    pk = None

    def has_perm(self, *args, **kwargs):
        return True

    has_perms = has_module_perms = has_perm


def import_pages() -> dict[str, tuple]:
    """model label -> (model, admin, resource class) of every admin offering an import."""
    request = RequestFactory().get("/")
    request.user = _AnySuperuser()
    pages = {}
    for model, model_admin in admin.site._registry.items():
        if not hasattr(model_admin, "get_import_resource_classes"):
            continue  # not an import-export admin
        if not model_admin.has_import_permission(request):
            continue
        resources = model_admin.get_import_resource_classes(request)
        if resources:
            pages[model._meta.label] = (model, model_admin, resources[0])
    return pages


PAGES = import_pages()


def _model_field(model, field):
    try:
        return model._meta.get_field((field.attribute or "").split("__")[0])
    except Exception:  # a computed column
        return None


def _columns(label, kinds):
    """(label, column, attribute, model field) of the importable columns of these kinds."""
    model, _admin, resource_class = PAGES[label]
    for field in resource_class().get_import_fields():
        model_field = _model_field(model, field)
        if not field.readonly and field.attribute and isinstance(model_field, kinds):
            yield label, field.column_name, field.attribute, model_field


def _cases(kinds, extra=()):
    cases = [pytest.param(*case[:3], _parse_message(case[3]), id=f"{case[0]}-{case[1]}")
             for label in sorted(PAGES) for case in _columns(label, kinds)]
    return cases + [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in extra]


def _parse_message(model_field):
    if isinstance(model_field, models.DateTimeField):
        return NOT_A_DATETIME
    if isinstance(model_field, models.DateField):
        return NOT_A_DATE
    return NOT_A_NUMBER


BOOLEAN_COLUMNS = [pytest.param(*case[:3], id=f"{case[0]}-{case[1]}")
                   for label in sorted(PAGES)
                   for case in _columns(label, (models.BooleanField,))]
PARSED_COLUMNS = _cases(
    (models.IntegerField, models.DecimalField, models.FloatField, models.DateField,
     models.AutoField, models.BigAutoField, models.SmallAutoField),
    # columns that are parsed by the resource itself, not by a model field's widget
    extra=[("billing.BudgetLine", "year", "budget", "Give the fiscal year, e.g. 2026."),
           ("training.Appraisal", "month", "period", "“%(value)s” is not a month like 2026-03.")])


# -- two valid rows per import page -------------------------------------------------------
def _customer_baseline(ctx):
    return (["code", "name", "is_vip", "consultant", "industry", "region", "address", "phone",
             "notes", "is_active"],
            [["C8001", "宁波港城电子有限公司", "0", "", "电子", "浙江", "宁波市", "0574-1", "", "1"],
             ["C8002", "大连海韵软件有限公司", "是", "", "软件", "辽宁", "大连市", "0411-1", "", "yes"]],
            "name")


def _ticket_baseline(ctx):
    from tests.factories import ProductFactory

    CustomerFactory(code="C8101")
    ProductFactory(code="ERP8")
    return (["number", "received_at", "channel", "category", "priority", "customer", "product",
             "subject", "description"],
            [["", "2026-11-20 09:30:00", "phone", "bug", "high", "C8101", "ERP8", "打印错乱", ""],
             ["", "2026-11-20 10:15:00", "email", "data", "normal", "C8101", "", "数据丢失", "x"]],
            "subject")


def _article_baseline(ctx):
    return (["number", "title", "category", "product", "keywords", "problem", "cause",
             "solution"],
            [["", "凭证打印错位", "bug", "", "打印", "打印错位", "驱动", "更新驱动"],
             ["", "备份失败", "data", "", "备份", "备份失败", "磁盘满", "清理磁盘"]],
            "title")


def _maintenance_plan_baseline(ctx):
    from tests.factories import ProductFactory

    CustomerFactory(code="C8201")
    ProductFactory(code="ERP9")
    return (["number", "customer", "product", "title", "system_check", "data_backup",
             "performance_tuning", "content", "cycle", "starts_on", "ends_on", "next_due",
             "lead_days", "owner", "is_active"],
            [["", "C8201", "ERP9", "季度巡检", "1", "0", "no", "巡检", "quarterly", "2026-01-01",
              "2026-12-31", "2026-03-01", "7", ctx.root.username, "1"],
             ["", "C8201", "", "月度巡检", "true", "false", "0", "巡检", "monthly", "2026-01-01",
              "2026-12-31", "", "5", ctx.root.username, "是"]],
            "title")


def _calendar_day_baseline(ctx):
    from backoffice.desk.models import BusinessCalendar

    BusinessCalendar.objects.create(name="测试日历")
    return (["calendar", "date", "kind", "name"],
            [["测试日历", "2027-02-11", "holiday", "春节"],
             ["测试日历", "2027-02-20", "调休上班日", "春节调休"]],
            "name")


def _supplier_baseline(ctx):
    return (["code", "name", "contact_person", "phone", "email", "address", "tax_id",
             "business_scope", "is_active"],
            [["S8001", "北京华信科技有限公司", "王建国", "010-1", "a@example.cn", "北京", "", "", "1"],
             ["S8002", "上海联拓网络设备有限公司", "李晓燕", "021-1", "", "上海", "", "", "0"]],
            "name")


def _part_baseline(ctx):
    from tests.inventory.factories import PartCategoryFactory

    PartCategoryFactory(code="DISK8")
    return (["code", "name", "specification", "model", "unit", "category", "unit_cost",
             "safety_stock", "reorder_point", "reorder_quantity", "preferred_supplier",
             "is_active"],
            [["HDD-8T", "服务器硬盘", "8TB", "ST8000", "块", "DISK8", "450.00", "2", "5", "10", "",
              "1"],
             ["SSD-8T", "固态硬盘", "8TB", "", "块", "", "380.5", "1", "3", "5", "", "yes"]],
            "name")


def _opening_balance_baseline(ctx):
    from tests.inventory.factories import PartFactory, WarehouseFactory

    WarehouseFactory(code="WH8")
    PartFactory(code="OB-1")
    PartFactory(code="OB-2")
    return (["part", "warehouse", "quantity", "unit_cost", "note"],
            [["OB-1", "WH8", "5", "10.00", "期初"], ["OB-2", "WH8", "3", "", "期初"]],
            "note")


def _stocktake_line_baseline(ctx):
    from backoffice.platform.workflow import apply_transition
    from inventory.models import Stocktake
    from tests.inventory.factories import PartFactory, WarehouseFactory

    PartFactory(code="ST-1")
    PartFactory(code="ST-2")
    take = Stocktake.objects.create(warehouse=WarehouseFactory(code="WH9"))
    apply_transition(take, "start", actor=ctx.root)
    return (["stocktake", "part", "counted", "reason", "note"],
            [[take.number, "ST-1", "2", "surplus", "多一块"], [take.number, "ST-2", "0", "", ""]],
            "note")


def _budget_line_baseline(ctx):
    from tests.billing.factories import BudgetFactory

    BudgetFactory(year=2041)
    return (["year", "category", "period", "amount", "note"],
            [["2041", "travel", "year", "120000.00", "差旅"], ["2041", "training", "q1", "10000", ""]],
            "note")


def _expense_claim_baseline(ctx):
    return (["number", "title", "notes"],
            [["", "三月差旅", ""], ["", "四月差旅", "备注"]],
            "title")


def _expense_line_baseline(ctx):
    from tests.billing.factories import ExpenseClaimFactory, a_day

    claim = ExpenseClaimFactory(claimant=ctx.root)
    day = a_day().isoformat()
    return (["id", "claim", "date", "category", "description", "amount", "ticket", "customer"],
            [["", claim.number, day, "travel", "高铁", "553.00", "", ""],
             ["", claim.number, day, "travel", "酒店", "860", "", ""]],
            "description")


def _kpi_target_baseline(ctx):
    return (["kpi", "target", "note"],
            [["satisfaction_mean", "4.5", ""], ["satisfied_share", "90", "说明"]],
            "note")


def _appraisal_period_baseline(ctx):
    return (["month", "notes"], [["2031-01-01", ""], ["2031-02-01", "二月"]], "notes")


def _appraisal_baseline(ctx):
    ctx.make_user("engineer", "emp8a")
    ctx.make_user("engineer", "emp8b")
    return (["month", "employee", "tickets_received", "tickets_resolved", "satisfaction_mean",
             "satisfied_share", "resolution_rate", "avg_response_hours", "response_in_time_share",
             "record_completeness", "spot_check_notes", "manager_score", "outcome",
             "outcome_amount"],
            [["2031-05", "emp8a", "42", "40", "4.60", "92%", "95.24", "1.80", "96.5", "98", "规范",
              "88", "reward", "500.00"],
             ["2031-05", "emp8b", "38", "33", "4.10", "85", "86.84", "3.20", "91", "90", "缺确认",
              "75", "none", ""]],
            "spot_check_notes")


def _training_need_baseline(ctx):
    CustomerFactory(code="C8301")
    return (["number", "topic", "description", "requester_kind", "customer", "contact", "staff",
             "product", "urgency", "source"],
            [["", "财务模块培训", "", "customer", "C8301", "", "", "", "normal", "survey"],
             ["", "备份演练", "说明", "customer", "C8301", "", "", "", "high", "manager"]],
            "topic")


def _training_plan_baseline(ctx):
    return (["number", "year", "title", "goals"],
            [["", "2031", "2031年度培训计划", "提升"], ["", "2032", "2032年度培训计划", ""]],
            "title")


def _plan_item_baseline(ctx):
    from tests.training.factories import TrainingPlanFactory

    plan = TrainingPlanFactory(prepared_by=ctx.root, year=2031)
    return (["plan", "seq", "title", "content", "audience", "method", "product", "planned_start",
             "planned_end", "trainer_kind", "trainer", "external_trainer", "budget_estimate",
             "pass_mark", "needs"],
            [[plan.number, "", "财务培训", "凭证", "customers", "on_site", "", "2031-03-01",
              "2031-03-31", "internal", ctx.root.username, "", "3000.00", "60", ""],
             [plan.number, "", "备份演练", "恢复", "staff", "online", "", "2031-04-01",
              "2031-04-30", "external", "", "王老师", "5000", "70", ""]],
            "title")


def _session_baseline(ctx):
    from tests.training.factories import TrainingPlanItemFactory

    item = TrainingPlanItemFactory()
    item.refresh_from_db()
    plan, seq = item.plan.number, str(item.seq)
    return (["number", "plan", "item", "title", "starts_at", "ends_at", "method", "place", "link",
             "trainer", "external_trainer", "capacity", "actual_cost", "notes"],
            [["", plan, seq, "第一期", "2031-03-10 09:30:00", "2031-03-10 17:00:00", "on_site",
              "会议室", "", ctx.root.username, "", "30", "800.00", ""],
             ["", plan, seq, "第二期", "2031-04-15 14:00:00", "2031-04-15 17:30:00", "online", "",
              "https://meeting.example.cn/j/1", "", "王老师", "50", "0", "备注"]],
            "title")


def _attendance_baseline(ctx):
    from tests.training.factories import TrainingSessionFactory

    session = TrainingSessionFactory(number="TS203101-00001")
    ctx.make_user("engineer", "att8a")
    ctx.make_user("engineer", "att8b")
    return (["session", "staff", "customer", "contact", "attended", "exam_score",
             "practical_result", "survey_rating", "comments", "coached_on", "coaching_note"],
            [[session.number, "att8a", "", "", "是", "88", "passed", "5", "", "", ""],
             [session.number, "att8b", "", "", "no", "", "", "", "请假", "2031-03-20", ""]],
            "comments")


BASELINES = {
    "backoffice.Customer": _customer_baseline,
    "backoffice.Ticket": _ticket_baseline,
    "backoffice.Article": _article_baseline,
    "backoffice.MaintenancePlan": _maintenance_plan_baseline,
    "backoffice.CalendarDay": _calendar_day_baseline,
    "inventory.Supplier": _supplier_baseline,
    "inventory.Part": _part_baseline,
    "inventory.StockEntry": _opening_balance_baseline,
    "inventory.StocktakeLine": _stocktake_line_baseline,
    "billing.BudgetLine": _budget_line_baseline,
    "billing.ExpenseClaim": _expense_claim_baseline,
    "billing.ExpenseLine": _expense_line_baseline,
    "training.KpiTarget": _kpi_target_baseline,
    "training.AppraisalPeriod": _appraisal_period_baseline,
    "training.Appraisal": _appraisal_baseline,
    "training.TrainingNeed": _training_need_baseline,
    "training.TrainingPlan": _training_plan_baseline,
    "training.TrainingPlanItem": _plan_item_baseline,
    "training.TrainingSession": _session_baseline,
    "training.SessionAttendee": _attendance_baseline,
}


@pytest.fixture
def importer(client, superuser, make_user, calendar):
    """The superuser's client, and the baseline file of a page with one cell changed."""
    client.force_login(superuser)
    ctx = types.SimpleNamespace(root=superuser, make_user=make_user)
    made = {}

    def baseline(label):  # the records a page's file refers to are made once per test
        if label not in made:
            made[label] = BASELINES[label](ctx)
        return made[label]

    def spoil(label, column, value, row=3):  # row: as numbered in the spreadsheet
        headers, rows, _text_column = baseline(label)
        rows = [list(r) for r in rows]
        if column is not None:
            if column not in headers:
                headers = [*headers, column]
                rows = [[*r, ""] for r in rows]
            rows[row - 2][headers.index(column)] = value
        out = io.StringIO()
        csv.writer(out).writerows([headers, *rows])
        return out.getvalue().encode("utf-8")

    client.spoil = spoil
    client.text_column = lambda label: baseline(label)[2]
    return client


def _url(label):
    model = PAGES[label][0]
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_import")


def _post_in_chinese(client, label, data, now=False):
    payload = {"format": CSV, "resource": "0",
               "import_file": SimpleUploadedFile("hostile.csv", data)}
    if now:
        payload["_import_now"] = "1"
    with translation.override("zh-hans"):
        return client.post(_url(label), payload, HTTP_ACCEPT_LANGUAGE="zh-hans")


def _stored():
    """Rows per table of the four apps (their history tables included)."""
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()
            if m._meta.app_label in WRITING_APPS and m._meta.managed and not m._meta.proxy}


def _chinese(msgid, **values):
    with translation.override("zh-hans"):
        return gettext(msgid) % values


def assert_refused(client, label, data, *, row, columns, message):
    """Preview and "Import now": no 500, no Confirm, ``message`` on ``row`` under one of
    ``columns`` (the column's name, or its model field's), on the page too, nothing written."""
    before = _stored()
    for now in (False, True):
        response = _post_in_chinese(client, label, data, now=now)
        assert response.status_code < 500
        assert response.wsgi_request.LANGUAGE_CODE == "zh-hans"
        assert not can_confirm(response)
        result = response.context["result"]
        assert not result.has_errors(), [str(e.error) for e in result.base_errors] + [
            str(e.error) for _n, errors in result.row_errors() for e in errors]
        invalid = {r.number: r.error_dict for r in result.invalid_rows}
        assert row in invalid, invalid
        named = [c for c in columns if c in invalid[row]]
        assert named, (columns, invalid[row])
        assert message in invalid[row][named[0]], invalid[row]
        assert escape(message) in response.content.decode()
    assert _stored() == before, "a refused file wrote rows"


def test_the_walker_covers_every_import_page():
    assert set(PAGES) == set(BASELINES)
    assert {"backoffice.Customer", "inventory.StockEntry", "billing.ExpenseLine",
            "training.SessionAttendee"} <= set(PAGES)  # the walker finds the pages


@pytest.mark.parametrize("label", sorted(BASELINES))
def test_walker_baselines_are_valid_files(importer, label):
    """The walker's files import cleanly, so the refusals below are the spoiled cell's."""
    response = _post_in_chinese(importer, label, importer.spoil(label, None, None))
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), (
        [str(e.error) for e in result.base_errors],
        {r.number: r.error_dict for r in result.invalid_rows})
    assert can_confirm(response)


@pytest.mark.parametrize(("label", "column", "attribute"), BOOLEAN_COLUMNS)
def test_item9_yes_no_typo_is_a_row_error(importer, label, column, attribute):
    assert_refused(importer, label, importer.spoil(label, column, "twelve"), row=3,
                   columns=(column, attribute), message=_chinese(YES_NO, value="twelve"))


def test_item9_every_boolean_column_is_walked():
    walked = {(p.values[0], p.values[1]) for p in BOOLEAN_COLUMNS}
    assert {("backoffice.Customer", "is_vip"), ("backoffice.Customer", "is_active"),
            ("inventory.Part", "is_active"), ("training.SessionAttendee", "attended"),
            ("backoffice.MaintenancePlan", "data_backup")} <= walked


@pytest.mark.parametrize("spelling", ["yes", "YES", "No", "TRUE", "false", "1", "0", "是", "否",
                                      " Yes "])
def test_item9_documented_spellings_are_read(spelling):
    from backoffice.platform.resources import YesNoWidget

    expected = spelling.strip().lower() in ("yes", "true", "1", "是")
    assert YesNoWidget().clean(spelling) is expected


def test_item9_blank_yes_no_is_the_fields_default(importer):
    """An empty is_active is "active" (the field's default), not "no"."""
    data = importer.spoil("backoffice.Customer", "is_active", "")
    response = _post_in_chinese(importer, "backoffice.Customer", data, now=True)
    assert response.status_code == 302
    assert Customer.objects.get(code="C8002").is_active is True
    assert Customer.objects.get(code="C8002").is_vip is True  # 是


@pytest.mark.parametrize(("label", "column", "attribute", "msgid"), PARSED_COLUMNS)
def test_item10_non_numeric_id_is_a_row_error(importer, label, column, attribute, msgid):
    """Ids, numbers, decimals and dates: "twelve" is a row error on its column, never a 500."""
    assert_refused(importer, label, importer.spoil(label, column, "twelve"), row=3,
                   columns=(column, attribute), message=_chinese(msgid, value="twelve"))


def test_item10_expense_line_id_twelve_the_reported_case(importer):
    """The report: id=twelve in the expense-line import was an HTTP 500
    (decimal.InvalidOperation in the instance loader); also on the first row, where the loader
    reads it first."""
    data = importer.spoil("billing.ExpenseLine", "id", "twelve", row=2)
    assert_refused(importer, "billing.ExpenseLine", data, row=2, columns=("id",),
                   message=_chinese(NOT_A_NUMBER, value="twelve"))


@pytest.mark.parametrize(("label", "column", "value", "msgid"), [
    ("backoffice.MaintenancePlan", "lead_days", "2.5", "“%(value)s” is not a whole number."),
    ("backoffice.MaintenancePlan", "lead_days", "NaN", NOT_A_NUMBER),
    ("backoffice.MaintenancePlan", "lead_days", "Infinity", NOT_A_NUMBER),
    ("backoffice.MaintenancePlan", "lead_days", "1e999999", NOT_A_NUMBER),
    ("training.KpiTarget", "target", "NaN", NOT_A_NUMBER),
    ("training.KpiTarget", "target", "-Infinity", NOT_A_NUMBER)])
def test_item10_numbers_that_are_not_whole_or_not_finite(importer, label, column, value, msgid):
    """2.5 days is not cut to 2, and NaN is not a number."""
    assert_refused(importer, label, importer.spoil(label, column, value), row=3,
                   columns=(column,), message=_chinese(msgid, value=value))


@pytest.mark.parametrize(("char", "code"), [("\x00", "U+0000"), ("\u202e", "U+202E")],
                         ids=["NUL", "RLO"])
@pytest.mark.parametrize("label", sorted(BASELINES))
def test_item11_control_characters_are_refused(importer, label, char, code):
    column = importer.text_column(label)
    data = importer.spoil(label, column, f"正常{char}文字")
    assert_refused(importer, label, data, row=3, columns=(column,),
                   message=_chinese(FORBIDDEN, codes=code))
    response = _post_in_chinese(importer, label, data)
    assert char not in response.content.decode()  # nor shown back on the page


@pytest.mark.parametrize(("text", "codes"), [
    ("ESC\x1b[31m red", "U+001B"), ("bell\x07", "U+0007"), ("C1\x85", "U+0085"),
    ("\u202d\u2066x\u2069", "U+202D, U+2066, U+2069"), ("DEL\x7f", "U+007F")])
def test_item11_other_controls_are_refused_and_tab_newline_pass(importer, text, codes):
    data = importer.spoil("backoffice.Customer", "notes", text)
    assert_refused(importer, "backoffice.Customer", data, row=3, columns=("notes",),
                   message=_chinese(FORBIDDEN, codes=codes))
    fine = importer.spoil("backoffice.Customer", "notes", "第一行\n第二行\t制表\r\n")
    assert can_confirm(_post_in_chinese(importer, "backoffice.Customer", fine))


def test_item11_control_characters_in_an_xlsx_and_in_a_key_column(importer):
    """A key cell with the override is refused too (the instance loader never queries it)."""
    data = xlsx([["code", "name"], ["C8401", "甲"], ["C84\u202e02", "乙\x85"]])
    before = _stored()
    for now in (False, True):
        with translation.override("zh-hans"):
            response = importer.post(_url("backoffice.Customer"), {
                "format": XLSX, "resource": "0", **({"_import_now": "1"} if now else {}),
                "import_file": SimpleUploadedFile("hostile.xlsx", data)},
                HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200 and not can_confirm(response)
        errors = {r.number: r.error_dict for r in response.context["result"].invalid_rows}
        assert errors[3]["code"] == [_chinese(FORBIDDEN, codes="U+202E")]
        assert errors[3]["name"] == [_chinese(FORBIDDEN, codes="U+0085")]
    assert _stored() == before


def test_item10_a_lookup_by_a_number_column_names_the_value():
    """A lookup whose key field is a number ("twelve" for a budget's year) is the usual
    translated miss, not Django's English "Field 'year' expected a number"."""
    from backoffice.platform.resources import LookupWidget
    from billing.models import Budget

    with pytest.raises(ValueError) as error:
        LookupWidget(Budget, field="year").clean("twelve")
    assert str(error.value) == gettext("No %(model)s with %(field)s “%(value)s”.") % {
        "model": Budget._meta.verbose_name, "field": Budget._meta.get_field("year").verbose_name,
        "value": "twelve"}
