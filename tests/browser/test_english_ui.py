"""One pass through the admin in English: no Chinese in the page's own words.

The manager switches the UI to English (the language cookie the site's switch sets) and
opens the dashboard, a ticket, an expense claim and an import page. The UI's chrome -
headings, labels, buttons, table headers, the sidebar, the dashboard's card titles - must
not contain a Chinese character; the records' own data (a customer's name, a ticket's
subject) may, and is not looked at.
"""

import re
from decimal import Decimal

import pytest

from billing.workflows import ExpenseCategory
from tests.billing.factories import approved_budget, submitted_claim
from tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")

#: a language's own name is right in any UI language (the language switch)
OWN_NAMES = ("简体中文", "中文")

#: the text of the UI's chrome, element by element (data cells and values are left out)
CHROME_JS = """() => {
    const selectors = ['h1', 'h2', 'h3', 'th', 'label', 'legend', 'button',
                       'input[type=submit]', '#nav-sidebar-apps a', '#nav-sidebar-apps h2',
                       '[data-figure] > div > span:first-child', '#approvals a',
                       'canvas.chart'];
    const out = [];
    for (const selector of selectors) {
        for (const el of document.querySelectorAll(selector)) {
            let text = el.tagName === 'INPUT' ? el.value : el.textContent;
            if (el.tagName === 'CANVAS') {  // a chart's legend: its datasets' labels
                const chart = Chart.getChart(el);
                text = chart ? chart.data.datasets.map(d => d.label).join(' | ') : '';
            }
            text = (text || '').replace(/\\s+/g, ' ').trim();
            if (text) out.push({selector, text});
        }
    }
    return out;
}"""


def chinese_in_chrome(page, data=()) -> list[dict]:
    """Chrome text with a Chinese character; ``data``: the records' own words (a heading
    names the record it shows), left out."""
    found = []
    for item in page.evaluate(CHROME_JS):
        text = item["text"]
        for words in (*data, *OWN_NAMES):
            text = text.replace(words, "")
        if CJK.search(text):
            found.append(item)
    return found


def test_the_english_ui_speaks_english(page, login, live_server, manager, finance, engineer,
                                       settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = TicketFactory(state="new", subject="月末结账报表数据不一致",
                           description="总账与明细账金额相差")
    approved_budget(manager, finance, amounts={ExpenseCategory.TRAVEL: Decimal("5000")})
    claim = submitted_claim(engineer, (ExpenseCategory.TRAVEL, "300.00"), title="上门服务差旅费")

    login("manager")
    page.context.add_cookies([{"name": "django_language", "value": "en",
                               "url": live_server.url}])
    pages = {
        "dashboard": "/admin/",
        "ticket": f"/admin/backoffice/ticket/{ticket.pk}/change/",
        "expense claim": f"/admin/billing/expenseclaim/{claim.pk}/change/",
        "import": "/admin/backoffice/ticket/import/",
    }
    problems = {}
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, (name, response.status)
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "en", name
        found = chinese_in_chrome(page, data=[ticket.subject, claim.title,
                                              ticket.customer.name])
        if found:
            problems[name] = found
        if name == "dashboard":  # the page did get looked at
            assert any(i["text"] == "Open tickets" for i in page.evaluate(CHROME_JS))
        if name == "expense claim":  # the approver's budget table: the expense category
            assert page.locator("th", has_text="Category").count() >= 1
    assert problems == {}
