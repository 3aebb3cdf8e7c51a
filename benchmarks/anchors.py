"""Each admin list page next to its two anchors, measured interleaved in one run.

    DATABASE_URL=postgres://.../bench .venv/bin/python manage.py generate_data --tickets 1000000
    DATABASE_URL=postgres://.../bench .venv/bin/python benchmarks/anchors.py [--rounds 15]

For every page, each round requests, in turn (the order rotates per round):
- **page**: our admin page (full Django stack in-process, as the after-sales manager,
  50 rows, DEBUG off);
- **plain**: a default Django ``ModelAdmin`` on the same model with the same columns (the
  page's list_display, model fields only), on an ``AdminSite`` mounted only here;
- **floor**: the SQL the page needs, sent raw: the customer pre-lookup of a search, the
  50 rows with their joins, and the count or estimate our paginator uses.
It prints per-page medians and p95, the medians of the per-round ratios page/floor and
page/plain, the ticket count and the load average (a loaded machine inflates all three
alike; the ratios are what to compare).
"""

import argparse
import os
import statistics
import sys
import time

from _harness import setup

#: filled in by main(): the project's URLs plus the plain admin at /plain-admin/
urlpatterns = []


def percentile(samples, share):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, round(share * (len(samples) - 1)))]


def plain_site(specs):
    """An AdminSite with one default ModelAdmin per model: the same columns (model
    fields of our list_display), search fields and list filters of the page, nothing else."""
    from django.contrib import admin

    # the project's site class (its templates link the site's own views: notification
    # settings, jobs), holding plain ModelAdmins only
    site = type(admin.site)(name="plain")
    for model, columns, search_fields, filters in specs:
        attrs = {"list_display": columns, "search_fields": search_fields,
                 "list_filter": filters}
        site.register(model, type(f"Plain{model.__name__}Admin", (admin.ModelAdmin,), attrs))
    for model, model_admin in admin.site._registry.items():  # the pages the menus link
        if not site.is_registered(model):
            site.register(model, type(model_admin))
    return site


def model_columns(model, list_display):
    names = {f.name for f in model._meta.fields}
    return [c for c in list_display if isinstance(c, str) and c in names] or ["__str__"]


