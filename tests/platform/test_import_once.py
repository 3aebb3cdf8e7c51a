"""A preview confirmed twice - a double click, a second tab, a browser retry - is written
once (issue "Nothing lost, nothing leaked", item 2).

Through the real admin pages: upload a file (the preview), then post the confirm form the
preview page carries. The imported file adds expense lines (new rows, no key), so a
second write would show as lines twice and a doubled claim total.
"""

import os
import re
import threading
import time
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse

from backoffice.platform.admin.base import BackofficeAdmin
from backoffice.platform.models import ImportSubmission
from billing.models import ExpenseLine
from tests.billing.factories import ExpenseClaimFactory, a_day

IMPORT = reverse("admin:billing_expenseline_import")
CONFIRM = reverse("admin:billing_expenseline_process_import")


def lines_file(claim):
    day = a_day().isoformat()
    return (f"claim,date,category,description,amount,ticket,customer\n"
            f"{claim.number},{day},travel,高铁,553.00,,\n"
            f"{claim.number},{day},office,打印,18.50,,\n").encode()


def preview(client, claim):
    response = client.post(IMPORT, {
        "format": "0", "resource": "0",
        "import_file": SimpleUploadedFile("lines.csv", lines_file(claim), content_type="text/csv")})
    assert response.status_code == 200
    page = response.content.decode()
    form = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)"'
                           r'[^>]*value="([^"]*)"', page))
    assert "import_file_name" in form, page[:3000]
    assert not ExpenseLine.objects.exists()  # the preview writes nothing
    return form


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db
def test_item2_the_same_import_confirmed_twice_writes_once(client, engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    client.force_login(engineer)
    form = preview(client, claim)

    first = client.post(CONFIRM, form)
    assert first.status_code == 302
    assert ExpenseLine.objects.filter(claim=claim).count() == 2

    second = client.post(CONFIRM, form)  # the same confirm form, posted again
    assert second.status_code == 302
    assert second["Location"] == reverse("admin:billing_expenseline_changelist")
    assert any("This file has already been imported" in t for t in texts(second))
    assert ExpenseLine.objects.filter(claim=claim).count() == 2
    claim.refresh_from_db()
    assert claim.total == Decimal("571.50")
    submission = ImportSubmission.objects.get()
    assert submission.key == os.path.basename(form["import_file_name"])
    assert submission.owner == engineer
    assert submission.model_label == "billing.ExpenseLine"


@pytest.mark.django_db
def test_a_confirm_whose_rows_fail_writes_nothing_records_nothing_and_says_why(client,
                                                                              engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    client.force_login(engineer)
    form = preview(client, claim)
    claim.delete()  # gone between the preview and the confirm

    response = client.post(CONFIRM, form)
    assert response.status_code == 302 and response["Location"] == IMPORT
    assert any(t.startswith("Nothing was imported: row 2") for t in texts(response))
    assert not ExpenseLine.objects.exists() and not ImportSubmission.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_confirm_writes_once(engineer, monkeypatch):
    """Both requests read the preview's file before either has written (the import is
    slowed down to make sure): the submission's unique key lets exactly one write."""
    claim = ExpenseClaimFactory(claimant=engineer)
    setup = Client()
    setup.force_login(engineer)
    form = preview(setup, claim)
    original = BackofficeAdmin.process_dataset

    def slow(self, *args, **kwargs):
        time.sleep(0.5)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BackofficeAdmin, "process_dataset", slow)
    clients = []
    for _ in range(2):
        browser = Client()
        browser.force_login(engineer)
        clients.append(browser)
    barrier, outcomes = threading.Barrier(len(clients)), []

    def confirm(browser):
        try:
            barrier.wait(timeout=30)
            response = browser.post(CONFIRM, form)
            outcomes.append((response.status_code, texts(response)))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    written = ExpenseLine.objects.filter(claim=claim).count()
    assert written == 2, (written, outcomes)  # without the key: 4 lines, and one 500
    assert all(isinstance(o, tuple) and o[0] == 302 for o in outcomes), outcomes
    refused = [o for o in outcomes if any("already been imported" in t for t in o[1])]
    assert len(refused) == 1, outcomes
    assert ImportSubmission.objects.count() == 1
