"""Headless Chromium opens the dashboard as the after-sales manager: the charts render.

Needs /usr/bin/chromium (the Debian package; Playwright's own browser download is not
used). Without it the test is skipped - unless CI is set, where it fails.
"""

import datetime as dt
import os
from contextlib import contextmanager

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextmanager
def chromium():
    """A page in headless Chromium; JavaScript errors are collected in ``page.errors``.

    Do the database work before entering: Playwright's sync API runs an event loop in
    this thread (hence DJANGO_ALLOW_ASYNC_UNSAFE), and connections opened inside it would
    live in another context and outlast the test database.
    """
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI")
        pytest.skip(f"{CHROMIUM} not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    connections.close_all()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.errors = []
            page.on("pageerror", lambda exc: page.errors.append(str(exc)))
            yield page
        finally:
            browser.close()


CHARTS_JS = """() => Array.from(document.querySelectorAll('canvas.chart')).map(c => {
    const chart = Chart.getChart(c);
    return {type: c.dataset.type, width: c.width, height: c.height, attached: !!chart,
            points: chart ? chart.getDatasetMeta(0).data.length : 0,
            total: chart ? chart.data.datasets.map(
                d => d.data.reduce((a, b) => a + (b || 0), 0)) : []};
})"""

PAINTED_JS = """() => {
    const c = document.querySelector('canvas.chart[data-type=line]');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < px.length; i += 4) { if (px[i] !== 0) return true; }
    return false;
}"""


def test_manager_sees_the_charts_drawn(live_server, manager, monkeypatch):
    from django.db import DEFAULT_DB_ALIAS

    # the live server's request threads close their connection after each request, so
    # none is left open when the test database is dropped (PostgreSQL refuses that)
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "CONN_MAX_AGE", 0)
    now = timezone.now()
    for i in range(24):
        TicketFactory(state="closed" if i % 3 else "new",
                      received_at=now - dt.timedelta(days=i * 3),
                      resolved_at=now - dt.timedelta(days=i * 3 - 1) if i % 3 else None,
                      satisfaction=(i % 5) + 1 if i % 3 else None)
    login = f"{live_server.url}{reverse('admin:login')}?next={reverse('admin:index')}"
    index = f"{live_server.url}{reverse('admin:index')}"
    username = manager.username

    with chromium() as page:
        page.goto(login)
        page.fill("#id_username", username)
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_url(index)
        page.wait_for_selector("canvas.chart", state="visible")
        charts = page.evaluate(CHARTS_JS)
        painted = page.evaluate(PAINTED_JS)
        open_card_visible = page.locator('[data-figure="open"]').is_visible()
        errors = list(page.errors)

    assert sorted(c["type"] for c in charts) == ["bar", "line"]
    for chart in charts:
        assert chart["attached"] and chart["width"] > 100 and chart["height"] > 100, chart
        assert chart["points"] == 12, chart  # twelve weeks
    line = next(c for c in charts if c["type"] == "line")
    assert line["total"][0] > 0 and line["total"][1] > 0  # received, resolved
    assert painted  # the line chart's canvas is not blank
    assert open_card_visible
    assert errors == []
