"""Benchmark: import 20,000 parts from an xlsx file through ``PartResource``.

Prints rows per second for, in one run and on the same generated file:

1. reading the file only (openpyxl, read-only mode) — the floor of any xlsx import;
2. the baseline: read + build ``Part`` objects + ``bulk_create_with_history``;
3. the Resource: import-export parses the file and ``PartResource.import_data`` validates
   every row (model validation, foreign keys by code) and writes in bulk with history;
4. the admin flow: the same Resource run twice, preview (dry run) then confirm;
5. re-importing the unchanged file (every row found and skipped).

With ``--count-lines N`` (default 10,000) it then times a stocktake's count sheet of N
lines through ``CountSheetResource`` against the same kind of floor (read the xlsx, then
read + ``bulk_update_with_history`` of the counts): the file with ``--bad-rows`` wrong
rows (every one reported at once, nothing written), then the corrected file.

Usage (from the repository root)::

    .venv/bin/python benchmarks/inventory_import.py [--rows 20000] [--keep-file PATH]
    .venv/bin/python benchmarks/inventory_import.py --rows 0 --count-lines 10000 --bad-rows 50

It runs against a fresh SQLite file in a temporary directory; set ``BENCH_DATABASE_URL``
to a disposable PostgreSQL database instead (it is migrated and its parts are deleted).
"""

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(tmp: Path):
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
    os.environ["VAR_DIR"] = str(tmp)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


HEADERS = ["code", "name", "specification", "model", "unit", "category", "unit_cost",
           "safety_stock", "reorder_point", "reorder_quantity", "preferred_supplier",
           "is_active"]
CATEGORIES = ["SERVER", "NETWORK", "TERMINAL", "POWER", "DONGLE", "CABLE"]
SUPPLIERS = ["S001", "S002", "S003", "S004"]


def write_xlsx(path: Path, rows: int):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("parts")
    sheet.append(HEADERS)
    for i in range(rows):
        sheet.append([f"BP-{i:06d}", f"配件{i}", f"规格 {i % 97} 型", f"M-{i % 1000:04d}", "个",
                      CATEGORIES[i % len(CATEGORIES)], float(Decimal(10 + i % 500) + Decimal("0.50")),
                      i % 5, 5 + i % 10, 10 + i % 20, SUPPLIERS[i % len(SUPPLIERS)], 1])
    book.save(path)


def read_rows(path: Path):
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    rows = book.active.iter_rows(values_only=True)
    headers = next(rows)
    out = [dict(zip(headers, row, strict=False)) for row in rows]
    book.close()
    return out


def reset():
    from inventory.models import Part

    Part.objects.all().delete()
    Part.history.all().delete()  # after: deleting parts writes history rows too


def run(rows: int, keep_file: str | None):
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from import_export.formats.base_formats import XLSX
    from simple_history.utils import bulk_create_with_history

    from inventory.models import Part, PartCategory, Supplier
    from inventory.resources import PartResource

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    categories = {c: PartCategory.objects.get_or_create(code=c, defaults={"name": c})[0]
                  for c in CATEGORIES}
    suppliers = {s: Supplier.objects.get_or_create(code=s, defaults={"name": s})[0]
                 for s in SUPPLIERS}
    reset()

    path = Path(keep_file) if keep_file else Path(tempfile.mkdtemp()) / "parts.xlsx"
    started = time.perf_counter()
    write_xlsx(path, rows)
    print(f"Generated {path} ({rows:,} rows, {path.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - started:.1f} s; database: {connection.vendor}")

    results = []

    def measure(label, func):
        started = time.perf_counter()
        func()
        seconds = time.perf_counter() - started
        results.append((label, seconds))
        print(f"  {label:<58} {seconds:7.2f} s {rows / seconds:9,.0f} rows/s", flush=True)

    def read_only():
        assert len(read_rows(path)) == rows

    def baseline():
        parts = [Part(code=r["code"], name=r["name"], specification=r["specification"],
                      model_number=r["model"], unit=r["unit"],
                      category=categories[r["category"]],
                      unit_cost=Decimal(str(r["unit_cost"])), safety_stock=r["safety_stock"],
                      reorder_point=r["reorder_point"], reorder_quantity=r["reorder_quantity"],
                      preferred_supplier=suppliers[r["preferred_supplier"]],
                      is_active=bool(r["is_active"]))
                 for r in read_rows(path)]
        with transaction.atomic():
            bulk_create_with_history(parts, Part, batch_size=1000, default_user=user)

    def dataset():
        return XLSX().create_dataset(path.read_bytes())

    def resource(dry_run=False):
        result = PartResource().import_data(dataset(), dry_run=dry_run, user=user)
        assert not result.has_errors() and not result.has_validation_errors(), \
            result.invalid_rows[:3] or result.base_errors[:3]

    def admin_flow():
        resource(dry_run=True)   # the preview
        resource(dry_run=False)  # the confirm step

    print(f"Importing {rows:,} parts:")
    measure("read the xlsx only (openpyxl)", read_only)
    measure("baseline: read + bulk_create_with_history", baseline)
    assert Part.objects.count() == rows and Part.history.count() == rows
    reset()
    measure("PartResource.import_data (validated, bulk + history)", resource)
    assert Part.objects.count() == rows and Part.history.count() == rows, (
        Part.objects.count(), Part.history.count())
    reset()
    measure("admin flow: preview (dry run) + confirm", admin_flow)
    assert Part.objects.count() == rows
    measure("re-import of the unchanged file (all rows skipped)", resource)
    assert Part.history.count() == rows
    base = dict(results)["baseline: read + bulk_create_with_history"]
    res = dict(results)["PartResource.import_data (validated, bulk + history)"]
    print(f"Resource / baseline: {res / base:.2f}× the time of the baseline")
    reset()


