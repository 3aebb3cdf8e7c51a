"""Long imports and exports run as background jobs with progress and a result page."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from backoffice.desk.models import Customer
from backoffice.platform.models import DataJob, JobStatus
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def customers_csv(n, bad_row=None):
    lines = ["code,name,is_vip,region"]
    for i in range(1, n + 1):
        name = "" if i == bad_row else f"客户{i}"
        lines.append(f"B{i:06d},{name},0,华东")
    return ("\n".join(lines) + "\n").encode()


def start(client, data, fmt="csv"):
    url = reverse("admin:backoffice_customer_background_import")
    return client.post(url, {"file_format": fmt,
                             "import_file": SimpleUploadedFile(f"big.{fmt}", data)})


def test_changelist_offers_background_import_and_export(client, manager, finance):
    client.force_login(manager)
    page = client.get(reverse("admin:backoffice_customer_changelist")).content.decode()
    assert "background-import" in page and "background-export" in page
    client.force_login(finance)  # may view customers, not add them
    page = client.get(reverse("admin:backoffice_customer_changelist")).content.decode()
    assert "background-import" not in page and "background-export" in page
    response = client.get(reverse("admin:backoffice_customer_background_import"))
    assert response.status_code == 403


def test_background_import_runs_and_reports(client, manager):
    client.force_login(manager)
    response = start(client, customers_csv(1200))
    job = DataJob.objects.get()
    assert response.url == reverse("admin:backoffice_datajob_change", args=[job.pk])
    assert job.status == JobStatus.DONE, job.message
    assert (job.total_rows, job.created_rows, job.error_count) == (1200, 1200, 0)
    assert Customer.objects.count() == 1200
    page = client.get(response.url).content.decode()
    assert 'role="progressbar"' in page and 'aria-valuenow="100"' in page
    assert Customer.objects.first().history.get().history_user == manager


def test_background_import_with_a_bad_row_writes_nothing_and_lists_it(client, manager):
    client.force_login(manager)
    start(client, customers_csv(900, bad_row=777))
    job = DataJob.objects.get()
    assert job.status == JobStatus.REJECTED
    assert Customer.objects.count() == 0
    # as the import page says it: the spreadsheet's row (the header is row 1), the label
    assert job.errors == [{"row": 778, "column": "Name",
                           "message": "This field cannot be blank."}]
    page = client.get(reverse("admin:backoffice_datajob_change", args=[job.pk])).content.decode()
    assert "778" in page and "This field cannot be blank." in page
    assert "Nothing was imported" in page


def test_hostile_file_fails_cleanly(client, manager):
    client.force_login(manager)
    start(client, b"PK\x03\x04 not a workbook", fmt="xlsx")
    job = DataJob.objects.get()
    assert job.status == JobStatus.FAILED and "xlsx" in job.message.lower()


def test_background_export_produces_a_download(client, manager):
    CustomerFactory.create_batch(30)
    client.force_login(manager)
    response = client.post(reverse("admin:backoffice_customer_background_export"),
                           {"file_format": "xlsx"})
    job = DataJob.objects.get()
    assert job.status == JobStatus.DONE and job.total_rows == 30
    download = client.get(reverse("admin:backoffice_datajob_download", args=[job.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert book.active.max_row == 31
    assert response.status_code == 302


def test_users_see_only_their_own_jobs(client, manager, clerk):
    client.force_login(manager)
    start(client, customers_csv(3))
    client.force_login(clerk)
    job = DataJob.objects.get()
    assert client.get(reverse("admin:backoffice_datajob_change", args=[job.pk])).status_code == 302
    assert client.get(reverse("admin:backoffice_datajob_progress", args=[job.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_and_worker(client, manager, settings):
    """With the real backend the request only enqueues; `db_worker` runs the job."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(manager)
    start(client, customers_csv(50))
    job = DataJob.objects.get()
    assert job.status == JobStatus.QUEUED and Customer.objects.count() == 0
    progress = client.get(reverse("admin:backoffice_datajob_progress", args=[job.pk]))
    assert 'hx-trigger="every 1s"' in progress.content.decode()
    call_command("db_worker", "--batch", "--no-startup-delay")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Customer.objects.count() == 50