def floor_queries(model_admin, params):
    """The raw SQL statements the page cannot do without, compiled once: (sql, params)."""
    from django.db import connection
    from django.db.models import ForeignKey

    from backoffice.desk.models import Customer, Ticket
    from backoffice.desk.selectors import search_tickets
    from backoffice.platform.paginator import EstimatedCountPaginator

    model = model_admin.model
    qs = model._default_manager.all()
    statements = []
    term = params.get("q")
    if term and model is Ticket:
        from django.db.models import Q

        from backoffice.platform.search import tokens_match

        # the customers holding the term, from their tokens' index (PostgreSQL)
        lookup = Customer.objects.filter(Q(name__icontains=term) | Q(code__iexact=term))
        if connection.vendor == "postgresql":
            lookup = lookup.filter(tokens_match(Customer._meta.db_table, term))
        lookup = lookup.values_list("pk", flat=True)[:2000]
        statements.append(lookup.query.sql_with_params())
        qs = search_tickets(qs, term)
    for key, value in params.items():
        if key != "q":
            qs = qs.filter(**{key.replace("__exact", ""): value})
    related = [f.name for f in model._meta.fields if isinstance(f, ForeignKey)
               and f.name in model_columns(model, model_admin.list_display)]
    rows = qs.select_related(*related).order_by(*(model_admin.ordering or ["-pk"]))[:50]
    statements.append(rows.query.sql_with_params())
    def count():  # the paginator's own queries (an estimate or a capped COUNT)
        return EstimatedCountPaginator(qs, 50).count

    return statements, [count]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", default="", help="run pages whose label contains this")
    parser.add_argument("--plain-rounds", type=int, default=None,
                        help="rounds of the plain admin's searches (each reads the whole "
                             "table: ~40 s at 10 M tickets); default: --rounds")
    args = parser.parse_args()
    setup()
    from django.conf import settings
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, clear_url_caches, include, path, reverse

    from backoffice.desk.models import Customer, Ticket
    from backoffice.platform.roles import group_name

    ticket = Ticket.objects.order_by("-id").select_related("customer").first()
    customer = ticket.customer.name if ticket else "上海"
    pages = [  # (label, model, query parameters)
        ("tickets: changelist", Ticket, {}),
        ("tickets: state=in_progress", Ticket, {"state__exact": "in_progress"}),
        ("tickets: search 2 chars 报表", Ticket, {"q": "报表"}),
        ("tickets: search 1 char 票", Ticket, {"q": "票"}),
        ("tickets: search 3 chars 数据库", Ticket, {"q": "数据库"}),
        ("tickets: search 4 chars 字段错位", Ticket, {"q": "字段错位"}),
        ("tickets: search 2 chars, customers 上海", Ticket, {"q": "上海"}),
        ("tickets: search customer name", Ticket, {"q": customer}),
        ("tickets: search ticket number", Ticket, {"q": ticket.number if ticket else "SR"}),
        ("customers: changelist", Customer, {}),
    ]
    for label, name in [("stock ledger", "inventory.StockEntry"), ("parts", "inventory.Part"),
                        ("expense claims", "billing.ExpenseClaim"),
                        ("appraisals", "training.Appraisal"),
                        ("knowledge base", "backoffice.Article")]:
        try:
            from django.apps import apps

            pages.append((f"{label}: changelist", apps.get_model(name), {}))
        except LookupError:
            continue
    pages = [p for p in pages if args.only in p[0]]

    specs, seen = [], set()
    for _label, model, _params in pages:
        if model in seen:
            continue
        seen.add(model)
        ours = admin.site._registry[model]
        filters = ["state"] if any(f.name == "state" for f in model._meta.fields) else []
        specs.append((model, model_columns(model, ours.list_display),
                      list(ours.search_fields), filters))
    site = plain_site(specs)
    module = sys.modules[__name__]
    module.urlpatterns = [path("plain-admin/", site.urls),
                          path("", include(settings.ROOT_URLCONF))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()

    user, _ = get_user_model().objects.get_or_create(username="bench_manager",
                                                     defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=group_name("manager")))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    def page_url(model, params, site_name):
        opts = model._meta
        try:
            base = reverse(f"{site_name}:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            return None
        return base, params

    runs = []
    for label, model, params in pages:
        ours = page_url(model, params, "admin")
        plain = page_url(model, params, "plain")
        statements, counters = floor_queries(admin.site._registry[model], params)

        def get(target):
            response = client.get(*target)
            assert response.status_code == 200, (target, response.status_code)

        def floor(statements=statements, counters=counters):
            with connection.cursor() as cursor:
                for sql, sql_params in statements:
                    cursor.execute(sql, sql_params)
                    cursor.fetchall()
            for count in counters:
                count()

        runs.append((label, [("page", lambda t=ours: get(t)), ("plain", lambda t=plain: get(t)),
                             ("floor", floor)], "q" in params))

    tickets = Ticket.objects.count()
    print(f"database: {connection.vendor}, tickets: {tickets:,}, rounds: {args.rounds}, "
          f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {label: {"page": [], "plain": [], "floor": []} for label, *_ in runs}
    plain_rounds = args.rounds if args.plain_rounds is None else args.plain_rounds
    for _label, variants, _search in runs:  # warm-up: caches, compiled templates, plans
        for name, func in variants:
            if name != "plain" or not _search or plain_rounds:
                func()
    for round_no in range(args.rounds):
        for label, variants, search in runs:
            shift = round_no % len(variants)
            for name, func in variants[shift:] + variants[:shift]:
                if name == "plain" and search and round_no >= plain_rounds:
                    continue
                start = time.perf_counter()
                func()
                results[label][name].append((time.perf_counter() - start) * 1000)
    print(f"{'page':<36} {'page ms':>15} {'plain ms':>15} {'floor ms':>15} "
          f"{'page/floor':>10} {'page/plain':>10}")
    print(f"{'':<36} {'median   p95':>15} {'median   p95':>15} {'median   p95':>15}")
    for label, samples in results.items():
        cells = []
        for name in ("page", "plain", "floor"):
            s = samples[name]
            cells.append(f"{statistics.median(s):7.1f} {percentile(s, 0.95):7.1f}" if s
                         else f"{'-':>7} {'-':>7}")
        to_floor = statistics.median(p / f for p, f in zip(samples["page"], samples["floor"],
                                                            strict=True))
        pairs = list(zip(samples["page"], samples["plain"], strict=False))  # plain may
        to_plain = statistics.median(p / q for p, q in pairs) if pairs else float("nan")
        print(f"{label:<36} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15} "
              f"{to_floor:10.1f} {to_plain:10.2f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
