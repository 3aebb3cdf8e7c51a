"""Import/export: parts, suppliers, opening balances and counts; one bad row writes nothing."""

from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice.platform.workflow import apply_transition
from inventory import workflows as wf
from inventory.models import Part, StockEntry, Stocktake, Supplier
from inventory.resources import (
    OpeningBalanceResource,
    PartResource,
    StockBalanceResource,
    StockEntryResource,
    StocktakeLineResource,
    SupplierResource,
)
from tests.inventory.factories import (
    PartCategoryFactory,
    PartFactory,
    SupplierFactory,
    balance,
    ledger_sum,
    stock,
)

pytestmark = pytest.mark.django_db

PART_HEADERS = ["code", "name", "specification", "model", "unit", "category", "unit_cost",
                "safety_stock", "reorder_point", "reorder_quantity", "preferred_supplier",
                "is_active", "on_hand"]


def parts_dataset(*rows):
    return tablib.Dataset(*rows, headers=PART_HEADERS)


def errors_of(result):
    """[(row number, {column: [messages]})] of the invalid rows."""
    return [(row.number, row.error_dict) for row in result.invalid_rows]


@pytest.fixture
def reference(db):
    PartCategoryFactory(code="DISK", name="硬盘")
    return SupplierFactory(code="S-HW")


def test_parts_import_creates_and_updates_with_history(reference, warehouse):
    PartFactory(code="HDD-1T", name="旧名称")
    data = parts_dataset(
        [" hdd-1t ", "服务器硬盘", "1TB SATA", "ST1000", "块", "DISK", "450.00", 2, 5, 10,
         "S-HW", 1, 999],
        ["SSD-512", "固态硬盘", "512GB", "", "块", "disk", "380.5", 1, 3, 5, "", 1, ""],
    )
    result = PartResource().import_data(data, dry_run=False, user=warehouse)
    assert not result.has_errors() and not result.has_validation_errors()
    hdd = Part.objects.get(code="HDD-1T")
    assert hdd.name == "服务器硬盘" and hdd.category.code == "DISK"
    assert hdd.preferred_supplier == reference and hdd.unit_cost == Decimal("450.00")
    assert Part.objects.get(code="SSD-512").model_number == ""
    assert hdd.history.first().history_user == warehouse
    assert not StockEntry.objects.exists()  # on_hand is never imported


def test_one_bad_row_imports_nothing_and_names_row_and_column(reference, warehouse):
    data = parts_dataset(
        ["OK-1", "好配件", "", "", "个", "DISK", "10", 0, 0, 0, "", 1, ""],
        ["BAD-1", "坏配件", "", "", "个", "NOPE", "-3", 0, 0, 0, "", 1, ""],
        ["OK-2", "好配件2", "", "", "个", "", "10", 0, 0, 0, "", 1, ""],
    )
    result = PartResource().import_data(data, dry_run=False, user=warehouse)
    assert result.has_validation_errors()
    ((number, errors),) = errors_of(result)
    assert number == 3  # the spreadsheet's row: the header is row 1
    assert "NOPE" in errors["category"][0] and "does not exist" in errors["category"][0]
    assert "unit_cost" in errors
    assert not Part.objects.exists()


def test_a_code_twice_in_one_file_is_refused(reference, warehouse):
    data = parts_dataset(["DUP", "一", "", "", "个", "", "1", 0, 0, 0, "", 1, ""],
                         ["dup ", "二", "", "", "个", "", "1", 0, 0, 0, "", 1, ""])
    result = PartResource().import_data(data, dry_run=False, user=warehouse)
    ((number, errors),) = errors_of(result)
    assert number == 3 and "row 2" in errors["code"][0]
    assert not Part.objects.exists()


def test_wrong_headers_are_reported(warehouse):
    data = tablib.Dataset(["X", "y"], headers=["sku", "title"])
    result = PartResource().import_data(data, dry_run=False, user=warehouse)
    assert result.has_errors() and not Part.objects.exists()


def test_suppliers_import_as_pending_whatever_the_file_says(warehouse):
    data = tablib.Dataset(["s-new", "新供应商", "qualified", "2099-12-31", "张三", "010-1", "",
                           "", "", "", 1],
                          headers=["code", "name", "state", "qualified_until", "contact_person",
                                   "phone", "email", "address", "tax_id", "business_scope",
                                   "is_active"])
    result = SupplierResource().import_data(data, dry_run=False, user=warehouse)
    assert not result.has_errors() and not result.has_validation_errors()
    supplier = Supplier.objects.get(code="S-NEW")
    assert supplier.state == wf.SupplierStatus.PENDING and supplier.qualified_until is None


# -- opening balances -----------------------------------------------------------------------
def opening(*rows):
    return tablib.Dataset(*rows, headers=["part", "warehouse", "quantity", "unit_cost", "note"])


