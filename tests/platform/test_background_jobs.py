"""Long imports and exports run as background jobs with progress and a result page."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
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
    assert job.errors == [{"row": 777, "column": "name",
                           "message": "This field cannot be blank."}]
    page = client.get(reverse("admin:backoffice_datajob_change", args=[job.pk])).content.decode()
    assert "777" in page and "This field cannot be blank." in page


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
