"""Hostile and broken spreadsheets: a clear error, nothing written, the server stays up."""

import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
    assert "received_at" in page and "下周二上午" in page or "Enter a valid date" in page
    assert Ticket.objects.count() == 0


def test_missing_customer_is_a_row_error(staff):
    data = "number,customer,category,subject\n,C404,bug,客户不存在\n".encode()
    response = post(staff, data, model="ticket")
    assert not can_confirm(response)
    assert "No customer with code “C404”" in text(response)


def test_duplicate_keys_within_a_file(staff):
    data = (HEADER + "C7001,甲公司,0,,\nC7002,乙公司,0,,\nc7001,甲公司重复,0,,\n").encode()
    response = post(staff, data)
    assert not can_confirm(response)
    assert "already appears in row 1" in text(response)
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