@pytest.mark.parametrize("button", ["check_then_confirm", "import_now"])
def test_a_big_file_goes_to_a_background_job_whichever_button(client, manager, button,
                                                               monkeypatch):
    """No request runs for minutes: above background_import_rows the admin hands the file
    to a job and shows its progress page."""
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile

    from backoffice.desk.models import Customer
    from backoffice.platform.admin.base import BackofficeAdmin
    from backoffice.platform.models import DataJob

    monkeypatch.setattr(BackofficeAdmin, "background_import_rows", 3)
    data = "code,name,region\n" + "".join(f"C8{i:03d},客户{i},华东\n" for i in range(5))
    client.force_login(manager)
    url = reverse("admin:backoffice_customer_import")
    upload = SimpleUploadedFile("big.csv", data.encode(), content_type="text/csv")
    post = {"format": "0", "resource": "0", "import_file": upload}
    if button == "import_now":
        response = client.post(url, {**post, "_import_now": "1"})
    else:
        preview = client.post(url, post).content.decode()
        fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)"'
                                 r'[^>]*value="([^"]*)"', preview))
        assert Customer.objects.count() == 0
        response = client.post(reverse("admin:backoffice_customer_process_import"), fields)
    job = DataJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:backoffice_datajob_change", args=[job.pk])
    job.refresh_from_db()  # tests run jobs immediately
    assert (job.status, job.created_rows, job.owner) == ("done", 5, manager)
    assert Customer.objects.filter(code__startswith="C8").count() == 5
    assert Customer.objects.get(code="C8000").history.get().history_user == manager


