"""A receipt chosen on the claim page survives the page coming back with an error (issue
"Nothing lost, nothing leaked", item 4).

A browser never sends a file twice: the tests post the page with a receipt and an error
elsewhere, then post what the returned page carries (every named input, no file), as a
browser would after the user corrects the error.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from billing.models import ExpenseClaim
from billing.receipts import PENDING_DIR
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import PDF, ExpenseClaimFactory, ExpenseLineFactory, a_day, receipt
from tests.pages import form_data

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"admin:billing_{name}", args=args)


def pending_files():
    folder = Path(settings.MEDIA_ROOT) / PENDING_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def new_claim_with_a_receipt(**overrides):
    return {"title": "上门服务", "notes": "",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-date": a_day().isoformat(), "lines-0-category": C.TRAVEL,
            "lines-0-description": "出租车", "lines-0-amount": "45.50",
            "lines-0-receipt": receipt("taxi.pdf"), **overrides}


def test_item4_a_receipt_survives_a_form_error(client, engineer,
                                              django_capture_on_commit_callbacks):
    client.force_login(engineer)
    response = client.post(url("expenseclaim_add"), new_claim_with_a_receipt(title=""))
    assert response.status_code == 200  # back with "This field is required" (the purpose)
    page = response.content.decode()
    assert "Receipt kept: taxi.pdf" in page
    assert not ExpenseClaim.objects.exists()

    corrected = form_data(page)
    assert "lines-0-receipt" not in corrected and corrected["lines-0-receipt_kept"]
    corrected["title"] = "上门服务"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("expenseclaim_add"), corrected)

    assert response.status_code == 302, response.content.decode()[:3000]
    line = ExpenseClaim.objects.get().lines.get()
    assert line.receipt.name.startswith("receipts/") and PENDING_DIR not in line.receipt.name
    with line.receipt.open("rb") as stored:
        assert stored.read() == PDF
    assert pending_files() == []  # the kept copy is gone once the line has its own


def test_a_kept_receipt_survives_an_error_in_its_own_line_on_the_change_page(client,
                                                                            engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    line = ExpenseLineFactory(claim=claim, receipt="")
    client.force_login(engineer)
    data = form_data(client.get(url("expenseclaim_change", claim.pk)).content.decode())
    data.update({"lines-0-amount": "", "lines-0-receipt": receipt("hotel.png",
                                                                  b"\x89PNG\r\n\x1a\n0000")})
    response = client.post(url("expenseclaim_change", claim.pk), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Receipt kept: hotel.png" in page
    line.refresh_from_db()
    assert not line.receipt

    corrected = form_data(page)
    corrected["lines-0-amount"] = "320.00"
    response = client.post(url("expenseclaim_change", claim.pk), corrected)
    assert response.status_code == 302, response.content.decode()[:3000]
    line.refresh_from_db()
    assert line.receipt and line.amount == 320
    with line.receipt.open("rb") as stored:
        assert stored.read().startswith(b"\x89PNG")


def test_a_token_from_another_users_upload_is_refused(client, engineer, make_user):
    client.force_login(engineer)
    page = client.post(url("expenseclaim_add"),
                       new_claim_with_a_receipt(title="")).content.decode()
    token = form_data(page)["lines-0-receipt_kept"]

    client.force_login(make_user("engineer"))
    data = new_claim_with_a_receipt(**{"lines-0-receipt_kept": token})
    del data["lines-0-receipt"]
    response = client.post(url("expenseclaim_add"), data)
    assert response.status_code == 200
    assert "can no longer be used" in response.content.decode()
    assert not ExpenseClaim.objects.exists()

    data["lines-0-receipt_kept"] = token[:-3] + "abc"  # forged: refused the same way
    response = client.post(url("expenseclaim_add"), data)
    assert "can no longer be used" in response.content.decode()
    assert not ExpenseClaim.objects.exists()


def test_a_refused_receipt_is_not_kept(client, engineer):
    client.force_login(engineer)
    response = client.post(url("expenseclaim_add"), new_claim_with_a_receipt(
        title="", **{"lines-0-receipt": receipt("virus.pdf", b"MZ")}))
    page = response.content.decode()
    assert "is not really a PDF file" in page and "Receipt kept" not in page
    assert pending_files() == []


def test_the_lines_page_keeps_the_receipt_too(client, engineer):
    claim = ExpenseClaimFactory(claimant=engineer)
    client.force_login(engineer)
    response = client.post(url("expenseline_add"), {
        "claim": claim.pk, "date": a_day().isoformat(), "category": C.TRAVEL,
        "description": "地铁", "amount": "", "receipt": receipt("metro.pdf")})
    page = response.content.decode()
    assert response.status_code == 200 and "Receipt kept: metro.pdf" in page
    corrected = form_data(page)
    corrected["amount"] = "6.00"
    assert client.post(url("expenseline_add"), corrected).status_code == 302
    assert claim.lines.get().receipt


def test_a_kept_receipt_is_checked_again_when_it_is_attached(client, engineer, settings):
    client.force_login(engineer)
    page = client.post(url("expenseclaim_add"),
                       new_claim_with_a_receipt(title="")).content.decode()
    corrected = form_data(page)
    corrected["title"] = "上门服务"
    settings.BILLING_RECEIPT_MAX_BYTES = 10  # the limit was lowered in between
    response = client.post(url("expenseclaim_add"), corrected)
    assert response.status_code == 200
    page = response.content.decode()
    assert "the limit is" in page and "Receipt kept" not in page
    assert not ExpenseClaim.objects.exists()
