"""Median and p95 server time of the main admin pages at the current database's size.

    DATABASE_URL=postgres://.../bench .venv/bin/python manage.py generate_data --tickets 1000000
    DATABASE_URL=postgres://.../bench .venv/bin/python benchmarks/admin_pages.py [--repeat 15]

Requests go through the full Django stack in-process (middleware, admin, templates),
as the after-sales manager (the role that sees the most), so the figures are server time
without the network.
"""

import argparse

from _harness import row, setup, timed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from backoffice.desk.models import Ticket
    from backoffice.platform.roles import group_name

    user, _ = get_user_model().objects.get_or_create(username="bench_manager",
                                                     defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=group_name("manager")))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    ticket = Ticket.objects.order_by("-id").only("pk").first()
    deep_page = max(1, min(200, Ticket.objects.count() // 50))
    engineer = Ticket.objects.exclude(assignee=None).values_list("assignee", flat=True).first()
    pages = [
        ("tickets: changelist", "/admin/backoffice/ticket/"),
        ("tickets: filter state=in_progress", "/admin/backoffice/ticket/?state__exact=in_progress"),
        ("tickets: filter engineer + open", f"/admin/backoffice/ticket/?assignee__id__exact={engineer}&status=open"),
        ("tickets: overdue", "/admin/backoffice/ticket/?sla=overdue"),
        ("tickets: search 报表 (Chinese substring)", "/admin/backoffice/ticket/?q=报表"),
        ("tickets: search customer name 上海", "/admin/backoffice/ticket/?q=上海"),
        # the whole service record: subject, description, diagnosis, solution
        ("tickets: search description phrase 字段错位", "/admin/backoffice/ticket/?q=字段错位"),
        ("tickets: search 3-char term 连接池 (diagnosis)", "/admin/backoffice/ticket/?q=连接池"),
        ("tickets: search 2-char term 补丁 (solution)", "/admin/backoffice/ticket/?q=补丁"),
        ("tickets: search rare phrase (no match)", "/admin/backoffice/ticket/?q=没有这个短语"),
        (f"tickets: page {deep_page}", f"/admin/backoffice/ticket/?p={deep_page}"),
        ("ticket: change form", f"/admin/backoffice/ticket/{ticket.pk}/change/"),
        ("customers: changelist", "/admin/backoffice/customer/"),
        ("dashboard (admin index)", "/admin/"),
    ]
    from django.urls import NoReverseMatch, reverse

    try:  # what the tickets cost (billing), measured next to the dashboard
        report = reverse("admin:billing_cost_report")
        pages += [("cost report: by customer, this year", f"{report}?by=customer"),
                  ("cost report: by month, this year", f"{report}?by=month"),
                  ("cost report: xlsx export by product",
                   reverse("admin:billing_cost_report_export") + "?by=product")]
    except NoReverseMatch:  # billing not installed
        pass
    pages += extra_pages()
    print(f"database: {connection.vendor}, tickets: {Ticket.objects.count():,}")
    for label, url in pages:
        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        row(label, *timed(get, args.repeat))
    change_form_by_role(ticket, args.repeat)


def change_form_by_role(ticket, repeat):
    """The ticket change form and the dashboard as each role sees them (issue 18: at most
    12 and 25 queries for every role)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from backoffice.platform.roles import ROLES, group_name

    for role in ROLES:
        user, _ = get_user_model().objects.get_or_create(username=f"bench_{role}",
                                                         defaults={"is_staff": True})
        user.groups.set([Group.objects.get(name=group_name(role))])
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for label, url in [("ticket: change form", f"/admin/backoffice/ticket/{ticket.pk}/change/"),
                           ("dashboard", "/admin/")]:
            if client.get(url).status_code != 200:
                continue  # a role that may not open it

            def get(url=url, client=client):
                client.get(url)
            row(f"{label} ({role})", *timed(get, repeat))


def extra_pages():
    """Pages of the other apps, when they are installed and have data."""
    from django.urls import NoReverseMatch, reverse

    out = []
    for label, name in [("stock ledger: changelist", "admin:inventory_stockentry_changelist"),
                        ("parts on hand: changelist", "admin:inventory_part_changelist"),
                        ("expense claims: changelist", "admin:billing_expenseclaim_changelist"),
                        ("appraisals: changelist", "admin:training_appraisal_changelist"),
                        ("knowledge base: changelist", "admin:backoffice_article_changelist")]:
        try:
            out.append((label, reverse(name)))
        except NoReverseMatch:
            continue
    return out


if __name__ == "__main__":
    main()
