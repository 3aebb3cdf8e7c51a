"""A manager imports a customer spreadsheet through the real import page, in Chinese."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from backoffice.desk.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "samples"


def test_import_now_refuses_a_bad_file_then_imports_a_good_one(page, login, live_server,
                                                                manager):
    login("manager")
    url = f"{live_server.url}/admin/backoffice/customer/import/"

    # one row without a name: nothing is written, the row and the reason are shown
    page.goto(url)
    page.select_option("select[name=format]", label="csv")
    page.set_input_files("input[name=import_file]", str(SAMPLES / "customers_import_bad_row.csv"))
    page.get_by_role("button", name="直接导入").click()
    page.wait_for_load_state()
    body = page.locator("body").inner_text()
    assert "此字段不能为空" in body or "不能为空" in body
    assert not Customer.objects.exists()

    # the good file goes straight in and lands on the customer list
    page.goto(url)
    page.select_option("select[name=format]", label="csv")
    page.set_input_files("input[name=import_file]", str(SAMPLES / "customers_import.csv"))
    page.get_by_role("button", name="直接导入").click()
    page.wait_for_url(re.compile(r".*/admin/backoffice/customer/$"))
    assert Customer.objects.filter(code="C0102").exists()
    assert page.locator("text=C0102").count() >= 1


def test_a_bad_row_is_shown_with_its_spreadsheet_row_and_nothing_was_imported(
        page, login, live_server, manager, tmp_path):
    """In Chinese: the import page offers the template; a workbook whose row 5 (the header
    is row 1, row 4 is blank) has no name is refused with that row number, the column's
    label and the banner, and nothing is written."""
    import openpyxl
    from django.utils import translation
    from django.utils.translation import gettext

    book = openpyxl.Workbook()
    for row in (["客户编号", "名称", "VIP", "地区"], ["C0901", "宁波港城电子有限公司", "否", "浙江"],
                ["C0902", "大连海韵软件有限公司", "是", "辽宁"], [None, None, None, None],
                ["C0903", None, "否", "福建"]):
        book.active.append(row)
    path = tmp_path / "客户.xlsx"
    book.save(path)
    with translation.override("zh-hans"):
        banner = gettext("Nothing was imported")

    login("manager")
    page.goto(f"{live_server.url}/admin/backoffice/customer/import/")
    template = page.locator("[data-import-templates] a")
    assert template.get_attribute("href").endswith("/admin/backoffice/customer/import-template/")
    with page.expect_download() as download:
        template.click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.select_option("select[name=format]", label="xlsx")
    page.set_input_files("input[name=import_file]", str(path))
    with page.expect_response(lambda r: r.request.method == "POST" and "/import/" in r.url):
        page.get_by_role("button", name="直接导入").click()
    alert = page.locator("[data-nothing-imported]")
    alert.wait_for()
    assert banner in alert.inner_text()
    row = page.locator('[data-sheet-row="5"]')
    assert "行 5, 名称" in row.inner_text() and "C0903" in row.inner_text()
    assert page.locator("[data-sheet-row]").count() == 1
    assert not Customer.objects.exists()