def test_opening_balances_post_ledger_lines(part, main, warehouse):
    fan = PartFactory(code="FAN-01", unit_cost=Decimal("30"))
    result = OpeningBalanceResource().import_data(
        opening(["hdd-1t", "main", 12, "400", "期初"], ["FAN-01", "MAIN", "3", "", ""]),
        dry_run=False, user=warehouse)
    assert not result.has_errors() and not result.has_validation_errors()
    assert balance(part, main) == 12 == ledger_sum(part, main)
    fan_line = StockEntry.objects.get(part=fan)
    assert fan_line.kind == wf.EntryKind.OPENING and fan_line.unit_cost == Decimal("30.00")
    assert fan_line.actor == warehouse and balance(fan, main) == 3


def test_opening_balances_preview_writes_nothing(part, main, warehouse):
    result = OpeningBalanceResource().import_data(opening(["HDD-1T", "MAIN", 5, "", ""]),
                                                  dry_run=True, user=warehouse)
    assert not result.has_validation_errors()
    assert not StockEntry.objects.exists() and balance(part, main) == 0


@pytest.mark.parametrize("bad_row, column", [
    (["NOPE", "MAIN", 1, "", ""], "part"),
    (["HDD-1T", "NOWHERE", 1, "", ""], "warehouse"),
    (["HDD-1T", "MAIN", 0, "", ""], "quantity"),
    (["HDD-1T", "MAIN", "两个", "", ""], "quantity"),
    (["HDD-1T", "MAIN", "1.5", "", ""], "quantity"),
    (["FAN-01", "MAIN", 2, "", ""], "part"),  # FAN-01 twice in the file
])
def test_opening_balances_one_bad_row_posts_nothing(part, main, warehouse, bad_row, column):
    PartFactory(code="FAN-01")
    result = OpeningBalanceResource().import_data(
        opening(["FAN-01", "MAIN", 2, "", ""], bad_row), dry_run=False, user=warehouse)
    ((number, errors),) = errors_of(result)
    assert number == 3 and column in errors
    assert not StockEntry.objects.exists() and not balance(part, main)


def test_opening_balance_after_movements_is_refused(stocked, main, warehouse):
    result = OpeningBalanceResource().import_data(opening(["HDD-1T", "MAIN", 5, "", ""]),
                                                  dry_run=False, user=warehouse)
    ((_number, errors),) = errors_of(result)
    assert "already has movements" in errors["part"][0]
    assert balance(stocked, main) == 10


# -- stocktake counts -----------------------------------------------------------------------
def count_sheet(take, *rows):
    return tablib.Dataset(*[[take.number, *r] for r in rows],
                          headers=["stocktake", "part", "counted", "reason", "note"])


def test_counts_are_imported_while_counting(stocked, main, warehouse):
    extra = PartFactory(code="FOUND-1")
    take = Stocktake.objects.create(warehouse=main)
    apply_transition(take, "start", actor=warehouse)
    result = StocktakeLineResource().import_data(
        count_sheet(take, ["HDD-1T", 9, "Shortage (not found)", "少一块"], ["FOUND-1", 2, "surplus", ""]),
        dry_run=False, user=warehouse)
    assert not result.has_errors() and not result.has_validation_errors(), errors_of(result)
    lines = {line.part.code: line for line in take.lines.select_related("part")}
    assert lines["HDD-1T"].counted_quantity == 9
    assert lines["HDD-1T"].reason == wf.VarianceReason.SHORTAGE
    assert lines["FOUND-1"].book_quantity == 0 and lines["FOUND-1"].counted_quantity == 2
    assert extra.pk == lines["FOUND-1"].part_id


def test_counts_for_a_stocktake_not_being_counted_are_refused(stocked, main, warehouse):
    take = Stocktake.objects.create(warehouse=main)  # still a draft
    result = StocktakeLineResource().import_data(count_sheet(take, ["HDD-1T", 9, "", ""]),
                                                 dry_run=False, user=warehouse)
    ((_number, errors),) = errors_of(result)
    assert "not being counted" in errors["stocktake"][0]
    assert not take.lines.exists()


def test_a_bad_count_row_writes_no_count(stocked, main, warehouse):
    take = Stocktake.objects.create(warehouse=main)
    apply_transition(take, "start", actor=warehouse)
    result = StocktakeLineResource().import_data(
        count_sheet(take, ["HDD-1T", 9, "", ""], ["HDD-1T", -1, "", ""]),
        dry_run=False, user=warehouse)
    assert result.has_validation_errors()
    assert take.lines.get().counted_quantity is None


