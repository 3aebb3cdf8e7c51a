"""Blind stocktakes (盲盘): counters never see book quantities or variances; the approver
does once the count is submitted, and may send the lines over the tolerance back."""

import csv
import io

import openpyxl
import pytest
import tablib
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backoffice.platform.models import Notification
from backoffice.platform.workflow import apply_transition
from inventory.models import Part, StockEntry, Stocktake, StocktakeLine
from inventory.resources import CountSheetResource
from inventory.workflows import EntryKind, StocktakeStatus
from tests.inventory.factories import PartFactory, balance, stock

pytestmark = pytest.mark.django_db

#: a book quantity that appears nowhere else on a page or in a file
BOOK = 48613
COUNTED = 40000  # variance -8613


def url(name, *args):
    return reverse(f"admin:inventory_{name}", args=args)


def run(doc, name, actor, **kw):
    apply_transition(doc, name, actor=actor, **kw)
    doc.refresh_from_db()
    return doc


def count(take, **counted):
    for line in take.lines.select_related("part"):
        if line.part.code in counted:
            line.counted_quantity = counted[line.part.code]
            line.save()


@pytest.fixture
def counting(main, warehouse):
    """A blind stocktake being counted: SRV-1 book 48613 (counted 40000: over), FAN-1 book 100
    (counted 103: within 5 %), PSU-1 book 10 (counted 12: over)."""
    for code, quantity in [("SRV-1", BOOK), ("FAN-1", 100), ("PSU-1", 10)]:
        stock(PartFactory(code=code), main, quantity, warehouse)
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    assert take.blind  # the default
    count(take, **{"SRV-1": COUNTED, "FAN-1": 103, "PSU-1": 12})
    return take


def sheet_url(take):
    return url("stocktakeline_changelist") + f"?stocktake__id__exact={take.pk}"


def export_csv(client, take):
    response = client.post(url("stocktakeline_export") + f"?stocktake__id__exact={take.pk}",
                           {"format": "0", "resource": "0"})
    assert response["Content-Type"].startswith("text/csv")
    return response.content


def export_xlsx_rows(client, take):
    response = client.post(url("stocktakeline_export") + f"?stocktake__id__exact={take.pk}",
                           {"format": "1", "resource": "0"})
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def assert_blind(content: bytes | str):
    text = content.decode() if isinstance(content, bytes) else content
    assert str(BOOK) not in text
    assert "8613" not in text
    for marker in ("field-book_quantity", "column-book_quantity", "field-display_variance",
                   "column-display_variance", "Review the variances"):
        assert marker not in text, marker


# -- what the counters see ---------------------------------------------------------------
def test_counters_see_no_book_quantity_anywhere(client, warehouse, counting):
    client.force_login(warehouse)
    page = client.get(url("stocktake_change", counting.pk))
    assert page.status_code == 200
    assert "SRV-1" in page.content.decode() and str(COUNTED) in page.content.decode()
    assert_blind(page.content)

    listing = client.get(sheet_url(counting))
    assert listing.status_code == 200 and "SRV-1" in listing.content.decode()
    assert_blind(listing.content)
    # the variance filter is not offered, and asking for it by hand is refused
    assert "variance=yes" not in listing.content.decode()
    refused = client.get(sheet_url(counting) + "&variance=yes")
    assert refused.status_code == 302 and "e=1" in refused["Location"]
    # ordering by the columns (book, variance) is not possible: they are not there
    assert "SRV-1" in client.get(sheet_url(counting) + "&o=3").content.decode()
    assert_blind(client.get(url("stocktakeline_changelist")).content)  # all the lines

    stocktakes = client.get(url("stocktake_changelist")).content.decode()
    assert f'data-blind="{counting.pk}"' in stocktakes

    line = counting.lines.get(part__code="SRV-1")
    history = client.get(url("stocktakeline_history", line.pk))
    assert history.status_code == 200
    assert_blind(history.content)
    for record in line.history.all():
        old = client.get(url("stocktakeline_simple_history", line.pk, record.pk))
        assert old.status_code == 200
        assert_blind(old.content)
    assert_blind(client.get(url("stocktakeline_change", line.pk)).content)