def test_exporting_all_rows_costs_no_query_per_row(engineer):
    """"Export all in background" reads resource.get_queryset(): the related records its
    columns show (customer, engineer, product...) are joined, not fetched row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backoffice.desk.resources import TicketResource
    from tests.factories import TicketFactory

    def queries_for(count):
        TicketFactory.create_batch(count, assignee=engineer)
        resource = TicketResource()
        with CaptureQueriesContext(connection) as ctx:
            resource.export(resource.get_queryset())
        return len(ctx.captured_queries)

    few = queries_for(2)
    many = queries_for(10)
    assert many == few


# -- "Nothing lost, nothing leaked" ---------------------------------------------------------
class WorkerKilled(BaseException):
    """The worker process dies (killed, out of memory, machine lost): no line of the job's
    own code runs after this, no ``except Exception`` sees it."""


def test_item3_a_job_whose_worker_died_is_marked_failed_with_a_reason(client, manager,
                                                                       settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from backoffice.platform import jobs

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(manager)
    start(client, customers_csv(1200))  # the request only enqueues
    job = DataJob.objects.get()
    assert job.status == JobStatus.QUEUED

    def dies_in_the_middle(job_id, done, total, phase):
        if done:  # 500 rows into the import's transaction
            raise WorkerKilled

    monkeypatch.setattr(jobs, "report", dies_in_the_middle)
    with pytest.raises(WorkerKilled):
        jobs.run_import.call(job.pk, "en")  # what db_worker runs
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and Customer.objects.count() == 0
    page_url = reverse("admin:backoffice_datajob_change", args=[job.pk])

    # a moment later nobody can tell a dead worker from a busy one: still running
    client.get(page_url)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING

    # minutes later the job list gives it up, and the job page says why
    later = timezone.now() + timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 60)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert client.get(reverse("admin:backoffice_datajob_changelist")).status_code == 200
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at == later
    page = client.get(page_url).content.decode()
    assert "The worker stopped while running this job" in page
    assert "nothing was written; start it again" in page
    assert Customer.objects.count() == 0


def test_item3_a_worker_starting_a_job_fails_the_jobs_of_a_dead_worker(client, manager,
                                                                        settings):
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1)
    dead = DataJob.objects.create(kind=DataJob.Kind.EXPORT, owner=manager,
                                  model_label="backoffice.Customer", file_format="csv",
                                  status=JobStatus.RUNNING, started_at=long_ago,
                                  heartbeat_at=long_ago)
    busy = DataJob.objects.create(kind=DataJob.Kind.IMPORT, owner=manager,
                                  model_label="backoffice.Customer", file_format="csv",
                                  status=JobStatus.RUNNING, started_at=long_ago,
                                  heartbeat_at=timezone.now())
    client.force_login(manager)
    client.post(reverse("admin:backoffice_customer_background_export"), {"file_format": "csv"})
    dead.refresh_from_db()
    busy.refresh_from_db()
    assert dead.status == JobStatus.FAILED
    assert "The worker stopped while running this export" in dead.message
    assert "no file was produced; start it again" in dead.message
    assert busy.status == JobStatus.RUNNING


def test_item3_the_worker_gives_signs_of_life_while_it_runs(client, manager, settings,
                                                            monkeypatch):
    """The sign of life comes from beside the job, also while the import's transaction is
    open and no row is finished (a slow phase is not a dead worker)."""
    import time

    from backoffice.platform import jobs

    settings.JOB_HEARTBEAT_TIMEOUT = 0.4
    seen = []
    report = jobs.report

    def waits_for_a_heartbeat(job_id, done, total, phase):
        if done and not seen:
            job = DataJob.objects.get(pk=job_id)
            deadline = time.monotonic() + 10
            while jobs.last_sign_of_life(job) <= job.heartbeat_at:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            seen.append(jobs.last_sign_of_life(job))
        report(job_id, done, total, phase)

    monkeypatch.setattr(jobs, "report", waits_for_a_heartbeat)
    client.force_login(manager)
    start(client, customers_csv(600))
    job = DataJob.objects.get()
    assert seen and seen[0] > job.started_at, "no sign of life while the import ran"
    assert job.status == JobStatus.DONE and Customer.objects.count() == 600


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite has one writer: there the sign of life goes to the cache")
@pytest.mark.django_db(transaction=True)
def test_item3_on_postgresql_the_sign_of_life_is_committed_while_the_import_runs(
        client, manager, settings, monkeypatch):
    """Other processes see the worker's sign of life in the database while the import's
    own transaction is still open (it is written through another connection)."""
    import threading
    import time

    from django.db import connections

    from backoffice.platform import jobs

    settings.JOB_HEARTBEAT_TIMEOUT = 0.4
    seen_from_outside = []
    report = jobs.report

    def from_another_connection(job_id):
        try:
            seen_from_outside.append(DataJob.objects.get(pk=job_id).heartbeat_at)
        finally:
            connections.close_all()

    def looks_from_outside(job_id, done, total, phase):
        if done and not seen_from_outside:
            started = DataJob.objects.get(pk=job_id).started_at
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                reader = threading.Thread(target=from_another_connection, args=[job_id])
                reader.start()
                reader.join()
                if seen_from_outside[-1] > started:
                    break
                time.sleep(0.05)
        report(job_id, done, total, phase)

    monkeypatch.setattr(jobs, "report", looks_from_outside)
    client.force_login(manager)
    start(client, customers_csv(600))
    job = DataJob.objects.get()
    assert seen_from_outside[-1] > job.started_at, "no sign of life in the database"
    assert job.status == JobStatus.DONE and Customer.objects.count() == 600


def test_item3_a_job_given_up_while_its_worker_still_ran_keeps_nothing(client, manager,
                                                                      monkeypatch):
    """A live worker taken for dead (a long pause after reading the file) does not commit
    its rows under a job that says nothing was written: the rows and the job's outcome are
    one transaction, and the outcome is only written to a job that is still running."""
    from datetime import timedelta

    from django.utils import timezone

    from backoffice.platform import jobs

    report = jobs.report
    real_now = timezone.now

    def given_up_meanwhile(job_id, done, total, phase):
        if done == 0 and phase == "running":  # the file is read, the import not begun
            later = real_now() + timedelta(hours=1)
            monkeypatch.setattr(timezone, "now", lambda: later)
            assert jobs.fail_dead_jobs() == 1
            monkeypatch.setattr(timezone, "now", real_now)
        report(job_id, done, total, phase)

    monkeypatch.setattr(jobs, "report", given_up_meanwhile)
    client.force_login(manager)
    start(client, customers_csv(900))
    job = DataJob.objects.get()
    assert job.status == JobStatus.FAILED and "nothing was written" in job.message
    assert Customer.objects.count() == 0


def _owner_of(obj):
    return {"expenseclaim": lambda o: o.claimant, "expenseline": lambda o: o.claim.claimant,
            "appraisal": lambda o: o.employee}[obj._meta.model_name](obj).username


def _csv_rows(content):
    import csv

    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize(("app", "model", "column"), [("billing", "expenseclaim", "Claimant"),
                                                      ("billing", "expenseline", "Claimant"),
                                                      ("training", "appraisal", "Employee")])
def test_item5_background_export_shows_only_what_the_list_shows(client, engineer, make_user,
                                                                app, model, column):
    from tests.billing.factories import ExpenseClaimFactory, ExpenseLineFactory
    from tests.training.factories import AppraisalFactory

    colleague = make_user("engineer", "colleague")
    for user in (engineer, colleague):
        claim = ExpenseClaimFactory(claimant=user)
        ExpenseLineFactory.create_batch(2, claim=claim)
        AppraisalFactory(employee=user)
    client.force_login(engineer)

    listed = client.get(reverse(f"admin:{app}_{model}_changelist")).context["cl"].result_list
    assert listed and {_owner_of(obj) for obj in listed} == {"engineer"}

    interactive = client.post(reverse(f"admin:{app}_{model}_export"),
                              {"format": "0", "resource": "0"})
    assert interactive["Content-Type"].startswith("text/csv")
    interactive_rows = _csv_rows(interactive.content)

    client.post(reverse(f"admin:{app}_{model}_background_export"), {"file_format": "csv"})
    job = DataJob.objects.get()
    assert job.status == JobStatus.DONE, job.message
    download = client.get(reverse("admin:backoffice_datajob_download", args=[job.pk]))
    background_rows = _csv_rows(b"".join(download.streaming_content))

    assert {r[column] for r in interactive_rows} == {"engineer"}
    assert {r[column] for r in background_rows} == {"engineer"}
    assert len(background_rows) == len(interactive_rows) == len(listed) == job.total_rows


@pytest.mark.parametrize("button", ["check_then_confirm", "import_now"])
def test_item12_a_job_imports_with_the_resource_the_page_chose(client, warehouse, button,
                                                               monkeypatch):
    import re

    from backoffice.platform.admin.base import BackofficeAdmin
    from inventory.models import StockEntry
    from inventory.workflows import EntryKind
    from tests.inventory.factories import PartFactory, WarehouseFactory, balance, ledger_sum

    main = WarehouseFactory(code="MAIN")
    parts = [PartFactory(code=f"OB-{i}") for i in range(5)]
    monkeypatch.setattr(BackofficeAdmin, "background_import_rows", 3)
    data = "part,warehouse,quantity,unit_cost,note\n" + "".join(
        f"OB-{i},MAIN,{i + 1},,期初\n" for i in range(5))
    client.force_login(warehouse)
    url = reverse("admin:inventory_stockentry_import")
    post = {"format": "0", "resource": "0",
            "import_file": SimpleUploadedFile("opening.csv", data.encode(),
                                              content_type="text/csv")}
    if button == "import_now":
        response = client.post(url, {**post, "_import_now": "1"})
    else:
        preview = client.post(url, post).content.decode()
        fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)"'
                                 r'[^>]*value="([^"]*)"', preview))
        assert StockEntry.objects.count() == 0  # the preview posts nothing
        response = client.post(reverse("admin:inventory_stockentry_process_import"), fields)
    job = DataJob.objects.get()
    assert response["Location"] == reverse("admin:backoffice_datajob_change", args=[job.pk])
    job.refresh_from_db()  # tests run jobs immediately
    assert job.resource == "inventory.resources.OpeningBalanceResource"
    assert (job.status, job.created_rows, job.error_count) == ("done", 5, 0), job.message
    for quantity, part in enumerate(parts, 1):
        assert balance(part, main) == quantity == ledger_sum(part, main)
    entries = StockEntry.objects.all()
    assert {(e.kind, e.actor) for e in entries} == {(EntryKind.OPENING, warehouse)}