# -- exports ---------------------------------------------------------------------------------
def test_ledger_and_on_hand_exports(stocked, main, warehouse):
    from inventory import services

    services.post_moves([services.Move(stocked, main, -2, wf.EntryKind.ISSUE,
                                       links={"note": "=HYPERLINK(\"x\")"})], actor=warehouse)
    ledger = StockEntryResource().export()
    assert ledger.headers[:4] == ["ID", "Posted at", "Part", "Part name"]  # the labels
    notes = ledger["Note"]
    assert "'=HYPERLINK(\"x\")" in notes  # formulas are defused
    assert sorted(ledger["Quantity"]) == ["-2", "10"]  # negative numbers stay numbers
    on_hand = StockBalanceResource().export()
    assert on_hand.dict[0]["Part"] == "HDD-1T" and str(on_hand.dict[0]["On hand"]) == "8"
    parts = PartResource().export()
    assert str(parts.dict[0]["On hand"]) == "8"


def test_clerk_exports_but_does_not_import(client, clerk, warehouse, stocked):
    client.force_login(clerk)
    assert client.get(reverse("admin:inventory_stockentry_export")).status_code == 200
    assert client.get(reverse("admin:inventory_stockbalance_export")).status_code == 200
    assert client.get(reverse("admin:inventory_part_export")).status_code == 200
    assert client.get(reverse("admin:inventory_stockentry_import")).status_code == 403
    client.force_login(warehouse)
    assert client.get(reverse("admin:inventory_stockentry_import")).status_code == 200


def test_admin_import_preview_then_confirm(client, warehouse, reference):
    client.force_login(warehouse)
    good = ("code,name,unit,unit_cost,category\nNEW-1,新配件,个,12.5,DISK\n").encode()
    response = client.post(reverse("admin:inventory_part_import"), {
        "import_file": SimpleUploadedFile("parts.csv", good), "format": "0", "resource": "0"})
    assert response.status_code == 200 and "confirm_form" in response.context
    assert not Part.objects.exists()  # the preview writes nothing
    confirm = response.context["confirm_form"].initial
    response = client.post(reverse("admin:inventory_part_process_import"), confirm)
    assert response.status_code == 302
    assert Part.objects.get(code="NEW-1").unit_cost == Decimal("12.50")


def test_admin_import_preview_shows_the_bad_row(client, warehouse, reference):
    client.force_login(warehouse)
    bad = ("code,name,unit,unit_cost\nA-1,好,个,1\nB-1,坏,个,abc\n").encode()
    response = client.post(reverse("admin:inventory_part_import"), {
        "import_file": SimpleUploadedFile("parts.csv", bad), "format": "0", "resource": "0"})
    assert response.status_code == 200 and "confirm_form" not in response.context
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [3]
    assert "“abc” is not a number" in result.invalid_rows[0].error_dict["unit_cost"][0]
    assert "“abc” is not a number" in response.content.decode()
    assert not Part.objects.exists()


def test_stock_quantities_cannot_be_imported_on_parts(reference, warehouse, main):
    part = PartFactory(code="Q-1")
    stock(part, main, 4, warehouse)
    data = parts_dataset(["Q-1", "配件", "", "", "个", "", "1", 0, 0, 0, "", 1, 1000])
    PartResource().import_data(data, dry_run=False, user=warehouse)
    assert balance(part, main) == 4


def test_reimporting_unchanged_parts_skips_them(reference, warehouse):
    row = ["SKIP-1", "配件", "", "", "个", "DISK", "10.00", 0, 1, 2, "S-HW", 1, ""]
    PartResource().import_data(parts_dataset(row), dry_run=False, user=warehouse)
    part = Part.objects.get(code="SKIP-1")
    result = PartResource().import_data(parts_dataset(row), dry_run=False, user=warehouse)
    assert result.totals["skip"] == 1 and part.history.count() == 1
    changed = [*row[:6], "11.00", *row[7:]]
    result = PartResource().import_data(parts_dataset(changed), dry_run=False, user=warehouse)
    assert result.totals["update"] == 1 and part.history.count() == 2
    part.refresh_from_db()
    assert part.unit_cost == Decimal("11.00")


def test_admin_imports_opening_balances_after_a_preview(client, warehouse, part, main):
    client.force_login(warehouse)
    data = "part,warehouse,quantity,unit_cost,note\nHDD-1T,MAIN,6,,期初\n".encode()
    response = client.post(reverse("admin:inventory_stockentry_import"), {
        "import_file": SimpleUploadedFile("opening.csv", data), "format": "0", "resource": "0"})
    assert response.status_code == 200 and "confirm_form" in response.context
    assert balance(part, main) == 0  # the preview posted nothing
    response = client.post(reverse("admin:inventory_stockentry_process_import"),
                           response.context["confirm_form"].initial)
    assert response.status_code == 302
    entry = StockEntry.objects.get()
    assert entry.kind == wf.EntryKind.OPENING and entry.actor == warehouse
    assert balance(part, main) == 6 == ledger_sum(part, main)
