"""In the browser: the claimant opens a draft claim whose line overruns a "warn" category,
sees the amber position, submits, has to tick the confirmation, and the claim is submitted."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing import services
from billing.models import ExpenseClaim
from billing.workflows import ClaimStatus
from billing.workflows import ExpenseCategory as C
from tests.billing.factories import a_day, approved_budget, receipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page, claim, *, confirm):
    page.locator("a[href$='/transition/submit/']").first.click()
    dialog = page.locator("#dialog form")
    expect(dialog).to_be_visible()
    # the dialog shows the same position, amber, above the switch
    expect(dialog.locator('[data-budget-category="travel"]')).to_have_attribute(
        "data-budget-level", "warn")
    if confirm:
        dialog.locator("input[name=confirm_overrun]").check(force=True)
    with page.expect_navigation(url=re.compile(rf".*/expenseclaim/{claim.pk}/change/$")):
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and "/transition/submit/" in r.url):
            dialog.locator("button[type=submit]").click()


def test_the_claimant_confirms_a_warn_overrun_at_submit(page, login, live_server, engineer,
                                                        manager, finance, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    approved_budget(manager, finance, amounts={C.TRAVEL: Decimal("1000")},
                    policies={C.TRAVEL: "warn"})
    claim = services.claim_create(
        claimant=engineer, title="客户现场升级差旅",
        lines=[{"date": a_day(), "category": C.TRAVEL, "description": "往返机票",
                "amount": Decimal("1200"), "receipt": receipt()}])

    login("engineer")
    page.goto(f"{live_server.url}/admin/billing/expenseclaim/{claim.pk}/change/")
    travel = page.locator('#budget-position [data-budget-category="travel"]')
    expect(travel).to_have_attribute("data-budget-level", "warn")
    expect(travel).to_have_class(re.compile("bg-amber-50"))
    expect(travel).to_contain_text("1,200.00")
    expect(travel).to_contain_text("-200.00")

    submit(page, claim, confirm=False)  # refused: the confirmation is required
    # the message names the figures (its words are translated, the amounts are not)
    expect(page.get_by_text(re.compile("CNY 1,000.00.*CNY 1,200.00.*CNY 200.00"))).to_be_visible()
    assert ExpenseClaim.objects.get(pk=claim.pk).state == ClaimStatus.DRAFT

    submit(page, claim, confirm=True)
    claim.refresh_from_db()
    assert claim.state == ClaimStatus.SUBMITTED
    expect(page.locator("[data-budget-confirmed]")).to_contain_text("CNY 200.00")
