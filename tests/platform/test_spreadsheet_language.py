"""Spreadsheets in the user's language, through the real admin pages.

Exports are headed by the columns' labels with choices and yes/no as labels (渠道 /
热线电话 in Chinese, Channel / Phone hotline in English); imports read headers and
choices in either language or as the codes; a refused file names the spreadsheet's own
row numbers (the header is row 1) under "Nothing was imported", on the import page and on
a background job's page alike; every import page offers a template to fill in.
"""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from backoffice.desk import workflows as wf
from backoffice.desk.models import Customer, Ticket
from backoffice.platform.models import DataJob, JobStatus
from tests.factories import CustomerFactory, ProductFactory, TicketFactory
from tests.platform.test_hostile_imports import BASELINES, PAGES

pytestmark = pytest.mark.django_db
CSV, XLSX = "0", "1"
ZH = "zh-hans"


def in_language(language, call, *args, **kwargs):
    with translation.override(language):
        return call(*args, HTTP_ACCEPT_LANGUAGE=language, **kwargs)


def zh(text):
    with translation.override(ZH):
        return gettext(text)


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(content, sheet=0):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]


def export(client, model, language, app="backoffice"):
    response = in_language(language, client.post, reverse(f"admin:{app}_{model}_export"),
                           {"format": XLSX, "resource": "0"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats"), (
        response.content[:500])
    rows = sheet_rows(response.content)
    return response.content, rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def upload(client, model, data, *, fmt=XLSX, now=False, language=ZH, app="backoffice"):
    payload = {"format": fmt, "resource": "0",
               "import_file": SimpleUploadedFile("file.xlsx" if fmt == XLSX else "file.csv",
                                                 data)}
    if now:
        payload["_import_now"] = "1"
    return in_language(language, client.post, reverse(f"admin:{app}_{model}_import"), payload)


def can_confirm(response):
    return 'name="import_file_name"' in response.content.decode()


@pytest.fixture
def tickets(calendar):
    TicketFactory(channel=wf.Channel.PHONE, category=wf.Category.DATA,
                  priority=wf.Priority.HIGH, first_contact_resolution=True,
                  product=ProductFactory(code="ERP"))
    TicketFactory(channel=wf.Channel.EMAIL, category=wf.Category.BUG,
                  priority=wf.Priority.LOW)
    return Ticket.objects.order_by("number")


# -- exports ---------------------------------------------------------------------------------
def test_a_chinese_export_has_chinese_headers_and_labels(client, manager, tickets):
    client.force_login(manager)
    _content, headers, rows = export(client, "ticket", ZH)
    assert {"编号", "渠道", "问题分类", "优先级", "客户", "状态", "电话即答"} <= set(headers)
    assert not {"channel", "category", "priority", "number"} & set(headers)
    first = next(r for r in rows if r["编号"] == tickets[0].number)
    assert (first["渠道"], first["问题分类"], first["优先级"]) == ("热线电话", "数据问题", "高")
    assert first["状态"] == zh("New") and first["电话即答"] == "是"
    assert first["客户"] == tickets[0].customer.code  # records by their key, users by name
    assert next(r for r in rows if r["编号"] == tickets[1].number)["电话即答"] == "否"


def test_an_english_export_has_english_headers_and_labels(client, manager, tickets):
    client.force_login(manager)
    _content, headers, rows = export(client, "ticket", "en")
    assert {"Number", "Channel", "Problem category", "Priority", "State"} <= set(headers)
    first = next(r for r in rows if r["Number"] == tickets[0].number)
    assert (first["Channel"], first["Problem category"], first["Priority"]) == (
        "Phone hotline", "Data problem", "High")
    assert first["Answered on the first call"] == "Yes"


def test_the_exported_chinese_file_imports_again_unchanged(client, manager, tickets):
    """Round trip: the Chinese export, uploaded as it is, is read (headers, labels, yes/no,
    dates) and changes nothing - every row unchanged, no history written."""
    client.force_login(manager)
    content, _headers, _rows = export(client, "ticket", ZH)
    history = Ticket.history.count()

    preview = upload(client, "ticket", content)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), (
        [str(e.error) for e in result.base_errors],
        {r.number: r.error_dict for r in result.invalid_rows})
    assert can_confirm(preview)
    assert result.totals["skip"] == 2 and result.totals["new"] == result.totals["update"] == 0

    response = upload(client, "ticket", content, now=True)
    assert response.status_code == 302
    assert Ticket.objects.count() == 2 and Ticket.history.count() == history