# -- a stocktake's count sheet ----------------------------------------------------------
COUNT_HEADERS = ["stocktake", "part", "counted", "reason", "note"]


def bad_cell(i, row):
    """Wrong in one of five ways, each reported on its own row and column."""
    kind = i % 5
    if kind == 0:
        row[2] = "twelve"          # not a number
    elif kind == 1:
        row[2] = -1                # below zero
    elif kind == 2:
        row[1] = f"NOPE-{i}"       # no such part
    elif kind == 3:
        row[3] = "lost in transit"  # not a variance reason
    else:
        row[2] = 2.5               # not a whole number
    return row


def write_count_sheet(path: Path, number: str, codes: list[str], bad: set[int]):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("count")
    sheet.append(COUNT_HEADERS)
    for i, code in enumerate(codes):
        row = [number, code, i % 7, "", ""]
        sheet.append(bad_cell(i, row) if i in bad else row)
    book.save(path)


def run_counts(lines: int, bad_rows: int):
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from import_export.formats.base_formats import XLSX
    from simple_history.utils import bulk_update_with_history

    from backoffice.platform.workflow import apply_transition
    from inventory.models import Part, StockBalance, Stocktake, StocktakeLine, Warehouse
    from inventory.resources import CountSheetResource

    user, _ = get_user_model().objects.get_or_create(
        username="bench_keeper", defaults={"is_staff": True, "is_superuser": True})
    warehouse, _ = Warehouse.objects.get_or_create(code="BENCH", defaults={"name": "bench"})
    parts = Part.objects.bulk_create([Part(code=f"CP-{i:06d}", name=f"配件{i}", unit="个")
                                      for i in range(lines)], batch_size=1000)
    StockBalance.objects.bulk_create([StockBalance(part=p, warehouse=warehouse, quantity=i % 9)
                                      for i, p in enumerate(parts)], batch_size=1000)
    take = Stocktake.objects.create(warehouse=warehouse)
    apply_transition(take, "start", actor=user)
    assert take.lines.count() == lines and take.blind

    tmp = Path(tempfile.mkdtemp())
    codes = [p.code for p in parts]
    step = max(lines // max(bad_rows, 1), 1)
    bad = set(range(3, lines, step)[:bad_rows])
    bad_path, good_path = tmp / "count-bad.xlsx", tmp / "count-good.xlsx"
    write_count_sheet(bad_path, take.number, codes, bad)
    write_count_sheet(good_path, take.number, codes, set())
    print(f"Counting {lines:,} lines of {take.number} (blind), {len(bad)} bad rows:")

    results = {}

    def measure(label, func):
        started = time.perf_counter()
        func()
        seconds = time.perf_counter() - started
        results[label] = seconds
        print(f"  {label:<58} {seconds:7.2f} s {lines / seconds:9,.0f} rows/s", flush=True)

    def read_only():
        assert len(read_rows(good_path)) == lines

    def baseline():
        by_code = {line.part.code: line for line in take.lines.select_related("part")}
        changed = []
        for row in read_rows(good_path):
            line = by_code[row["part"]]
            line.counted_quantity = row["counted"]
            changed.append(line)
        with transaction.atomic():
            bulk_update_with_history(changed, StocktakeLine, ["counted_quantity", "reason",
                                                              "note"], batch_size=1000,
                                     default_user=user)

    def clear():
        StocktakeLine.objects.filter(stocktake=take).update(counted_quantity=None)
        StocktakeLine.history.filter(stocktake_id=take.pk).delete()

    def import_bad():
        dataset = XLSX().create_dataset(bad_path.read_bytes())
        result = CountSheetResource().import_data(dataset, dry_run=False, user=user)
        assert len(result.invalid_rows) == len(bad), len(result.invalid_rows)
        assert {row.number for row in result.invalid_rows} == {i + 2 for i in bad}
        assert not take.lines.filter(counted_quantity__isnull=False).exists()

    def import_good():
        dataset = XLSX().create_dataset(good_path.read_bytes())
        result = CountSheetResource().import_data(dataset, dry_run=False, user=user)
        assert not result.has_errors() and not result.has_validation_errors(), \
            result.invalid_rows[:3] or result.base_errors[:3]
        assert not take.lines.filter(counted_quantity__isnull=True).exists()

    measure("read the xlsx only (openpyxl)", read_only)
    measure("floor: read + bulk_update_with_history of the counts", baseline)
    clear()
    measure(f"CountSheetResource, {len(bad)} bad rows (all reported, none written)",
            import_bad)
    measure("CountSheetResource, the corrected file (written)", import_good)
    floor = results["floor: read + bulk_update_with_history of the counts"]
    read = results["read the xlsx only (openpyxl)"]
    for label, seconds in list(results.items())[2:]:
        print(f"  {label}: {seconds / floor:.2f}× the floor, {seconds / read:.2f}× reading")
    Stocktake.objects.filter(pk=take.pk).delete()
    StockBalance.objects.filter(warehouse=warehouse).delete()
    Part.objects.filter(code__startswith="CP-").delete()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--keep-file", help="write the generated xlsx here and keep it")
    parser.add_argument("--count-lines", type=int, default=10_000)
    parser.add_argument("--bad-rows", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="inventory-bench-") as tmp:
        setup_django(Path(tmp))
        if args.rows:
            run(args.rows, args.keep_file)
        if args.count_lines:
            run_counts(args.count_lines, args.bad_rows)


if __name__ == "__main__":
    main()
