"""Headless Chromium opens the dashboard as the after-sales manager: the charts render.

Needs /usr/bin/chromium (the Debian package; Playwright's own browser download is not
used). Without it the test is skipped - unless CI is set, where it fails.
"""

import datetime as dt
import os

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI")
        pytest.skip(f"{CHROMIUM} not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # the test around it are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.errors = []
        tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        yield tab
        browser.close()


def test_manager_sees_the_charts_drawn(live_server, page, manager):
    now = timezone.now()
    for i in range(24):
        TicketFactory(state="closed" if i % 3 else "new",
                      received_at=now - dt.timedelta(days=i * 3),
                      resolved_at=now - dt.timedelta(days=i * 3 - 1) if i % 3 else None,
                      satisfaction=(i % 5) + 1 if i % 3 else None)
    page.goto(f"{live_server.url}{reverse('admin:login')}?next={reverse('admin:index')}")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{reverse('admin:index')}")
    page.wait_for_selector("canvas.chart", state="visible")

    charts = page.evaluate("""() => Array.from(document.querySelectorAll('canvas.chart')).map(c => {
        const chart = Chart.getChart(c);
        return {type: c.dataset.type, width: c.width, height: c.height,
                attached: !!chart,
                points: chart ? chart.getDatasetMeta(0).data.length : 0,
                total: chart ? chart.data.datasets.map(d => d.data.reduce((a, b) => a + (b || 0), 0)) : []};
    })""")
    assert sorted(c["type"] for c in charts) == ["bar", "line"]
    for chart in charts:
        assert chart["attached"] and chart["width"] > 100 and chart["height"] > 100, chart
        assert chart["points"] == 12, chart  # twelve weeks
    line = next(c for c in charts if c["type"] == "line")
    assert line["total"][0] > 0 and line["total"][1] > 0  # received, resolved
    # something was painted: the line chart's canvas is not blank
    painted = page.evaluate("""() => {
        const c = document.querySelector('canvas.chart[data-type=line]');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) return true; }
        return false;
    }""")
    assert painted
    assert page.locator('[data-figure="open"]').is_visible()
    assert page.errors == []
