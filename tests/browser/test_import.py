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
