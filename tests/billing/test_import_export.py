"""Budget lines and expense claims in spreadsheets: preview then confirm, one bad row
imports nothing, rows name their column and reason, states and totals never import."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
import tablib
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from billing import services
from billing.models import BudgetLine, ExpenseClaim, ExpenseLine
from billing.resources import (
    BudgetLineResource,
    ExpenseClaimResource,
    ExpenseLineResource,
)
from billing.workflows import ClaimStatus as S
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import (
    BudgetFactory,
    ExpenseClaimFactory,
    ExpenseLineFactory,
    a_day,
    approved_budget,
    submitted_claim,
)
from tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "billing"
CSV = "0"


def upload(client, model, data, name="upload.csv"):
    data = data.read_bytes() if isinstance(data, Path) else data
    return client.post(reverse(f"admin:billing_{model}_import"), {
        "format": CSV, "resource": "0",
        "import_file": SimpleUploadedFile(name, data, content_type="text/csv")})


def confirm(client, model, preview):
    page = preview.content.decode()
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)"'
                             r'[^>]*value="([^"]*)"', page))
    assert "import_file_name" in fields, "no confirm form: the preview found errors"
    return client.post(reverse(f"admin:billing_{model}_process_import"), fields)


def run(resource, dataset, **kwargs):
    return resource.import_data(dataset, dry_run=False, rollback_on_validation_errors=True,
                                **kwargs)


# -- budget lines -----------------------------------------------------------------------------
def test_budget_lines_preview_then_import(client, manager):
    budget = BudgetFactory(year=2041)
    client.force_login(manager)
    preview = upload(client, "budgetline", SAMPLES / "budget_lines_import.csv")
    assert preview.status_code == 200
    assert not BudgetLine.objects.exists()  # the preview writes nothing
    confirm(client, "budgetline", preview)
    assert budget.lines.count() == 9
    assert budget.lines.get(category=C.TRAINING, period="q2").amount == Decimal("20000.00")
    assert budget.lines.first().history.get().history_change_reason == "import"


def test_one_bad_budget_row_imports_nothing_and_says_why(client, manager):
    BudgetFactory(year=2041)
    client.force_login(manager)
    preview = upload(client, "budgetline", SAMPLES / "budget_lines_import_bad_row.csv")
    page = preview.content.decode()
    assert 'name="import_file_name"' not in page  # no confirm button
    assert "coffee" in page  # row 2: unknown category
    assert "greater than or equal to 0" in page  # row 3: negative amount
    assert "no budget for 2099" in page  # row 4
    assert not BudgetLine.objects.exists()


def test_budget_resource_all_or_nothing_and_row_numbers():
    BudgetFactory(year=2041)
    dataset = tablib.Dataset().load((SAMPLES / "budget_lines_import_bad_row.csv").read_text(),
                                    format="csv")
    result = run(BudgetLineResource(), dataset)
    assert result.has_validation_errors()
    assert [r.number for r in result.invalid_rows] == [3, 4, 5]  # spreadsheet rows
    assert "category" in result.invalid_rows[0].field_specific_errors
    assert "amount" in result.invalid_rows[1].field_specific_errors
    assert "year" in result.invalid_rows[2].field_specific_errors
    assert not BudgetLine.objects.exists()


def test_reimport_updates_lines_of_a_draft_budget():
    budget = BudgetFactory(year=2041)
    dataset = tablib.Dataset(headers=["year", "category", "period", "amount"])
    dataset.append([2041, "travel", "", "100"])
    run(BudgetLineResource(), dataset)
    dataset = tablib.Dataset(headers=["year", "category", "period", "amount"])
    dataset.append([2041.0, "Travel", "Whole year", 250.5])  # as xlsx gives them, with labels
    result = run(BudgetLineResource(), dataset)
    assert not result.has_validation_errors(), result.invalid_rows
    assert budget.lines.get().amount == Decimal("250.50")


def test_approved_budget_refuses_imported_lines(manager, finance):
    budget = approved_budget(manager, finance, year=2041)
    dataset = tablib.Dataset(headers=["year", "category", "period", "amount"])
    dataset.append([2041, "office", "year", "100"])
    result = run(BudgetLineResource(), dataset)
    assert result.has_validation_errors()
    assert "adjustment" in str(result.invalid_rows[0].error_dict)
    assert budget.lines.count() == 1


def test_wrong_headers_are_refused(client, manager):
    BudgetFactory(year=2041)
    client.force_login(manager)
    preview = upload(client, "budgetline", "年度,类别\n2041,travel\n".encode())
    assert 'name="import_file_name"' not in preview.content.decode()
    assert not BudgetLine.objects.exists()


def test_view_only_user_cannot_import_budget_lines(client, finance):
    client.force_login(finance)
    response = upload(client, "budgetline", SAMPLES / "budget_lines_import.csv")
    assert response.status_code == 403


# -- expense lines and claims -------------------------------------------------------------------
def lines_dataset(*rows):
    dataset = tablib.Dataset(headers=["claim", "date", "category", "description", "amount",
                                      "ticket", "customer"])
    for row in rows:
        dataset.append(row)
    return dataset


def test_lines_import_into_own_draft_claim_and_total_follows(engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    ticket = TicketFactory()
    day = a_day().isoformat()
    result = run(ExpenseLineResource(), lines_dataset(
        [claim.number, day, "travel", "高铁", "553.00", ticket.number, ""],
        [claim.number, day, "Office", "打印", "18.5", "", ""]),
        user=engineer)
    assert not result.has_errors() and not result.has_validation_errors(), result.invalid_rows
    claim.refresh_from_db()
    assert claim.total == Decimal("571.50") and claim.lines.count() == 2
    line = claim.lines.get(description="高铁")
    assert line.ticket == ticket and line.customer == ticket.customer  # filled from the ticket
    assert not line.receipt  # receipts are attached on the claim page


def test_lines_import_refuses_other_people_frozen_claims_and_unknowns(engineer, make_user,
                                                                     manager, finance):
    approved_budget(manager, finance)
    mine = ExpenseClaimFactory(claimant=engineer)
    theirs = ExpenseClaimFactory(claimant=make_user("clerk"))
    submitted = submitted_claim(engineer, (C.TRAVEL, "10"))
    foreign_line = ExpenseLineFactory(claim=theirs)
    day = a_day().isoformat()
    dataset = lines_dataset(
        [mine.number, day, "travel", "好的一行", "10", "", ""],
        [theirs.number, day, "travel", "别人的", "10", "", ""],
        [submitted.number, day, "travel", "已提交", "10", "", ""],
        ["EC000000-99999", day, "travel", "没有", "10", "", ""],
        [mine.number, day, "travel", "工单不存在", "10", "SR-NOPE", ""],
        [mine.number, day, "travel", "金额为零", "0", "", ""],
    )
    dataset.append_col(["", "", "", "", "", foreign_line.pk], header="id")
    result = run(ExpenseLineResource(), dataset, user=engineer)
    assert [r.number for r in result.invalid_rows] == [3, 4, 5, 6, 7]  # spreadsheet rows
    errors = {r.number: r.field_specific_errors for r in result.invalid_rows}
    assert "claim" in errors[3] and "claim" in errors[4] and "claim" in errors[5]
    assert "ticket" in errors[6]
    assert "id" in errors[7] or "amount" in errors[7]
    assert ExpenseLine.objects.filter(description="好的一行").count() == 0
    assert ExpenseClaim.objects.get(pk=mine.pk).total == Decimal("0")


def test_lines_update_by_id_within_the_claim(engineer):
    line = ExpenseLineFactory(claim__claimant=engineer, amount=Decimal("10"))
    dataset = lines_dataset([line.claim.number, line.date.isoformat(), "travel", "改了", "12",
                             "", ""])
    dataset.append_col([line.pk], header="id")
    result = run(ExpenseLineResource(), dataset, user=engineer)
    assert not result.has_validation_errors(), result.invalid_rows
    line.refresh_from_db()
    assert line.amount == Decimal("12") and line.description == "改了"
    assert line.receipt  # an update keeps the receipt
    assert ExpenseClaim.objects.get(pk=line.claim_id).total == Decimal("12")


def test_claim_headers_import_creates_drafts_of_the_importer(engineer, make_user):
    dataset = tablib.Dataset(headers=["number", "title", "notes", "state", "total"])
    dataset.append(["", "三月上门服务", "客户A、B", "paid", "99999"])
    result = run(ExpenseClaimResource(), dataset, user=engineer)
    assert not result.has_validation_errors(), result.invalid_rows
    claim = ExpenseClaim.objects.get()
    assert claim.claimant == engineer and claim.state == S.DRAFT and claim.total == 0
    assert claim.number.startswith("EC")

    other = ExpenseClaimFactory(claimant=make_user("clerk"))
    dataset = tablib.Dataset(headers=["number", "title"])
    dataset.append([other.number, "改别人的"])
    result = run(ExpenseClaimResource(), dataset, user=engineer)
    assert result.has_validation_errors()
    assert ExpenseClaim.objects.get(pk=other.pk).title != "改别人的"


def test_claim_preview_then_import_in_the_admin(client, engineer):
    client.force_login(engineer)
    preview = upload(client, "expenseclaim", "number,title,notes\n,四月差旅,\n".encode())
    assert not ExpenseClaim.objects.exists()
    confirm(client, "expenseclaim", preview)
    assert ExpenseClaim.objects.get().claimant == engineer


def test_lines_export_is_flattened_and_escaped(engineer):
    ExpenseLineFactory(claim__claimant=engineer, description="=HYPERLINK(\"http://x\")")
    exported = ExpenseLineResource().export(ExpenseLine.objects.all()).dict[0]
    # headed by the columns' labels, the state by its label (the active language: English)
    assert exported["Claimant"] == "engineer" and exported["Expense claim"].startswith("EC")
    assert exported["State"] == "Draft"
    assert exported["Description"].startswith("'=")


def test_claims_export_respects_visibility(client, engineer, make_user):
    ExpenseClaimFactory(claimant=engineer, title="我的")
    ExpenseClaimFactory(claimant=make_user("clerk"), title="别人的")
    client.force_login(engineer)
    response = client.post(reverse("admin:billing_expenseclaim_export"),
                           {"format": CSV, "resource": "0", "export_items": []}, follow=True)
    if response["Content-Type"].startswith("text/html"):
        response = client.post(reverse("admin:billing_expenseclaim_export"), {
            "format": CSV, "resource": "0",
            **{f"expenseclaimresource_{f}": "on" for f in ("number", "title", "claimant")}})
    body = response.content.decode()
    assert "我的" in body and "别人的" not in body


def test_state_and_total_never_import(engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    dataset = tablib.Dataset(headers=["number", "title", "state", "total"])
    dataset.append([claim.number, "新标题", "paid", "1"])
    result = run(ExpenseClaimResource(), dataset, user=engineer)
    assert not result.has_validation_errors(), result.invalid_rows
    claim.refresh_from_db()
    assert claim.title == "新标题" and claim.state == S.DRAFT and claim.total == 0


def test_services_total_matches_import_total(engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    run(ExpenseLineResource(), lines_dataset([claim.number, a_day().isoformat(), "travel",
                                              "x", "1.10", "", ""]), user=engineer)
    claim.refresh_from_db()
    assert claim.total == Decimal("1.10")
    assert services.claim_recompute_total(claim) == Decimal("1.10")