def test_the_exported_count_sheet_has_no_book_column(client, warehouse, counting):
    client.force_login(warehouse)
    content = export_csv(client, counting)
    header, *rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 3 and "SRV-1" in content.decode("utf-8-sig")
    assert not {h.casefold() for h in header} & {"book", "book quantity", "variance"}
    assert str(BOOK).encode() not in content and b"8613" not in content

    header, *rows = export_xlsx_rows(client, counting)
    assert len(rows) == 3
    assert not {str(h).casefold() for h in header} & {"book", "book quantity", "variance"}
    assert BOOK not in [cell for row in rows for cell in row]


def test_the_import_preview_of_a_blind_count_shows_no_book(client, warehouse, counting):
    client.force_login(warehouse)
    data = (f"stocktake,part,counted,reason,note\n{counting.number},SRV-1,40001,,\n"
            f"{counting.number},FAN-1,zwei,,\n")
    preview = client.post(url("stocktakeline_import"), {
        "format": "0", "resource": "0",
        "import_file": SimpleUploadedFile("count.csv", data.encode(), content_type="text/csv")})
    assert preview.status_code == 200
    [bad] = preview.context["result"].invalid_rows
    assert bad.number == 3
    assert_blind(preview.content)
    assert StocktakeLine.objects.get(stocktake=counting, part__code="SRV-1").counted_quantity \
        == COUNTED


# -- what the approver sees ---------------------------------------------------------------
def test_the_approver_sees_the_variances_only_after_submit(client, manager, warehouse,
                                                          counting):
    client.force_login(manager)
    assert_blind(client.get(url("stocktake_change", counting.pk)).content)  # still counting

    run(counting, "submit", warehouse)
    page = client.get(url("stocktake_change", counting.pk)).content.decode()
    assert "field-book_quantity" in page and str(BOOK) in page and "-8613" in page
    assert "Review the variances" in page
    listing = client.get(sheet_url(counting) + "&variance=yes").content.decode()
    assert "column-book_quantity" in listing and str(BOOK) in listing
    assert "SRV-1" in listing and "PSU-1" in listing
    header, *rows = list(csv.reader(io.StringIO(
        export_csv(client, counting).decode("utf-8-sig"))))
    assert "Book quantity" in header or "book" in header
    assert str(BOOK) in {cell for row in rows for cell in row}

    # the keeper who counted still sees nothing
    client.force_login(warehouse)
    assert_blind(client.get(url("stocktake_change", counting.pk)).content)
    assert_blind(client.get(sheet_url(counting)).content)


def test_an_open_stocktake_shows_book_quantities_while_counting(client, warehouse, main):
    stock(PartFactory(code="SRV-1"), main, BOOK, warehouse)
    take = run(Stocktake.objects.create(warehouse=main, blind=False), "start", warehouse)
    count(take, **{"SRV-1": COUNTED})
    client.force_login(warehouse)
    page = client.get(url("stocktake_change", take.pk)).content.decode()
    assert "field-book_quantity" in page and str(BOOK) in page and "-8613" in page
    assert str(BOOK) in client.get(sheet_url(take) + "&variance=yes").content.decode()
    assert str(BOOK).encode() in export_csv(client, take)


def test_blind_is_frozen_once_counting_starts(client, warehouse, counting):
    client.force_login(warehouse)
    page = client.get(url("stocktake_change", counting.pk)).content.decode()
    assert 'name="blind"' not in page and 'name="recount_tolerance_percent"' not in page
    draft = Stocktake.objects.create(warehouse=counting.warehouse)
    assert 'name="blind"' in client.get(url("stocktake_change", draft.pk)).content.decode()


def test_the_stocktake_page_runs_a_bounded_number_of_queries(
        client, warehouse, manager, main, django_assert_max_num_queries):
    for i in range(5):
        stock(PartFactory(code=f"P-{i:03d}"), main, 3, warehouse)
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    client.force_login(warehouse)
    with django_assert_max_num_queries(40) as few:
        assert client.get(url("stocktake_change", take.pk)).status_code == 200
    with django_assert_max_num_queries(25) as few_lines:
        assert client.get(sheet_url(take)).status_code == 200
    for i in range(5, 80):
        stock(PartFactory(code=f"P-{i:03d}"), main, 3, warehouse)
    StocktakeLine.objects.bulk_create([
        StocktakeLine(stocktake=take, part=p, book_quantity=3)
        for p in Part.objects.filter(code__gte="P-005")])
    assert take.lines.count() == 80
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("stocktake_change", take.pk)).status_code == 200
    with django_assert_max_num_queries(len(few_lines.captured_queries)):
        assert client.get(sheet_url(take)).status_code == 200