def test_english_labels_and_codes_import_into_a_chinese_session(client, manager, calendar):
    CustomerFactory(code="C0101")
    client.force_login(manager)
    data = xlsx([["Number", "Channel", "Problem category", "Priority", "Customer", "Subject"],
                 ["", "Email", "Data problem", "high", "C0101", "英文标签"],
                 ["", "wechat_qq", "软件BUG", "Critical (emergency)", "C0101", "代码和中文"]])
    response = upload(client, "ticket", data, now=True)
    assert response.status_code == 302, response.context["result"].invalid_rows
    first, second = Ticket.objects.order_by("subject")  # 代… before 英…
    assert (second.channel, second.category, second.priority) == (
        wf.Channel.EMAIL, wf.Category.DATA, wf.Priority.HIGH)
    assert (first.channel, first.category, first.priority) == (
        wf.Channel.WECHAT_QQ, wf.Category.BUG, wf.Priority.CRITICAL)


@pytest.mark.parametrize(("vip", "active", "expected"), [
    ("是", "否", (True, False)), ("Yes", "no", (True, False)), (1, 0, (True, False)),
    ("No", "YES", (False, True))])
def test_yes_and_no_in_either_language_or_as_1_and_0(client, manager, vip, active, expected):
    client.force_login(manager)
    data = xlsx([["客户编号", "Name", "VIP", "启用"], ["C0201", "甲公司", vip, active]])
    assert upload(client, "customer", data, now=True).status_code == 302
    customer = Customer.objects.get(code="C0201")
    assert (customer.is_vip, customer.is_active) == expected


# -- a refused file, on the import page and on the job page ---------------------------------
def bad_ticket_file():
    """Six good rows, a blank row, then a bad one: spreadsheet row 9 (the header is row 1;
    import-export alone would say 7)."""
    good = [["", "热线电话", "软件BUG", "普通", "C0101", "", f"问题{n}", ""] for n in range(6)]
    return xlsx([["编号", "渠道", "问题分类", "优先级", "客户", "产品", "主题", "描述"], *good,
                 [None] * 8,
                 ["", "飞鸽传书", "软件BUG", "普通", "C0101", None, "渠道写错", None]])


@pytest.mark.parametrize("now", [False, True], ids=["check first", "import now"])
def test_a_bad_row_is_named_by_its_spreadsheet_row_under_nothing_was_imported(
        client, manager, calendar, now):
    CustomerFactory(code="C0101")
    client.force_login(manager)
    response = upload(client, "ticket", bad_ticket_file(), now=now)
    assert response.status_code == 200 and not can_confirm(response)
    page = response.content.decode()
    assert "data-nothing-imported" in page and zh("Nothing was imported") in page
    (row,) = response.context["result"].invalid_rows
    assert row.number == 9
    (column, messages), = row.labelled_errors  # the column by its label
    assert column == "渠道" and "飞鸽传书" in messages[0] and "热线电话" in messages[0]
    assert 'data-sheet-row="9"' in page and "行 9, 渠道" in page
    # the row's cells as in the file: empty ones blank, not "None"
    table = page[page.index('data-sheet-row="9"'):]
    table = table[:table.index("</tbody>")]
    assert "飞鸽传书" in table and "None" not in table and "<td></td>" in table
    assert "---" not in table  # nor the columns the file does not have
    assert not Ticket.objects.exists()


def test_the_background_job_says_the_same(client, manager, calendar):
    CustomerFactory(code="C0101")
    client.force_login(manager)
    in_language(ZH, client.post, reverse("admin:backoffice_ticket_background_import"),
                {"file_format": "xlsx",
                 "import_file": SimpleUploadedFile("bad.xlsx", bad_ticket_file())})
    job = DataJob.objects.get()
    assert job.status == JobStatus.REJECTED and not Ticket.objects.exists()
    ((error),) = job.errors
    assert (error["row"], error["column"]) == (9, "渠道") and "飞鸽传书" in error["message"]
    page = in_language(ZH, client.get, reverse("admin:backoffice_datajob_change",
                                                args=[job.pk])).content.decode()
    assert "data-nothing-imported" in page and zh("Nothing was imported") in page
    assert "渠道" in page and ">9<" in page


def test_a_duplicate_key_names_the_earlier_spreadsheet_row(client, manager):
    client.force_login(manager)
    data = xlsx([["code", "name"], ["C0301", "甲"], ["C0302", "乙"], ["c0301", "甲重复"]])
    response = upload(client, "customer", data, language="en")
    (row,) = response.context["result"].invalid_rows
    assert row.number == 4
    assert row.error_dict["code"] == [
        "The same Customer code already appears in row 2 of this file."]


def test_a_file_without_the_key_column_names_it(client, manager):
    client.force_login(manager)
    response = upload(client, "customer", xlsx([["名称"], ["甲公司"]]))
    page = response.content.decode()
    assert "data-nothing-imported" in page and "“客户编号” (code)" in page
    assert not Customer.objects.exists()


