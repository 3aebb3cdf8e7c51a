"""Every registered admin: its pages render, and its query count does not grow with rows.

One test walks them all on the demo data set (every app's demo), so a new admin is
covered the day it is registered.
"""

import pytest
from django.contrib.admin import site
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

MAX_CHANGELIST_QUERIES = 25
MAX_CHANGEFORM_QUERIES = 60


def _url(model, view, *args):
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}",
                       args=args)
    except NoReverseMatch:
        return None


@pytest.mark.django_db
def test_every_admin_renders_with_bounded_queries(client, superuser, settings,
                                                  django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("load_demo", tickets=60, stdout=open("/dev/null", "w"))
    client.force_login(superuser)
    problems = []
    for model, model_admin in sorted(site._registry.items(), key=lambda i: i[0]._meta.label):
        label = model._meta.label
        url = _url(model, "changelist")
        if url is None:
            continue
        counts = {}
        for per_page in (5, 50):
            model_admin.list_per_page = per_page
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            counts[per_page] = len(ctx.captured_queries)
            if response.status_code != 200:
                problems.append(f"{label} changelist: HTTP {response.status_code}")
        model_admin.list_per_page = type(model_admin).list_per_page
        if not model._meta.managed:  # a table-less model that only carries permissions
            continue
        rows = model._default_manager.count()
        if rows > 5 and counts[50] > counts[5]:
            problems.append(f"{label} changelist: {counts[5]} queries for 5 rows, "
                            f"{counts[50]} for {min(rows, 50)} (N+1)")
        if counts[50] > MAX_CHANGELIST_QUERIES:
            problems.append(f"{label} changelist: {counts[50]} queries")
        obj = model._default_manager.order_by("-pk").first()
        if obj is not None and (change := _url(model, "change", obj.pk)):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(change)
            if response.status_code != 200:
                problems.append(f"{label} change form: HTTP {response.status_code}")
            elif hasattr(obj, "events") and "Workflow journal" not in response.content.decode():
                problems.append(f"{label} change form: no workflow journal")
            elif len(ctx.captured_queries) > MAX_CHANGEFORM_QUERIES:
                problems.append(f"{label} change form: {len(ctx.captured_queries)} queries")
        if model_admin.has_add_permission(_request(superuser)) and (add := _url(model, "add")):
            status = client.get(add).status_code
            if status != 200:
                problems.append(f"{label} add form: HTTP {status}")
    assert not problems, "\n".join(problems)


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request