# -- recount of the lines over the tolerance -----------------------------------------------
def test_recount_sends_back_only_the_lines_over_the_tolerance(client, warehouse, manager,
                                                             main, counting):
    run(counting, "submit", warehouse)
    Notification.objects.all().delete()
    run(counting, "recount", manager, note="请复盘")
    assert counting.state == StocktakeStatus.COUNTING
    lines = {line.part.code: line for line in counting.lines.select_related("part")}
    assert {c for c, line in lines.items() if line.recount_requested} == {"SRV-1", "PSU-1"}
    assert (lines["SRV-1"].previous_count, lines["SRV-1"].counted_quantity) == (COUNTED, None)
    assert (lines["FAN-1"].previous_count, lines["FAN-1"].counted_quantity) == (None, 103)
    assert lines["SRV-1"].history.filter(counted_quantity=COUNTED).exists()  # kept

    [note] = Notification.objects.filter(recipient=warehouse)
    assert "2 lines to recount" in note.title and str(BOOK) not in note.title

    client.force_login(warehouse)  # the counters see which lines, still blind
    page = client.get(url("stocktake_change", counting.pk)).content.decode()
    assert page.count("data-recount=") == 2
    assert_blind(page)
    assert str(COUNTED) not in page  # nor their earlier count
    header, *rows = list(csv.reader(io.StringIO(
        export_csv(client, counting).decode("utf-8-sig"))))
    recount = {row[1]: row[header.index("Recount requested")] for row in rows}
    assert recount == {"SRV-1": "Yes", "FAN-1": "No", "PSU-1": "Yes"}

    with pytest.raises(ValidationError, match="not every line"):
        apply_transition(counting, "submit", actor=warehouse)
    count(counting, **{"SRV-1": BOOK - 1, "PSU-1": 10})
    run(counting, "submit", warehouse)

    client.force_login(manager)  # before and after, next to the book
    page = client.get(url("stocktake_change", counting.pk)).content.decode()
    assert "field-previous_count" in page and str(COUNTED) in page and str(BOOK - 1) in page

    run(counting, "approve", manager)
    moves = dict(StockEntry.objects.filter(stocktake=counting, kind=EntryKind.ADJUSTMENT)
                 .values_list("part__code", "quantity"))
    assert moves == {"SRV-1": -1, "FAN-1": 3}
    assert balance(lines["SRV-1"].part, main) == BOOK - 1


def test_no_recount_when_every_line_is_within_the_tolerance(warehouse, manager, main):
    stock(PartFactory(code="FAN-1"), main, 100, warehouse)
    take = run(Stocktake.objects.create(warehouse=main, recount_tolerance_units=3),
               "start", warehouse)
    count(take, **{"FAN-1": 96})  # 4 off: over 3 units but within 5 % of 100
    run(take, "submit", warehouse)
    with pytest.raises(ValidationError, match="recount tolerance"):
        apply_transition(take, "recount", actor=manager)


# -- the count import reports every bad row at once ----------------------------------------
def test_count_import_reports_every_bad_row_and_writes_nothing(warehouse, main):
    for i in range(40):
        stock(PartFactory(code=f"P-{i:03d}"), main, 5, warehouse)
    take = run(Stocktake.objects.create(warehouse=main), "start", warehouse)
    rows = [[take.number, f"P-{i:03d}", 5, "", ""] for i in range(40)]
    rows[4][2] = "twelve"          # sheet row 6
    rows[17][1] = "NO-SUCH-PART"   # sheet row 19
    rows[33][3] = "lost"           # sheet row 35
    dataset = tablib.Dataset(*rows, headers=["stocktake", "part", "counted", "reason", "note"])
    result = CountSheetResource().import_data(dataset, dry_run=False, user=warehouse)
    errors = {row.number: dict(row.labelled_errors) for row in result.invalid_rows}
    assert set(errors) == {6, 19, 35}
    assert "not a number" in " ".join(errors[6]["Counted quantity"])
    assert "does not exist" in " ".join(errors[19]["Part"])
    assert "is not one of" in " ".join(errors[35]["Variance reason"])
    assert not take.lines.filter(counted_quantity__isnull=False).exists()