# -- the import template -----------------------------------------------------------------
def template(client, model, language=ZH, app="backoffice"):
    return in_language(language, client.get, reverse(f"admin:{app}_{model}_import_template"))


def test_every_import_page_links_its_template(client, manager):
    client.force_login(manager)
    page = in_language(ZH, client.get, reverse("admin:backoffice_ticket_import"))
    assert reverse("admin:backoffice_ticket_import_template") in page.content.decode()
    assert "data-import-templates" in page.content.decode()
    job_page = client.get(reverse("admin:backoffice_ticket_background_import"))
    assert reverse("admin:backoffice_ticket_import_template") in job_page.content.decode()


def test_the_template_follows_the_import_permission(client, finance):
    client.force_login(finance)  # views customers, may not import them
    assert template(client, "customer").status_code == 403


def test_the_ticket_template_has_headers_an_example_and_the_allowed_values(
        client, manager, calendar):
    CustomerFactory(code="C0101")
    ProductFactory(code="ERP")
    client.force_login(manager)
    response = template(client, "ticket")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    data, allowed = sheet_rows(response.content), sheet_rows(response.content, sheet=1)
    assert data[0] == ["编号", "受理时间", "渠道", "问题分类", "优先级", "客户", "产品", "主题",
                       "描述"]
    example = dict(zip(data[0], data[1], strict=True))
    assert example["编号"] is None  # a new ticket: its number is given when it is saved
    assert example["渠道"] == "热线电话" and example["客户"] == "C0101"
    assert example["主题"]
    # every value of every choice column: both languages' labels and the code
    assert ["渠道", "热线电话", "Phone hotline", "phone"] in allowed
    assert ["优先级", zh("Critical (emergency)"), "Critical (emergency)", "critical"] in allowed
    assert {r[0] for r in allowed[1:]} == {"渠道", "问题分类", "优先级"}

    # the example row as it is imports cleanly
    response = upload(client, "ticket", response.content, now=True)
    assert response.status_code == 302, response.context["result"].invalid_rows
    ticket = Ticket.objects.get()
    assert ticket.channel == wf.Channel.PHONE and ticket.customer.code == "C0101"


def test_an_english_template_is_headed_in_english(client, manager):
    client.force_login(manager)
    data = sheet_rows(template(client, "customer", language="en").content)
    assert data[0][:2] == ["Customer code", "Name"]
    assert data[1][data[0].index("Service consultant")] == "manager"  # the user, by name


@pytest.mark.parametrize("label", sorted(BASELINES))
def test_every_template_filled_in_imports_cleanly(client, superuser, make_user, calendar,
                                                  label):
    """Each import page's template, in Chinese, filled in with the walker's two valid rows
    (tests/platform/test_hostile_imports.py; the cells it leaves out stay empty), imports
    and writes them ("Import now")."""
    import types

    client.force_login(superuser)
    model, _admin, resource_class = PAGES[label]
    ctx = types.SimpleNamespace(root=superuser, make_user=make_user)
    headers, rows, _text = BASELINES[label](ctx)
    app, name = model._meta.app_label, model._meta.model_name
    response = template(client, name, app=app)
    assert response.status_code == 200, label
    data = sheet_rows(response.content)
    with translation.override(ZH):
        resource = resource_class()
        code_of = {resource.column_label(f): f.column_name for f in resource.fields.values()}
    columns = [code_of[h] for h in data[0]]
    assert set(headers) <= set(columns), (label, set(headers) - set(columns))
    filled = [[row[headers.index(c)] if c in headers else None for c in columns]
              for row in rows]
    response = upload(client, name, xlsx([data[0], *filled]), app=app, now=True)
    if response.status_code != 302:
        result = response.context["result"]
        pytest.fail(f"{label}: {[str(e.error) for e in result.base_errors]} "
                    f"{ {r.number: r.error_dict for r in result.invalid_rows} }")


def test_every_column_has_a_label_of_its_own():
    """Every column of every page is headed by a label (not its code), no two columns of
    one spreadsheet share one, in either language: an import could not tell them apart."""
    from django.contrib import admin

    seen = set()
    for model_admin in admin.site._registry.values():
        if not hasattr(model_admin, "get_export_resource_classes"):
            continue
        for resource_class in (*model_admin.get_export_resource_classes(None),
                               *model_admin.get_import_resource_classes(None)):
            if resource_class in seen:
                continue
            seen.add(resource_class)
            resource = resource_class()
            for language in ("en", ZH):
                with translation.override(language):
                    labels = {f.column_name: resource.column_label(f)
                              for f in resource.fields.values()}
                assert len(set(labels.values())) == len(labels), (resource_class, labels)
                if language == "en":
                    unlabelled = [c for c, text in labels.items() if text == c]
                    assert not unlabelled, (resource_class, unlabelled)
