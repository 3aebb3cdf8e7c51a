"""Import throughput: every import path against a read-and-bulk-insert baseline.

    .venv/bin/python benchmarks/imports.py [--rows 20000 100000] [--formats csv xlsx]

For each size and format it generates a customer file, then times, on a scratch
database (``var/bench-imports.sqlite3`` unless ``DATABASE_URL`` is set):

- baseline: read the file and ``bulk_create_with_history`` (one history row per record);
- resource: ``CustomerResource().import_data`` (validation + bulk writes + history);
- admin flow: the real admin pages, upload + preview, then confirm;
- admin-now: the admin's "Import now" button (validate and write in one request);
  above ``background_import_rows`` (5,000) both admin buttons hand the file to a background
  job; it is run here right after the request, so the figure is time to data written;
- background job: the worker's task for the same file;

each in a child process (so peak memory is per path), deleting what it wrote after.
It prints seconds, rows/s, the ratio to the baseline and peak memory (RSS).
"""

import argparse
import csv
import json
import os
import resource as rlimit
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PATHS = ["baseline", "resource", "admin", "admin-now", "job"]


def make_file(rows, fmt, path):
    header = ["code", "name", "is_vip", "industry", "region", "address", "phone"]
    data = [[f"B{i:07d}", f"基准测试客户{i}有限公司", i % 10 == 0, "制造", "华东",
             f"上海市浦东新区世纪大道{i}号", f"021-{50000000 + i}"] for i in range(rows)]
    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(data)
    else:
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(header)
        for row in data:
            sheet.append(row)
        book.save(path)


def child(path_name, file_path, fmt):
    """Runs one path in this (child) process and prints a JSON result line."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings")
    if path_name.startswith("admin"):
        # as served: the request queues big files for a worker; the worker's run is timed
        # after the request (in this process, so the peak is the larger of the two)
        os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from backoffice.desk.models import Customer

    user, _ = get_user_model().objects.get_or_create(
        username="bench_admin", defaults={"is_staff": True, "is_superuser": True})
    data = Path(file_path).read_bytes()
    start = time.perf_counter()
    if path_name == "baseline":
        from simple_history.utils import bulk_create_with_history

        from backoffice.platform.formats import CSV, XLSX

        dataset = (CSV() if fmt == "csv" else XLSX()).create_dataset(data)
        objs = [Customer(code=r["code"], name=r["name"], is_vip=str(r["is_vip"]) in {"1", "True", "TRUE"},
                         industry=r["industry"], region=r["region"], address=r["address"],
                         phone=str(r["phone"])) for r in dataset.dict]
        with transaction.atomic():
            bulk_create_with_history(objs, Customer, batch_size=1000, default_user=user)
    elif path_name == "resource":
        from backoffice.desk.resources import CustomerResource
        from backoffice.platform.formats import CSV, XLSX

        dataset = (CSV() if fmt == "csv" else XLSX()).create_dataset(data)
        result = CustomerResource().import_data(dataset, dry_run=False, user=user)
        assert not result.has_errors() and not result.has_validation_errors()
    elif path_name in ("admin", "admin-now"):
        import re

        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get("/admin/backoffice/customer/import/")  # a running server is warm
        start = time.perf_counter()
        form = {"format": "0" if fmt == "csv" else "1", "resource": "0",
                "import_file": SimpleUploadedFile(f"bench.{fmt}", data)}
        if path_name == "admin-now":
            form["_import_now"] = "1"
        response = client.post("/admin/backoffice/customer/import/", form)
        if path_name == "admin":  # the preview, then its confirm form
            fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|'
                                     r'resource)"[^>]*value="([^"]*)"', response.content.decode()))
            assert "import_file_name" in fields, "preview refused the file"
            response = client.post("/admin/backoffice/customer/process_import/", fields)
        assert response.status_code == 302, "the import was refused"
    elif path_name == "job":
        from django.core.files.uploadedfile import SimpleUploadedFile

        from backoffice.platform import jobs

        job = jobs.start_import(user=user, model_label="backoffice.Customer",
                                upload=SimpleUploadedFile(f"bench.{fmt}", data),
                                file_format=fmt, language="en")
        assert job.status == "done", job.message
    if path_name.startswith("admin"):
        from django_tasks_db.models import DBTaskResult

        from backoffice.platform import jobs
        from backoffice.platform.models import DataJob

        for job in DataJob.objects.filter(status="queued"):
            jobs.run_import.call(job.pk, "en")
        DBTaskResult.objects.all().delete()  # the queue entries no worker will take
    elapsed = time.perf_counter() - start
    # the import's own peak: read before the clean-up below (a queryset delete() of 100k
    # rows with history loads them all and would be counted against the import)
    peak_mb = rlimit.getrusage(rlimit.RUSAGE_SELF).ru_maxrss / 1024
    created = Customer.objects.filter(code__startswith="B").count()
    history = Customer.history.filter(code__startswith="B").count()
    Customer.objects.filter(code__startswith="B").delete()
    Customer.history.filter(code__startswith="B").delete()  # incl. the deletion rows
    print(json.dumps({"seconds": elapsed, "created": created, "history": history,
                      "peak_mb": peak_mb}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"])
    parser.add_argument("--paths", nargs="+", default=PATHS)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench-imports.sqlite3'}")
    env["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    env["IMPORT_MAX_UPLOAD_BYTES"] = str(500 * 1024 * 1024)
    env["LANGUAGE_CODE"] = "en"
    # measured as served: DEBUG off (no SQL logging)
    env.setdefault("DEBUG", "false")
    env.setdefault("SECRET_KEY", "benchmark-only")
    env.setdefault("ALLOWED_HOSTS", "*")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True)
    print(f"database: {env['DATABASE_URL'].split(':')[0]}")
    print(f"{'rows':>7} {'fmt':<4} {'path':<9} {'seconds':>8} {'rows/s':>8} {'x baseline':>10} "
          f"{'history':>8} {'peak MB':>8}")
    tmp = ROOT / "var" / "bench-files"
    tmp.mkdir(parents=True, exist_ok=True)
    for rows in args.rows:
        for fmt in args.formats:
            file_path = tmp / f"customers-{rows}.{fmt}"
            if not file_path.exists():
                make_file(rows, fmt, file_path)
            base = None
            for path_name in args.paths:
                out = subprocess.run([sys.executable, __file__, "--child", path_name,
                                      str(file_path), fmt], cwd=ROOT, env=env,
                                     capture_output=True, text=True)
                if out.returncode:
                    print(f"{rows:>7} {fmt:<4} {path_name:<9} FAILED\n{out.stderr[-2000:]}")
                    continue
                res = json.loads(out.stdout.strip().splitlines()[-1])
                if path_name == "baseline":
                    base = res["seconds"]
                ratio = f"{res['seconds'] / base:10.2f}" if base else f"{'-':>10}"
                print(f"{rows:>7} {fmt:<4} {path_name:<9} {res['seconds']:8.2f} "
                      f"{rows / res['seconds']:8.0f} {ratio} {res['history']:>8} "
                      f"{res['peak_mb']:8.0f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
    else:
        main()
