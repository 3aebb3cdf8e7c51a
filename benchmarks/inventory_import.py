"""Benchmark: import 20,000 parts from an xlsx file through ``PartResource``.

Prints rows per second for, in one run and on the same generated file:

1. reading the file only (openpyxl, read-only mode) — the floor of any xlsx import;
2. the baseline: read + build ``Part`` objects + ``bulk_create_with_history``;
3. the Resource: import-export parses the file and ``PartResource.import_data`` validates
   every row (model validation, foreign keys by code) and writes in bulk with history;
4. the admin flow: the same Resource run twice, preview (dry run) then confirm;
5. re-importing the unchanged file (every row found and skipped).

Usage (from the repository root)::

    .venv/bin/python benchmarks/inventory_import.py [--rows 20000] [--keep-file PATH]

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--keep-file", help="write the generated xlsx here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="inventory-bench-") as tmp:
        setup_django(Path(tmp))
        run(args.rows, args.keep_file)


if __name__ == "__main__":
    main()
